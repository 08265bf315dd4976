"""Numba kernels for skip-gram with negative sampling (SGNS).

Kernels take arrays and scalars and update the weight matrices in place; Python
(:mod:`w2vcli.train`) owns epochs, the learning-rate schedule, progress and errors. One call of
:func:`sg_ns_pair_batch` trains a batch of sentences: ``prange`` over per-thread chunks of the
batch, each updating the shared float32 matrices without locks (Hogwild, Recht et al. 2011, as
word2vec.c and gensim do). With one chunk (``--threads 1``) the result is a deterministic
function of the seed.

The per-pair update (:func:`sgns_pair_update`) computes all K+1 dot products before touching any
row, so it is exactly one SGD step of the negative-sampling loss with every gradient taken at the
parameters before the step (repeated noise words summed), which is what
:func:`w2vcli.reference.sgns_sgd_step` computes. word2vec.c instead updates each output row as it
goes, which differs from this only when a noise word repeats within one pair.

Random numbers come from SplitMix64 (Steele et al. 2014), one stream per chunk, seeded from the
run's seed, the batch and the chunk, so no state is shared between threads.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit, prange

# fastmath without nnan/ninf, so that NaN and inf still propagate to the divergence check.
FASTMATH = {"reassoc", "contract", "arcp", "nsz", "afn"}

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


class PairBatchParams(NamedTuple):
    """Scalars of one batch call; a tuple keeps the kernel's argument list short.

    Attributes:
        window: maximum window size ``b``; the window of each centre word is drawn uniformly
            from ``[1, window]`` (word2vec.c's ``b = next_random % window``).
        negative: noise words ``K`` per (centre, outside) pair.
        alpha_start, alpha_end: the learning rate falls linearly from ``alpha_start`` to
            ``alpha_end`` over ``total_words``.
        words_before: in-vocabulary tokens of all epochs before this batch's first token.
        total_words: in-vocabulary tokens times epochs (the schedule's length).
        seed: 64-bit seed of this batch; chunk ``i`` uses a stream derived from it and ``i``.
    """

    window: int
    negative: int
    alpha_start: float
    alpha_end: float
    words_before: int
    total_words: int
    seed: int


@njit(inline="always")
def _splitmix64(state: np.uint64) -> tuple[np.uint64, np.uint64]:
    state = state + _GOLDEN
    z = state
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return state, z ^ (z >> np.uint64(31))


@njit(inline="always")
def _below(r: np.uint64, n: int) -> int:
    """Map the high 32 bits of ``r`` to ``[0, n)`` by multiply-shift (Lemire 2019)."""
    return int(((r >> np.uint64(32)) * np.uint64(n)) >> np.uint64(32))


@njit(inline="always")
def _draw_noise(r: np.uint64, threshold: np.ndarray, alias: np.ndarray) -> int:
    """One draw from the alias table (see :func:`w2vcli.vocab.alias_table`)."""
    col = _below(r, len(threshold))
    if np.uint32(r & np.uint64(0xFFFFFFFF)) < threshold[col]:
        return col
    return int(alias[col])


@njit(inline="always")
def _softplus(x: float) -> float:
    """log(1 + exp(x)) without overflow; -log(sigmoid(x)) is softplus(-x)."""
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


@njit(nogil=True, fastmath=FASTMATH, cache=True)
def sgns_pair_update(
    w_in: np.ndarray,
    w_out: np.ndarray,
    center: int,
    outside: int,
    negatives: np.ndarray,
    alpha: float,
    grad_center: np.ndarray,
    coef: np.ndarray,
) -> float:
    """One SGD step of negative sampling for one (centre, outside) pair, in place.

    Args:
        w_in: float32 ``(V, d)`` centre (input) vectors; row ``center`` is updated.
        w_out: float32 ``(V, d)`` outside (output) vectors; rows ``outside`` and ``negatives``
            are updated.
        center, outside: word ids.
        negatives: int32 ``(K,)`` noise ids; ids equal to ``outside`` are skipped (word2vec.c).
        alpha: learning rate.
        grad_center: float32 ``(d,)`` scratch space.
        coef: float32 ``(K + 1,)`` scratch space.

    Returns:
        The pair's loss before the step, ``-log s(u_o.v_c) - sum_k log s(-u_k.v_c)`` (float64).
    """
    dim = w_in.shape[1]
    n_neg = negatives.shape[0]
    v = w_in[center]
    loss = 0.0
    # All scores first: every gradient is taken at the parameters before the step.
    for j in range(n_neg + 1):
        if j == 0:
            target = outside
        else:
            target = negatives[j - 1]
            if target == outside:
                coef[j] = 0.0
                continue
        u = w_out[target]
        f = np.float32(0.0)
        for i in range(dim):
            f += u[i] * v[i]
        label = 1.0 if j == 0 else 0.0
        coef[j] = (label - 1.0 / (1.0 + math.exp(-f))) * alpha
        loss += _softplus(-f) if j == 0 else _softplus(f)
    for i in range(dim):
        grad_center[i] = coef[0] * w_out[outside, i]
    for j in range(1, n_neg + 1):
        if coef[j] != 0.0:
            u = w_out[negatives[j - 1]]
            c = coef[j]
            for i in range(dim):
                grad_center[i] += c * u[i]
    for j in range(n_neg + 1):
        target = outside if j == 0 else negatives[j - 1]
        if coef[j] != 0.0:
            u = w_out[target]
            c = coef[j]
            for i in range(dim):
                u[i] += c * v[i]
    for i in range(dim):
        v[i] += grad_center[i]
    return loss


@njit(parallel=True, nogil=True, fastmath=FASTMATH, cache=True)
def sg_ns_pair_batch(
    w_in: np.ndarray,
    w_out: np.ndarray,
    ids: np.ndarray,
    sentence_ends: np.ndarray,
    chunk_starts: np.ndarray,
    keep_prob: np.ndarray,
    noise_threshold: np.ndarray,
    noise_alias: np.ndarray,
    params: PairBatchParams,
) -> np.ndarray:
    """Train skip-gram negative sampling on one batch of sentences, Hogwild over chunks.

    For each sentence of each chunk: tokens are subsampled (kept with probability
    ``keep_prob[id]``, drawn afresh every call), then for each kept centre word a window size
    ``b`` is drawn from ``[1, window]`` and every kept word within ``b`` positions is an outside
    word, trained with :func:`sgns_pair_update` against ``negative`` fresh noise words. The
    learning rate is linear in the global position of the sentence's first token (word2vec.c
    updates it every 10k words from a shared counter; here it depends only on the position, so it
    is the same whatever the thread count).

    Args:
        w_in, w_out: float32 ``(V, d)`` C-contiguous, updated in place.
        ids: int32 ``(N,)`` the whole encoded corpus.
        sentence_ends: int64 ``(S,)`` exclusive sentence end offsets into ``ids``.
        chunk_starts: int64 ``(T + 1,)`` sentence indices; chunk ``t`` trains sentences
            ``chunk_starts[t]`` to ``chunk_starts[t + 1] - 1``.
        keep_prob: float32 ``(V,)`` subsampling keep probabilities.
        noise_threshold, noise_alias: uint32 / int32 ``(V,)`` alias table of the noise
            distribution.
        params: see :class:`PairBatchParams`.

    Returns:
        float64 ``(T, 2)``: per chunk, the summed pair loss and the number of pairs trained.
    """
    n_chunks = chunk_starts.shape[0] - 1
    dim = w_in.shape[1]
    n_neg = params.negative
    window = params.window
    stats = np.zeros((n_chunks, 2), dtype=np.float64)
    alpha_span = params.alpha_start - params.alpha_end
    inv_total = 1.0 / params.total_words
    # Global token position of this batch's first token, minus its offset in ``ids``.
    first = chunk_starts[0]
    base_offset = 0 if first == 0 else sentence_ends[first - 1]
    max_len = 0
    for s in range(chunk_starts[0], chunk_starts[n_chunks]):
        start = 0 if s == 0 else sentence_ends[s - 1]
        max_len = max(max_len, sentence_ends[s] - start)
    for t in prange(n_chunks):
        state = np.uint64(params.seed) ^ (np.uint64(t + 1) * _MIX2)
        sen = np.empty(max_len, dtype=np.int32)
        negs = np.empty(n_neg, dtype=np.int32)
        grad = np.empty(dim, dtype=np.float32)
        coef = np.empty(n_neg + 1, dtype=np.float32)
        loss = 0.0
        pairs = 0
        for s in range(chunk_starts[t], chunk_starts[t + 1]):
            start = 0 if s == 0 else sentence_ends[s - 1]
            end = sentence_ends[s]
            progress = (params.words_before + start - base_offset) * inv_total
            alpha = max(params.alpha_start - alpha_span * progress, params.alpha_end)
            n = 0
            for p in range(start, end):
                w = ids[p]
                state, r = _splitmix64(state)
                if (r >> np.uint64(40)) * (1.0 / 16777216.0) < keep_prob[w]:
                    sen[n] = w
                    n += 1
            for p in range(n):
                state, r = _splitmix64(state)
                b = 1 + _below(r, window)
                lo = max(0, p - b)
                hi = min(n, p + b + 1)
                center = sen[p]
                for q in range(lo, hi):
                    if q == p:
                        continue
                    for k in range(n_neg):
                        state, r = _splitmix64(state)
                        negs[k] = _draw_noise(r, noise_threshold, noise_alias)
                    loss += sgns_pair_update(w_in, w_out, center, sen[q], negs, alpha, grad, coef)
                    pairs += 1
        stats[t, 0] = loss
        stats[t, 1] = pairs
    return stats
