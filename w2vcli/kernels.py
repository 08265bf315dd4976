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
def _subsample(
    ids: np.ndarray, start: int, end: int, keep_prob: np.ndarray, out: np.ndarray, state: np.uint64
) -> tuple[np.uint64, int]:
    """Copy the tokens ``ids[start:end]`` that survive subsampling into ``out``; returns count."""
    n = 0
    for p in range(start, end):
        w = ids[p]
        state, r = _splitmix64(state)
        if (r >> np.uint64(40)) * (1.0 / 16777216.0) < keep_prob[w]:
            out[n] = w
            n += 1
    return state, n


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
            state, n = _subsample(ids, start, end, keep_prob, sen, state)
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


#: Scores are clipped to [-MAX_EXP, MAX_EXP] for the sigmoid table, as in word2vec.c.
MAX_EXP = 6.0
#: Entries of the sigmoid and -log(sigmoid) tables (word2vec.c uses 1,000).
TABLE_SIZE = 1024
_TABLE_X = (np.arange(TABLE_SIZE) + 0.5) * (2 * MAX_EXP / TABLE_SIZE) - MAX_EXP
SIGMOID_TABLE = (1.0 / (1.0 + np.exp(-_TABLE_X))).astype(np.float32)
NEG_LOG_SIGMOID_TABLE = np.logaddexp(0.0, -_TABLE_X).astype(np.float32)
_TABLE_SCALE = TABLE_SIZE / (2 * MAX_EXP)


@njit(inline="always")
def _sigmoid_and_loss(f: float, positive: bool) -> tuple[float, float]:
    """sigmoid(f) from the table and the pair term's loss: -log s(f), or -log s(-f) for noise.

    Scores beyond +-MAX_EXP use sigmoid 1 or 0 (word2vec.c's clipping) and the exact loss.
    """
    if f >= MAX_EXP:
        sig = 1.0
        nls = math.log1p(math.exp(-f))
    elif f <= -MAX_EXP:
        sig = 0.0
        nls = -f + math.log1p(math.exp(f))
    else:
        idx = int((f + MAX_EXP) * _TABLE_SCALE)
        sig = SIGMOID_TABLE[idx]
        nls = NEG_LOG_SIGMOID_TABLE[idx]
    # -log s(-f) = -log s(f) + f
    return sig, (nls if positive else nls + f)


@njit(nogil=True, fastmath=FASTMATH, cache=True)
def hogbatch_window_update(
    w_in: np.ndarray,
    w_out: np.ndarray,
    ctx: np.ndarray,
    outs: np.ndarray,
    alpha: float,
    coef: np.ndarray,
    d_in: np.ndarray,
    d_out: np.ndarray,
) -> float:
    """One HogBatch minibatch SGD step for a centre word's window, in place.

    Args:
        w_in: float32 ``(V, d)`` input vectors; rows ``ctx`` are updated.
        w_out: float32 ``(V, d)`` output vectors; rows ``outs`` (those >= 0) are updated.
        ctx: int32 ``(n,)`` the window's outside words (the block's input rows).
        outs: int32 ``(K + 1,)``: the centre word (label 1), then the noise words (label 0);
            -1 marks a noise word to skip.
        alpha: learning rate.
        coef: float32 ``(>= n, K + 1)``, d_in: float32 ``(>= n, d)``, d_out: float32
            ``(K + 1, d)``: scratch space.

    Returns:
        Summed loss of the ``n`` (outside, centre) pairs before the step (float64).
    """
    dim = w_in.shape[1]
    n_ctx = ctx.shape[0]
    n_neg = outs.shape[0] - 1
    loss = 0.0
    # Scores and coefficients, all at the parameters before the step.
    for i in range(n_ctx):
        v = w_in[ctx[i]]
        for j in range(n_neg + 1):
            if outs[j] < 0:
                coef[i, j] = 0.0
                continue
            u = w_out[outs[j]]
            f = np.float32(0.0)
            for x in range(dim):
                f += v[x] * u[x]
            sig, pair_loss = _sigmoid_and_loss(f, j == 0)
            coef[i, j] = ((1.0 if j == 0 else 0.0) - sig) * alpha
            loss += pair_loss
    # d_in = coef @ U_out and d_out = coef^T @ V_in, then apply both.
    for i in range(n_ctx):
        for x in range(dim):
            d_in[i, x] = 0.0
        for j in range(n_neg + 1):
            c = coef[i, j]
            if c != 0.0:
                u = w_out[outs[j]]
                for x in range(dim):
                    d_in[i, x] += c * u[x]
    for j in range(n_neg + 1):
        for x in range(dim):
            d_out[j, x] = 0.0
        for i in range(n_ctx):
            c = coef[i, j]
            if c != 0.0:
                v = w_in[ctx[i]]
                for x in range(dim):
                    d_out[j, x] += c * v[x]
    for i in range(n_ctx):
        v = w_in[ctx[i]]
        for x in range(dim):
            v[x] += d_in[i, x]
    for j in range(n_neg + 1):
        if outs[j] >= 0:
            u = w_out[outs[j]]
            for x in range(dim):
                u[x] += d_out[j, x]
    return loss


