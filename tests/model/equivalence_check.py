"""Two samples that should come from one distribution: tests that can fail, and their power.

:func:`compare` runs four checks on the engine's draws of a total against the
per-customer model's, each at level :data:`ALPHA` (two-sided):

* two-sample Kolmogorov-Smirnov (SciPy's exact or asymptotic p-value, which can be as small as it likes);
* two-sample Anderson-Darling (midrank), asymptotic p-value interpolated in Scholz and Stephens' table;
  SciPy floors it at 0.001 (the true p-value is then smaller), so it rejects at p <= 0.001;
* the means: difference over its standard error, |z| < :data:`Z`;
* the variances: z = log(s1^2 / s2^2) over its standard error
  sqrt(v1 + v2), v_i = 2 / (n_i - 1) + kurt_i / n_i (the delta method; kurt_i the sample's excess kurtosis),
  |z| < :data:`Z`.

:func:`variance_power` is the chance that the variance check rejects when one
standard deviation is ``ratio`` times the other (the normal approximation of the
same statistic). With n draws a side and excess kurtosis k the standard error is
about sqrt(2 (2 + k) / n): at 4,000 draws and k = 0, 0.0316, so a 10 % error in
the sd (log variance ratio 2 log 1.1 = 0.191) is z = 6.0 and is caught with
probability Phi(6.0 - 3.29) = 0.997 (0.9999 for an sd 10 % too small).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats

ALPHA = 0.001
"""Level of each check (two-sided)."""
Z = stats.norm.isf(ALPHA / 2)  # 3.29


@dataclass(frozen=True)
class Comparison:
    """The four checks of one total: p-values of KS and AD, z of the means and of the variances."""

    ks_p: float
    ad_p: float
    mean_z: float
    variance_z: float
    variance_ratio: float

    def failures(self) -> list[str]:
        """Which checks reject at :data:`ALPHA` (empty when the samples agree)."""
        found = []
        if self.ks_p < ALPHA:
            found.append(f"KS p = {self.ks_p:.2g}")
        if self.ad_p <= ALPHA:
            found.append("AD p <= 0.001")
        if abs(self.mean_z) > Z:
            found.append(f"mean z = {self.mean_z:.1f}")
        if abs(self.variance_z) > Z:
            found.append(f"variance z = {self.variance_z:.1f} (ratio {self.variance_ratio:.3f})")
        return found

    def __str__(self) -> str:
        return (f"KS p {self.ks_p:.3g}, AD p {self.ad_p:.3g}, mean z {self.mean_z:+.2f}, "
                f"variance z {self.variance_z:+.2f} (ratio {self.variance_ratio:.3f})")


def log_variance_se(x: np.ndarray) -> float:
    """Standard error of log(sample variance): sqrt(2 / (n - 1) + excess kurtosis / n)."""
    n = len(x)
    return float(np.sqrt(2.0 / (n - 1) + stats.kurtosis(x, fisher=True) / n))


def variance_z(fast: np.ndarray, slow: np.ndarray) -> tuple[float, float]:
    """(z, ratio): log(var(fast) / var(slow)) over its standard error, and the ratio itself."""
    v_fast, v_slow = np.var(fast, ddof=1), np.var(slow, ddof=1)
    if v_fast == 0 or v_slow == 0:
        return (0.0, 1.0) if v_fast == v_slow else ((np.inf if v_fast else -np.inf), (v_fast / v_slow if v_slow else np.inf))
    return float(np.log(v_fast / v_slow) / np.hypot(log_variance_se(fast), log_variance_se(slow))), float(v_fast / v_slow)


def compare(fast: np.ndarray, slow: np.ndarray) -> Comparison:
    fast, slow = np.asarray(fast, dtype=float), np.asarray(slow, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "p-value floored / capped": floored means below 0.001
        ad = stats.anderson_ksamp([fast, slow], variant="midrank")
    se_mean = np.sqrt(fast.var(ddof=1) / len(fast) + slow.var(ddof=1) / len(slow))
    z, ratio = variance_z(fast, slow)
    return Comparison(
        ks_p=float(stats.ks_2samp(fast, slow).pvalue),
        ad_p=float(ad.pvalue),
        mean_z=float((fast.mean() - slow.mean()) / se_mean) if se_mean > 0 else (0.0 if fast.mean() == slow.mean() else np.inf),
        variance_z=z,
        variance_ratio=ratio,
    )


def variance_power(n: int, kurtosis: float, sd_ratio: float = 1.1, alpha: float = ALPHA) -> float:
    """P(the variance check rejects) with ``n`` draws a side, both of excess kurtosis ``kurtosis``, sd off by ``sd_ratio``."""
    se = np.sqrt(2 * (2.0 / (n - 1) + kurtosis / n))
    shift = 2 * np.log(sd_ratio) / se
    z = stats.norm.isf(alpha / 2)
    return float(stats.norm.sf(z - shift) + stats.norm.cdf(-z - shift))


# --- the engine on the per-customer model's parameters ---------------------------------------

EXPERIENCE = ("good", "bad", "walk_away", "positive_uplift", "negative_drop", "positive_churn_reduction",
              "negative_churn_increase", "positive_duration", "negative_duration", "negative_contact_increase")
MIX_KEYS = {"churn_mix": ("alpha", "beta"), "purchase_mix": ("shape", "rate"), "dropout_mix": ("a", "b")}
TOTALS = ("revenue", "contacts", "walked", "churned", "purchases", "active_at_end", "negative_at_end")
"""What is compared per arm: five totals over the horizon and two counts at its end."""


def segment(params: dict) -> dict:
    """The scenario table of one segment ``small`` with the per-customer model's parameters (per period)."""
    table = {k: v for k, v in params.items() if k not in EXPERIENCE and k not in MIX_KEYS}
    for key, names in MIX_KEYS.items():
        if key in params:
            table[key] = dict(zip(names, params[key]))
    table["experience"] = {k: params[k] for k in EXPERIENCE if k in params}
    return table


def totals(flows: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per draw: :data:`TOTALS` from per-period flows (the engine's or the per-customer model's)."""
    out = {name: flows[name].sum(axis=1) for name in TOTALS[:5]}
    return out | {"active_at_end": flows["active"][:, -1], "negative_at_end": flows["negative"][:, -1]}
