"""Compiled row helpers of :mod:`w2vcli.cluster`: which rows a slice changed, their deltas,
merging the shards' deltas, and adding deltas into a matrix (memory speed, where NumPy's fancy
indexing makes temporaries and walks each row several times).

Deltas travel between the processes of a cluster run as bfloat16: the high 16 bits of each
float32 (8 bits of mantissa), rounded to nearest even, held in uint16 arrays, as PyTorch's
distributed data parallel ``bf16_compress_hook`` sends gradients. That halves the bytes each
round moves and keeps float32's range, so no delta overflows or flushes to zero as it would in
float16. Every process adds the same rounded values, so the replicas of the model stay equal.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(nogil=True, cache=True)
def distinct_ids(ids: np.ndarray, rows: int) -> np.ndarray:
    """int64, sorted: the distinct values of ``ids`` (ints in ``[0, rows)``)."""
    seen = np.zeros(rows, dtype=np.bool_)
    for i in range(len(ids)):
        seen[ids[i]] = True
    return np.flatnonzero(seen).astype(np.int64)


@njit(nogil=True, cache=True)
def copy_rows(dst: np.ndarray, src: np.ndarray, rows: np.ndarray) -> None:
    """``dst[rows] = src[rows]`` (float32 matrices, int64 ids)."""
    for i in range(len(rows)):
        r = rows[i]
        dst[r] = src[r]


@njit(nogil=True, cache=True)
def _bfloat16(row: np.ndarray, out: np.ndarray) -> None:
    """float32 ``row`` -> its bfloat16 bits in uint16 ``out``, rounded to nearest even (a NaN
    stays a NaN)."""
    bits = row.view(np.uint32)
    for j in range(len(row)):
        b = bits[j]
        if (b & np.uint32(0x7FFFFFFF)) > np.uint32(0x7F800000):  # NaN: keep it quiet, NaN
            out[j] = np.uint16((b >> np.uint32(16)) | np.uint32(0x40))
        else:
            rounding = np.uint32(0x7FFF) + ((b >> np.uint32(16)) & np.uint32(1))
            out[j] = np.uint16((b + rounding) >> np.uint32(16))


@njit(nogil=True, cache=True)
def _float32(bits16: np.ndarray, out: np.ndarray) -> None:
    """bfloat16 bits (uint16) -> float32 ``out``."""
    bits = out.view(np.uint32)
    for j in range(len(bits16)):
        bits[j] = np.uint32(bits16[j]) << np.uint32(16)


@njit(nogil=True, cache=True)
def _to_bfloat16(a: np.ndarray) -> np.ndarray:
    out = np.empty(a.shape, dtype=np.uint16)
    for i in range(len(a)):
        _bfloat16(a[i], out[i])
    return out


@njit(nogil=True, cache=True)
def add_rows(w: np.ndarray, rows: np.ndarray, delta: np.ndarray) -> None:
    """``w[rows[i]] += delta[i]`` in place: ``w`` float32, ``rows`` int64 (repeated ids add
    up), ``delta`` uint16 bfloat16 bits ``(len(rows), d)``."""
    dim = w.shape[1]
    row = np.empty(dim, dtype=np.float32)
    for i in range(len(rows)):
        r = rows[i]
        _float32(delta[i], row)
        for j in range(dim):
            w[r, j] += row[j]


@njit(nogil=True, cache=True)
def merge_rows(parts_rows, parts_delta, lo: int, hi: int, power: float):
    """The deltas of rows ``[lo, hi)`` merged over parts (tuples of the parts' int64 distinct
    row ids in that range and their bfloat16 ``(len(rows), d)`` deltas), added in float32 in
    part order and divided by ``n ** power`` where ``n`` parts changed the row. Returns
    ``(rows, delta)``: the int64 sorted ids of the rows any part changed and their merged
    delta, bfloat16 ``(len(rows), d)``."""
    dim = parts_delta[0].shape[1]
    at = np.full(hi - lo, -1, dtype=np.int64)  # a row's place among the merged rows
    for p in range(len(parts_rows)):
        rows = parts_rows[p]
        for i in range(len(rows)):
            at[rows[i] - lo] = 0
    n = 0
    for r in range(hi - lo):
        if at[r] == 0:
            at[r] = n
            n += 1
    out_rows = np.empty(n, dtype=np.int64)
    for r in range(hi - lo):
        if at[r] >= 0:
            out_rows[at[r]] = r + lo
    total = np.zeros((n, dim), dtype=np.float32)
    counts = np.zeros(n, dtype=np.int32)
    row = np.empty(dim, dtype=np.float32)
    for p in range(len(parts_rows)):
        rows = parts_rows[p]
        delta = parts_delta[p]
        for i in range(len(rows)):
            k = at[rows[i] - lo]
            counts[k] += 1
            _float32(delta[i], row)
            for j in range(dim):
                total[k, j] += row[j]
    out = np.empty((n, dim), dtype=np.uint16)
    for k in range(n):
        if power != 0.0 and counts[k] > 1:
            scale = np.float32(1.0 / counts[k] ** power)
            for j in range(dim):
                total[k, j] *= scale
        _bfloat16(total[k], out[k])
    return out_rows, out


@njit(nogil=True, cache=True)
def changed_deltas(new: np.ndarray, old: np.ndarray, among: np.ndarray):
    """The rows of ``among`` (int64, sorted) that differ between the float32 matrices ``new``
    and ``old`` (a NaN differs from everything), and ``new - old`` there in bfloat16: ``(rows
    int64, deltas uint16 (len(rows), d))``, in one pass over the rows."""
    dim = new.shape[1]
    rows = np.empty(len(among), dtype=np.int64)
    out = np.empty((len(among), dim), dtype=np.uint16)
    row = np.empty(dim, dtype=np.float32)
    n = 0
    for i in range(len(among)):
        r = among[i]
        changed = False
        for j in range(dim):
            a = new[r, j]
            b = old[r, j]
            row[j] = a - b
            changed |= not a == b
        if changed:
            rows[n] = r
            _bfloat16(row, out[n])
            n += 1
    return rows[:n], out[:n]


def to_bfloat16(a: np.ndarray) -> np.ndarray:
    """float32 ``(n, d)`` -> bfloat16 bits, uint16 ``(n, d)`` (rounded to nearest even)."""
    return _to_bfloat16(np.ascontiguousarray(a, dtype=np.float32))


def from_bfloat16(bits: np.ndarray) -> np.ndarray:
    """bfloat16 bits, uint16 ``(n, d)`` -> float32 ``(n, d)`` (exact)."""
    return (np.asarray(bits, dtype=np.uint32) << 16).view(np.float32)