@njit(parallel=True, nogil=True, fastmath=FASTMATH, cache=True)
def sg_ns_hogbatch_batch(
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
    """Skip-gram negative sampling with HogBatch: one set of noise words per window.

    pWord2Vec's scheme (Ji et al. 2016, "Parallelizing Word2Vec in Shared and Distributed
    Memory"): for a centre word, the input vectors of its window's ``n`` outside words form an
    ``n x d`` block, and the output vectors of the centre word (label 1) and ``K`` noise words
    drawn once for the whole window (label 0) a ``(K + 1) x d`` block. Scores ``n x (K + 1)`` are
    computed together, then both blocks get one minibatch SGD step with every gradient taken
    before the step. Each (outside, centre) pair still sees ``K`` noise words, as in word2vec.c
    (whose skip-gram likewise updates the outside word's input vector to predict the centre
    word); what changes is that the noise words are shared within a window, so the ``K + 1``
    output rows are read and written once per window instead of once per pair.

    Sigmoid and -log(sigmoid) come from :data:`SIGMOID_TABLE` / :data:`NEG_LOG_SIGMOID_TABLE`
    with scores clipped at +-:data:`MAX_EXP` (word2vec.c's scheme). Noise words equal to the
    centre word are skipped.

    Arguments and return value are those of :func:`sg_ns_pair_batch`; the loss is the same sum
    over (outside, centre) pairs.
    """
    n_chunks = chunk_starts.shape[0] - 1
    dim = w_in.shape[1]
    n_neg = params.negative
    window = params.window
    stats = np.zeros((n_chunks, 2), dtype=np.float64)
    alpha_span = params.alpha_start - params.alpha_end
    inv_total = 1.0 / params.total_words
    first = chunk_starts[0]
    base_offset = 0 if first == 0 else sentence_ends[first - 1]
    max_len = 0
    for s in range(chunk_starts[0], chunk_starts[n_chunks]):
        start = 0 if s == 0 else sentence_ends[s - 1]
        max_len = max(max_len, sentence_ends[s] - start)
    for t in prange(n_chunks):
        state = np.uint64(params.seed) ^ (np.uint64(t + 1) * _MIX2)
        sen = np.empty(max_len, dtype=np.int32)
        ctx = np.empty(2 * window, dtype=np.int32)
        outs = np.empty(n_neg + 1, dtype=np.int32)
        coef = np.empty((2 * window, n_neg + 1), dtype=np.float32)
        d_in = np.empty((2 * window, dim), dtype=np.float32)
        d_out = np.empty((n_neg + 1, dim), dtype=np.float32)
        loss = 0.0
        pairs = 0
        for s in range(chunk_starts[t], chunk_starts[t + 1]):
            start = 0 if s == 0 else sentence_ends[s - 1]
            end = sentence_ends[s]
            progress = (params.words_before + start - base_offset) * inv_total
            alpha = max(params.alpha_start - alpha_span * progress, params.alpha_end)
            state, n = _subsample(ids, start, end, keep_prob, sen, state)
            for p in range(n):
                state, r = _splitmix64(state)
                b = 1 + _below(r, window)
                n_ctx = 0
                for q in range(max(0, p - b), min(n, p + b + 1)):
                    if q != p:
                        ctx[n_ctx] = sen[q]
                        n_ctx += 1
                if n_ctx == 0:
                    continue
                center = sen[p]
                outs[0] = center
                for k in range(1, n_neg + 1):
                    state, r = _splitmix64(state)
                    noise = _draw_noise(r, noise_threshold, noise_alias)
                    outs[k] = -1 if noise == center else noise
                loss += hogbatch_window_update(w_in, w_out, ctx[:n_ctx], outs, alpha, coef, d_in, d_out)
                pairs += n_ctx
        stats[t, 0] = loss
        stats[t, 1] = pairs
    return stats
