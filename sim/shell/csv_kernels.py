"""Rows of a per-draw table written as CSV text, compiled: numbers in ``%.12g``, exactly as Python writes them.

draws.csv has a row per draw and some sixty numbers a row; Python's float
formatting (David Gay's correctly rounded conversion) spends about 0.2 µs on
each, 0.13 s of a 10,000-draw run on one core. Here each number is scaled by
an exact power of ten to twelve significant digits and rounded; where the
scaled value lies within 1e-3 of a rounding tie (eight times the product's
rounding error, so the rounding could go either way) or the number is beyond
what the powers of ten cover exactly (below 1e-11 or from 1e34 on), the
kernel leaves a gap that Python's own ``'%.12g' %`` fills (:mod:`sim.shell.csv_table`).
Every other number gets the digits the correctly rounded conversion gives,
laid out by printf's ``%g`` rules (fixed notation for decimal exponents from
-4 to 11, trailing zeros removed, else d.ddde±XX). NaN is an empty field and
infinities ``inf``/``-inf``, as pandas writes them. ``tests/shell/test_csv_kernels.py``
compares the bytes with Python's on numbers across every magnitude.

Compiled ahead of time like :mod:`sim.kernels.count_kernels` (same conventions).
"""

from __future__ import annotations

import sys
import types
from functools import cache

import numpy as np

_POW10 = np.array([10.0**k for k in range(23)])  # 1e0 .. 1e22: every one exactly a double
_DIGITS = 12
_TIE_MARGIN = 1e-3

_HELPERS = ("_write_g12", "_write_int")
_KERNELS = ("csv_rows",)
SIGNATURES = {"csv_rows": ["Tuple((i8, i8[:], i8[:]))(f8[:, ::1], i8, b1, u1[::1])"]}
"""numba signature strings of each kernel (see :data:`sim.kernels.count_kernels.SIGNATURES`)."""

BYTES_PER_NUMBER = 26
"""Room a number takes at most: sign, 12 digits, point, 'e-XX' or '0.000' in front, and its comma."""
BYTES_PER_ROW_INDEX = 21


@cache
def compiled() -> types.SimpleNamespace | None:
    """The compiled kernels, or None without numba (then Python formats every number)."""
    from sim.kernels import aot_kernels

    return aot_kernels.compiled(sys.modules[__name__], jit_kernels)


@cache
def jit_kernels() -> types.SimpleNamespace:
    from sim.kernels import aot_kernels

    return aot_kernels.just_in_time(sys.modules[__name__])


def _write_int(value, out, pos):
    """The decimal digits of a whole number >= 0 at ``out[pos:]``; returns the position after them."""
    if value == 0:
        out[pos] = 48
        return pos + 1
    digits = 0
    rest = value
    while rest > 0:
        rest //= 10
        digits += 1
    end = pos + digits
    rest = value
    for i in range(end - 1, pos - 1, -1):
        out[i] = 48 + rest % 10
        rest //= 10
    return end


def _write_g12(x, out, pos, digits):
    """``'%.12g' % x`` at ``out[pos:]`` (NaN: nothing); returns the position after it, or -1 where Python must.
    ``digits`` is scratch room for the twelve digits."""
    if x != x:
        return pos
    if x < 0.0 or (x == 0.0 and np.signbit(x)):
        out[pos] = 45  # '-'
        pos += 1
        x = -x
    if x == 0.0:
        out[pos] = 48
        return pos + 1
    if x == np.inf:
        out[pos], out[pos + 1], out[pos + 2] = 105, 110, 102  # 'inf'
        return pos + 3
    exponent = int(np.floor(np.log10(x)))
    scaled = 0.0
    found = False
    for _ in range(3):  # log10 may be one off near a power of ten: the scaled value decides
        shift = _DIGITS - 1 - exponent
        if shift > 22 or shift < -22:
            return -1
        scaled = x * _POW10[shift] if shift >= 0 else x / _POW10[-shift]  # one rounding: exact power of ten
        if scaled >= 1e12:
            exponent += 1
        elif scaled < 1e11:
            exponent -= 1
        else:
            found = True
            break
    if not found:
        return -1
    whole = np.floor(scaled)
    fraction = scaled - whole
    if abs(fraction - 0.5) < _TIE_MARGIN:
        return -1
    mantissa = np.int64(whole) + (1 if fraction > 0.5 else 0)
    if mantissa == 1_000_000_000_000:  # rounded up to the next power of ten
        mantissa = 100_000_000_000
        exponent += 1
    rest = mantissa
    for i in range(_DIGITS - 1, -1, -1):
        digits[i] = 48 + rest % 10
        rest //= 10
    significant = _DIGITS
    while significant > 1 and digits[significant - 1] == 48:
        significant -= 1
    if -4 <= exponent < _DIGITS:
        if exponent >= 0:
            for i in range(exponent + 1):
                out[pos] = digits[i]
                pos += 1
            if significant > exponent + 1:
                out[pos] = 46  # '.'
                pos += 1
                for i in range(exponent + 1, significant):
                    out[pos] = digits[i]
                    pos += 1
        else:
            out[pos], out[pos + 1] = 48, 46  # '0.'
            pos += 2
            for _ in range(-exponent - 1):
                out[pos] = 48
                pos += 1
            for i in range(significant):
                out[pos] = digits[i]
                pos += 1
        return pos
    out[pos] = digits[0]
    pos += 1
    if significant > 1:
        out[pos] = 46
        pos += 1
        for i in range(1, significant):
            out[pos] = digits[i]
            pos += 1
    out[pos] = 101  # 'e'
    out[pos + 1] = 45 if exponent < 0 else 43
    pos += 2
    magnitude = -exponent if exponent < 0 else exponent
    if magnitude < 10:
        out[pos] = 48
        pos += 1
    return _write_int(magnitude, out, pos)


def csv_rows(values, first, with_index, out):
    """CSV rows of ``values`` (rows, columns) into ``out``, each row led by its number from ``first`` when
    ``with_index``. Returns (bytes written, byte positions of the gaps, flat indices of the numbers that go
    there), the gaps in order: the numbers Python formats."""
    rows, columns = values.shape
    gaps = np.empty(rows * columns, dtype=np.int64)
    which = np.empty(rows * columns, dtype=np.int64)
    digits = np.empty(_DIGITS, dtype=np.uint8)
    count = 0
    pos = 0
    for r in range(rows):
        if with_index:
            pos = _write_int(first + r, out, pos)
        for c in range(columns):
            if with_index or c > 0:
                out[pos] = 44  # ','
                pos += 1
            end = _write_g12(values[r, c], out, pos, digits)
            if end < 0:
                gaps[count] = pos
                which[count] = r * columns + c
                count += 1
            else:
                pos = end
        out[pos] = 10
        pos += 1
    return pos, gaps[:count], which[:count]
