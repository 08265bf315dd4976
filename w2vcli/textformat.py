"""Fast text formatting of float32 rows for the word2vec text format (Numba).

Python's ``'%.9g' % value`` costs about 250 ns a value, so writing a 1M x 300 model as text
would take over a minute; this formats the whole matrix in compiled code. Each value gets 9
significant digits, which is enough for every float32 to read back to the same bits (float32
carries about 7.2 decimal digits: 9 leave a margin of 30x, so a last digit off by one from
correct rounding still round-trips). The layout follows ``%.9g``: trailing zeros dropped,
exponent notation (``1.5e-05``, ``3.40282347e+38``) below 1e-4 and from 1e9 up, ``-0``,
``nan``, ``inf`` and ``-inf``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

#: Bytes one value can take: sign, 9 digits, point, "e-45" and the separating space.
MAX_VALUE_BYTES = 18

# Powers of ten 10**k for k in [-_POW10_BIAS, 70), so that scaling a value to 9 digits is a table
# lookup and a multiplication rather than a call of pow (float32 spans 1e-45 to 3.4e38).
_POW10_BIAS = 60
_POW10 = np.array([10.0 ** k for k in range(-_POW10_BIAS, 70)], dtype=np.float64)
_LOG10_2 = 0.30102999566398120
_INT_POW10 = np.array([10 ** k for k in range(10)], dtype=np.int64)


@njit(cache=True, nogil=True)
def _write_digits(out: np.ndarray, pos: int, value: int, count: int) -> int:
    """Write ``value`` as exactly ``count`` decimal digits (zero-padded) at ``pos``."""
    for k in range(count - 1, -1, -1):
        out[pos + k] = 48 + value % 10
        value //= 10
    return pos + count


@njit(cache=True, nogil=True)
def _write_value(out: np.ndarray, pos: int, x: float) -> int:
    """Format one value at ``out[pos:]``; returns the new position."""
    if math.isnan(x):
        out[pos] = 110  # n
        out[pos + 1] = 97  # a
        out[pos + 2] = 110
        return pos + 3
    if x < 0 or (x == 0 and math.copysign(1.0, x) < 0):
        out[pos] = 45  # -
        pos += 1
        x = -x
    if math.isinf(x):
        out[pos] = 105  # i
        out[pos + 1] = 110  # n
        out[pos + 2] = 102  # f
        return pos + 3
    if x == 0:
        out[pos] = 48
        return pos + 1
    # x = m 2**e2 with m in [0.5, 1): the decimal exponent is floor((e2 - 1) log10 2) or one
    # more; the scaled mantissa says which.
    e2 = math.frexp(x)[1]
    exp = int(math.floor((e2 - 1) * _LOG10_2))
    mant = int(round(x * _POW10[8 - exp + _POW10_BIAS]))
    if mant >= 1_000_000_000:
        exp += 1
        mant = int(round(x * _POW10[8 - exp + _POW10_BIAS]))
    elif mant < 100_000_000:
        exp -= 1
        mant = int(round(x * _POW10[8 - exp + _POW10_BIAS]))
    if mant >= 1_000_000_000:  # rounding carried into a tenth digit: 9.99999999x -> 10
        mant //= 10
        exp += 1
    digits = 9
    while mant % 10 == 0 and digits > 1:  # %g drops trailing zeros
        mant //= 10
        digits -= 1
    if -4 <= exp < 9:
        if exp >= 0:
            whole = exp + 1
            if digits <= whole:
                pos = _write_digits(out, pos, mant, digits)
                for _ in range(whole - digits):
                    out[pos] = 48
                    pos += 1
                return pos
            pos = _write_digits(out, pos, mant // _INT_POW10[digits - whole], whole)
            out[pos] = 46  # .
            return _write_digits(out, pos + 1, mant % _INT_POW10[digits - whole], digits - whole)
        out[pos] = 48
        out[pos + 1] = 46
        pos += 2
        for _ in range(-exp - 1):
            out[pos] = 48
            pos += 1
        return _write_digits(out, pos, mant, digits)
    pos = _write_digits(out, pos, mant // _INT_POW10[digits - 1], 1)
    if digits > 1:
        out[pos] = 46
        pos = _write_digits(out, pos + 1, mant % _INT_POW10[digits - 1], digits - 1)
    out[pos] = 101  # e
    out[pos + 1] = 45 if exp < 0 else 43
    exp = abs(exp)
    return _write_digits(out, pos + 2, exp, 3 if exp >= 100 else 2)


@njit(cache=True, nogil=True)
def format_rows(vectors: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Format every row of ``vectors`` as space-separated values, one line per row.

    Args:
        vectors: float32 ``(n, d)``.
        out: uint8 scratch of at least ``n * d * MAX_VALUE_BYTES`` bytes.

    Returns:
        int64 ``(n + 1,)`` offsets: row ``i``'s text (without the word, starting with the
        space after it, ending with ``\\n``) is ``out[offsets[i]:offsets[i + 1]]``.
    """
    n, d = vectors.shape
    offsets = np.empty(n + 1, dtype=np.int64)
    pos = 0
    for i in range(n):
        offsets[i] = pos
        for j in range(d):
            out[pos] = 32  # space
            pos = _write_value(out, pos + 1, float(vectors[i, j]))
        out[pos] = 10  # \n
        pos += 1
    offsets[n] = pos
    return offsets
