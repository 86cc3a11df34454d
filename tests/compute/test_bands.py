"""The bands' percentiles are np.percentile's numbers bit for bit (runtime ~0.2 s)."""

import numpy as np
import pytest

from sim.compute import result


@pytest.mark.parametrize("rows", [1, 2, 3, 7, 20, 1001, 10_000])
def test_percentiles_of_sorted_columns_are_numpys(rows):
    rng = np.random.default_rng(rows)
    values = np.column_stack([
        rng.standard_normal(rows) * 1e6,
        np.round(rng.exponential(3.0, rows)),  # whole counts: many ties
        np.full(rows, 0.1),
        rng.choice([-np.inf, 0.0, -0.0, 5.0, np.inf], rows),
        np.where(np.arange(rows) == rows // 2, np.nan, rng.uniform(size=rows)),  # one NaN: the column is NaN
    ])
    percentiles = (0, 5, 10, 25, 50, 75, 90, 95, 100)
    with np.errstate(invalid="ignore"):  # -inf to inf interpolates to NaN, in numpy as here
        ours = result.sorted_percentiles(np.sort(values, axis=0), percentiles)
        numpys = np.percentile(values, percentiles, axis=0)
    assert np.array_equal(ours, numpys, equal_nan=True)
    # NaN's sign is no number's (CSV writes NaN as an empty field); +0.0 and -0.0 are equal values, which the
    # sort and numpy's selection may order differently.
    numbers = ~np.isnan(numpys) & (numpys != 0)
    assert np.array_equal(np.signbit(ours[numbers]), np.signbit(numpys[numbers]))


def test_an_all_zero_series_gives_zeros_and_a_negative_zero_is_computed():
    zeros = np.zeros((50, 4))
    assert result.band_numbers(lambda: zeros)[0] is False
    assert not result.band_numbers(lambda: zeros)[2].any()
    negative = zeros.copy()
    negative[3, 1] = -0.0
    nonzero, periods, table = result.band_numbers(lambda: negative)
    expected = np.vstack([negative.mean(axis=0), np.percentile(negative, result.BAND_PERCENTILES, axis=0)]).T
    assert (nonzero, periods) == (False, 4) and table.tobytes() == expected.tobytes()
