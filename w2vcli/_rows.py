"""Compiled row helpers of :mod:`w2vcli.cluster`: which rows a slice changed, and adding the
workers' row deltas into the model (memory speed, where NumPy's fancy indexing makes
temporaries and walks each row several times)."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(nogil=True, cache=True)
def changed_rows(new: np.ndarray, old: np.ndarray, among: np.ndarray) -> np.ndarray:
    """int64: the ids of ``among`` (int64, sorted) whose rows differ between the float32
    matrices ``new`` and ``old`` (a NaN differs from everything)."""
    out = np.empty(len(among), dtype=np.int64)
    n = 0
    dim = new.shape[1]
    for i in range(len(among)):
        r = among[i]
        for j in range(dim):
            if not new[r, j] == old[r, j]:
                out[n] = r
                n += 1
                break
    return out[:n]


@njit(nogil=True, cache=True)
def add_rows(w: np.ndarray, rows: np.ndarray, delta: np.ndarray, touched: np.ndarray,
             mean: bool) -> None:
    """``w[rows[i]] += delta[i]`` (divided by ``touched[rows[i]]`` when ``mean``), in place."""
    dim = w.shape[1]
    for i in range(len(rows)):
        r = rows[i]
        if mean:
            scale = np.float32(1.0) / np.float32(touched[r])
            for j in range(dim):
                w[r, j] += delta[i, j] * scale
        else:
            for j in range(dim):
                w[r, j] += delta[i, j]
