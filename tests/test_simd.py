"""Row-in-registers intrinsics (w2vcli.simd) against NumPy."""

import numpy as np
import pytest
from numba import njit
from numba.core.errors import TypingError

from w2vcli import simd


def _row_ops(n):
    @njit
    def ops(a, b, out, c):
        x = simd.load(a, 1, n)  # from flat offset 1: rows need no alignment
        y = simd.load(b, 0, n)
        simd.prefetch_row(a, 0, n)
        acc = simd.axpy(c, x, simd.zeros(n))
        simd.store(out, 0, simd.scale(2.0, simd.add(acc, y)))
        return simd.dot(x, y)

    return ops


@pytest.mark.parametrize("n", [1, 3, 16, 37, 100])
def test_row_operations_match_numpy(n):
    assert sum(simd.pieces(n)) == n
    rng = np.random.default_rng(n)
    a = rng.normal(size=n + 1).astype(np.float32)
    b = rng.normal(size=n).astype(np.float32)
    out = np.full(n + 3, 7.0, dtype=np.float32)
    d = _row_ops(n)(a, b, out, 1.5)
    assert d == pytest.approx(float(a[1:] @ b), rel=1e-5, abs=1e-5)
    np.testing.assert_allclose(out[:n], 2 * (1.5 * a[1:] + b), rtol=1e-6)
    assert (out[n:] == 7.0).all()  # nothing written past the row


def test_pieces_are_powers_of_two_widest_first():
    assert simd.pieces(100) == (16,) * 6 + (4,)
    assert simd.pieces(300) == (16,) * 18 + (8, 4)
    assert simd.pieces(7) == (4, 2, 1)


def test_bit_counting():
    @njit
    def bits(x):
        return simd.popcount(x), simd.lowest_bit(x)

    assert bits(np.uint64(0b101100)) == (3, 2)
    assert bits(np.uint64(1) << np.uint64(63)) == (1, 63)
    assert bits(np.uint64(0))[0] == 0


def test_a_run_time_length_is_refused_at_compile_time():
    @njit
    def load_any(a, n):
        return simd.dot(simd.load(a, 0, n), simd.load(a, 0, n))

    with pytest.raises(TypingError, match="compile-time constant"):
        load_any(np.ones(4, dtype=np.float32), 4)


def test_rows_come_from_contiguous_float32_only():
    @njit
    def load3(a):
        return simd.dot(simd.load(a, 0, 3), simd.load(a, 0, 3))

    with pytest.raises(TypingError, match="C-contiguous float32"):
        load3(np.ones(4, dtype=np.float64))
