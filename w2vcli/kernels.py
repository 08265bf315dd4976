"""Numba kernels for word2vec: skip-gram and CBOW with negative sampling, hierarchical softmax
or the exact softmax.

Kernels take arrays and scalars and update the weight matrices in place; Python
(:mod:`w2vcli.training`) owns epochs, the learning-rate schedule, progress and errors. One call of a
batch kernel (:func:`batch_kernel`) trains a batch of sentences: one thread per chunk of the
batch, each running compiled code that releases the GIL and updates the shared float32 matrices
without locks (Hogwild, Recht et al. 2011, as word2vec.c and gensim do). With one chunk (``--threads 1``) the result is a
deterministic function of the seed.

Skip-gram with negative sampling has three update rules (``--kernel``). In all three, as in
word2vec.c, an outside word's input vector is trained to predict the centre word against K
noise words; they differ in how widely noise words are shared and how many rows move together:

``context-combining`` (the default)
    Context combining (Rengasamy et al. 2017, "pSGNScc"), :func:`_combined_group`: a group of
    ``group`` consecutive centre words of a sentence shares one set of K noise words. The input
    rows are every word of the group's windows, the output rows the group's centre words and the
    K noise words, and one minibatch SGD step moves them all: each (outside, centre) pair of
    every window is scored once against its centre word, and each input row once against each
    noise word, its coefficient weighted by the number of the group's windows it sits in (less
    those whose centre word is that noise word). So every pair still has K noise words, as in
    word2vec.c, but an input row meets the noise rows once per group instead of once per window
    (fewer scored pairs per word), and each noise row is read and written once per group. The
    price is that noise is shared across more pairs: the negative-sampling gradient of an input
    row is estimated from K draws instead of K per window it sits in. Checked against
    :func:`w2vcli.reference.combined_sgd_step`.
``hogbatch``
    pWord2Vec's HogBatch (Ji et al. 2016): the same rule with groups of one centre word, so one
    set of noise words per window; checked against :func:`w2vcli.reference.window_sgd_step`.
``pair``
    :func:`_pair_update`, the textbook rule: one exact SGD step per (centre, outside) pair with
    its own K noise words, all K+1 scores taken before any row moves (repeated noise words
    summed), which is what :func:`w2vcli.reference.sgns_sgd_step` computes. word2vec.c instead
    updates each output row as it goes, which differs from this only when a noise word repeats
    within one pair.

Every other mode goes through :func:`_block_update`: input rows (one outside word for
skip-gram, the window's mean or sum for CBOW) predict the centre word through negative sampling,
the Huffman path of hierarchical softmax, or the full softmax, as word2vec.c orders them;
checked against :func:`w2vcli.reference.output_sgd_step`.

Rows are handled whole, in registers (:mod:`w2vcli.simd`): a gradient is summed over all the
rows it depends on and added to its row once. That needs the vector dimension at compile time,
so batch kernels are compiled per dimension (:func:`batch_kernel` closes over it) and cached on
disk. Sigmoid and -log(sigmoid) come from 1,024-entry tables with scores clipped at
+-``MAX_EXP`` (word2vec.c's scheme; the ``pair`` rule alone computes them exactly), through a
branch-free path that a NaN or infinite score cannot make read outside the table (the loss then
becomes NaN, and training stops with a divergence error).

Random numbers come from SplitMix64 (Steele et al. 2014), one stream per chunk, seeded from the
run's seed, the batch and the chunk, so no state is shared between threads.

Every batch kernel also counts the floating-point operations it performed (an FMA is two), from
the work it did, for the roofline benchmark (``benchmarks/kernel.py``).
"""

from __future__ import annotations

import functools
import math
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import numpy as np
from numba import njit

from w2vcli import simd
from w2vcli.modes import KERNELS

# fastmath without nnan/ninf, so that NaN and inf still propagate to the divergence check.
FASTMATH = {"reassoc", "contract", "arcp", "nsz", "afn"}

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)

#: Scores are clipped to [-MAX_EXP, MAX_EXP] for the sigmoid table, as in word2vec.c.
MAX_EXP = 6.0
#: Entries of the sigmoid and -log(sigmoid) tables (word2vec.c uses 1,000).
TABLE_SIZE = 1024
_TABLE_X = (np.arange(TABLE_SIZE) + 0.5) * (2 * MAX_EXP / TABLE_SIZE) - MAX_EXP
SIGMOID_TABLE = (1.0 / (1.0 + np.exp(-_TABLE_X))).astype(np.float32)
NEG_LOG_SIGMOID_TABLE = np.logaddexp(0.0, -_TABLE_X).astype(np.float32)
_TABLE_SCALE = TABLE_SIZE / (2 * MAX_EXP)

#: Ablations of the context-combining kernel, for the roofline benchmark only
#: (``batch_kernel(..., probe=...)``): walk the corpus without touching a row; score without
#: updating; draw noise words once per chunk instead of once per group.
PROBE_WALK, PROBE_SCORES, PROBE_FIXED_NOISE = 1, 2, 4


class BatchParams(NamedTuple):
    """Scalars of one batch call; a tuple keeps the kernel's argument list short.

    Attributes:
        window: maximum window size ``b``.
        negative: noise words ``K`` per prediction (negative sampling only).
        alpha_start, alpha_end: the learning rate falls linearly from ``alpha_start`` to
            ``alpha_end`` over ``total_words``.
        words_before: in-vocabulary tokens of all epochs before this batch's first token.
        total_words: in-vocabulary tokens times epochs (the schedule's length).
        seed: 64-bit seed of this batch; chunk ``i`` uses a stream derived from it and ``i``.
        shrink_windows: draw each centre word's window uniformly from ``[1, window]``
            (word2vec.c's ``b = next_random % window``); otherwise always ``window``.
        cbow_mean: CBOW averages the context vectors (word2vec.c); otherwise sums them.
        group: centre words sharing one set of noise words (context-combining rule), 1 to
            :data:`w2vcli.modes.MAX_COMBINE`; 1 is HogBatch.
    """

    window: int
    negative: int
    alpha_start: float
    alpha_end: float
    words_before: int
    total_words: int
    seed: int
    shrink_windows: bool = True
    cbow_mean: bool = True
    group: int = 1


class Tables(NamedTuple):
    """Lookup tables of the output layer (empty arrays for the parts a mode does not use).

    Attributes:
        noise_threshold, noise_alias: uint32 / int32 ``(V,)`` alias table of the noise
            distribution (:func:`w2vcli.vocab.alias_table`), for negative sampling.
        codes, points: uint8 / int32 ``(V, L)`` Huffman codes and inner-node ids per word, and
        code_lengths: int32 ``(V,)``, for hierarchical softmax (:func:`w2vcli.vocab.huffman_tree`).
    """

    noise_threshold: np.ndarray
    noise_alias: np.ndarray
    codes: np.ndarray
    points: np.ndarray
    code_lengths: np.ndarray


# ---------------------------------------------------------------------------------------------
# Scalar helpers (inlined into every kernel).


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
def _draw_negatives(state, tables, out, count):
    """``count`` noise words into ``out``; returns the new state."""
    for k in range(count):
        state, r = _splitmix64(state)
        out[k] = _draw_noise(r, tables.noise_threshold, tables.noise_alias)
    return state


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
def _window_size(state, params):
    """Half-width of a centre word's window: uniform in ``[1, window]``, or ``window``."""
    if params.shrink_windows:
        state, r = _splitmix64(state)
        return state, 1 + _below(r, params.window)
    return state, params.window


@njit(inline="always")
def _softplus(x: float) -> float:
    """log(1 + exp(x)) without overflow; -log(sigmoid(x)) is softplus(-x)."""
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


@njit(inline="always")
def _table_index(f):
    """``(clipped score, table index)``; a NaN score reads entry 0, never outside the table."""
    clipped = f if f > -MAX_EXP else -MAX_EXP  # NaN compares false: -MAX_EXP
    clipped = clipped if clipped < MAX_EXP else MAX_EXP
    return clipped, min(int((clipped + MAX_EXP) * _TABLE_SCALE), TABLE_SIZE - 1)


@njit(inline="always")
def _table_sigmoid(f, idx):
    """sigmoid(f) from the table, exactly 1 or 0 beyond +-MAX_EXP (0 for NaN), without
    branches."""
    sig = SIGMOID_TABLE[idx]
    sig = 1.0 if f >= MAX_EXP else sig
    return sig if f > -MAX_EXP else 0.0


@njit(inline="always")
def _positive(f, alpha):
    """A score that should be high (label 1): ``((1 - s(f)) alpha, -log s(f))``.

    The loss is the table's inside +-MAX_EXP and continues linearly below ``-MAX_EXP`` (where
    -log s(f) is -f to within 0.0025); it is NaN for a NaN score.
    """
    clipped, idx = _table_index(f)
    below = clipped - f
    loss = NEG_LOG_SIGMOID_TABLE[idx] + (below if not below <= 0.0 else 0.0)
    return (1.0 - _table_sigmoid(f, idx)) * alpha, loss


@njit(inline="always")
def _negative(f, alpha):
    """A score that should be low (label 0): ``(-s(f) alpha, -log s(-f))``, as :func:`_positive`
    (``-log s(-f) = -log s(f) + f``)."""
    clipped, idx = _table_index(f)
    above = f - clipped
    loss = NEG_LOG_SIGMOID_TABLE[idx] + clipped + (above if not above <= 0.0 else 0.0)
    return -_table_sigmoid(f, idx) * alpha, loss


@njit(inline="always")
def _chunk_alpha(params: BatchParams, start: int) -> float:
    """Learning rate at batch-local token offset ``start`` (linear in the global position)."""
    progress = (params.words_before + start) / params.total_words
    alpha = params.alpha_start - (params.alpha_start - params.alpha_end) * progress
    return max(alpha, params.alpha_end)


@njit(inline="always")
def _chunk_state(params: BatchParams, t: int) -> np.uint64:
    return np.uint64(params.seed) ^ (np.uint64(t + 1) * _MIX2)


@njit(inline="always")
def _max_sentence(sentence_ends: np.ndarray, chunk_starts: np.ndarray) -> int:
    longest = 0
    for s in range(chunk_starts[0], chunk_starts[chunk_starts.shape[0] - 1]):
        start = 0 if s == 0 else sentence_ends[s - 1]
        longest = max(longest, sentence_ends[s] - start)
    return longest


@njit(inline="always")
def _sentence(ids, sentence_ends, s, keep_prob, params, sen, state):
    """Subsample sentence ``s`` into ``sen``; returns ``(state, kept count, learning rate)``.

    The scaffolding every chunk walker shares: the learning rate is that of the sentence's
    first token, the tokens kept are drawn afresh on every call.
    """
    start = 0 if s == 0 else sentence_ends[s - 1]
    state, n = _subsample(ids, start, sentence_ends[s], keep_prob, sen, state)
    return state, n, _chunk_alpha(params, start)


@njit(inline="always")
def _window(sen, n, p, params, ctx, state):
    """Outside words of position ``p`` into ``ctx``; returns ``(state, count)``."""
    state, b = _window_size(state, params)
    n_ctx = 0
    for q in range(max(0, p - b), min(n, p + b + 1)):
        if q != p:
            ctx[n_ctx] = sen[q]
            n_ctx += 1
    return state, n_ctx


# ---------------------------------------------------------------------------------------------
# Update rules. ``dim`` is the vector dimension, a compile-time constant (see w2vcli.simd).


@njit(inline="always")
def _ns_output(hidden, w_out, target, negatives, alpha, coef, dim, exact):
    """Negative sampling for the input row ``hidden``: updates the output rows.

    All scores are taken before any row moves, so this is one SGD step (repeated noise words
    summed); noise ids equal to ``target`` are skipped. ``exact`` computes sigmoid and loss with
    ``exp`` (the ``pair`` rule); otherwise they come from the tables. Returns ``(loss before
    the step, -alpha * dJ/dhidden, flops)``.
    """
    n_neg = negatives.shape[0]
    loss = 0.0
    scored = 0
    for j in range(n_neg + 1):
        row = target if j == 0 else negatives[j - 1]
        if j > 0 and row == target:
            coef[j] = 0.0
            continue
        f = simd.dot(hidden, simd.load(w_out, row * dim, dim))
        scored += 1
        if exact:
            label = 1.0 if j == 0 else 0.0
            coef[j] = (label - 1.0 / (1.0 + math.exp(-f))) * alpha
            loss += _softplus(-f) if j == 0 else _softplus(f)
        else:
            c, term = _positive(f, alpha) if j == 0 else _negative(f, alpha)
            coef[j] = c
            loss += term
    grad = simd.zeros(dim)
    for j in range(n_neg + 1):
        row = target if j == 0 else negatives[j - 1]
        grad = simd.axpy(coef[j], simd.load(w_out, row * dim, dim), grad)
    for j in range(n_neg + 1):
        c = coef[j]
        if c != 0.0:
            at = (target if j == 0 else negatives[j - 1]) * dim
            simd.store(w_out, at, simd.axpy(c, hidden, simd.load(w_out, at, dim)))
    return loss, grad, 6 * scored * dim


@njit(inline="always")
def _hs_output(hidden, w_out, codes, points, length, alpha, dim):
    """Hierarchical softmax for the input row ``hidden`` along one word's Huffman path.

    Node ``points[k]`` has label ``1 - codes[k]`` (word2vec.c's convention). The nodes of a path
    are distinct, so updating each right after its score is still one SGD step with every
    gradient taken before the step. A node whose coefficient is 0 (scored beyond +-MAX_EXP on
    the right side) is not written, so it shares no cache line with other threads. Returns
    ``(loss before the step, -alpha * dJ/dhidden, flops)``.
    """
    grad = simd.zeros(dim)
    loss = 0.0
    for k in range(length):
        at = points[k] * dim
        u = simd.load(w_out, at, dim)
        f = simd.dot(u, hidden)
        c, term = _positive(f, alpha) if codes[k] == 0 else _negative(f, alpha)
        loss += term
        if c != 0.0:
            grad = simd.axpy(c, u, grad)
            simd.store(w_out, at, simd.axpy(c, hidden, u))
    return loss, grad, 6 * length * dim


@njit(inline="always")
def _softmax_output(hidden, w_out, target, alpha, probs, dim):
    """Exact (naive) softmax over every output row for the input row ``hidden`` (CS224n).

    ``probs`` is float64 ``(V,)`` scratch; every output row moves. Returns ``(loss
    -log softmax(W_out hidden)[target] before the step, -alpha * dJ/dhidden, flops)``.
    """
    n_words = w_out.shape[0]
    top = -np.inf
    for w in range(n_words):
        probs[w] = simd.dot(hidden, simd.load(w_out, w * dim, dim))
        top = max(top, probs[w])
    target_score = probs[target]
    total = 0.0
    for w in range(n_words):
        probs[w] = math.exp(probs[w] - top)
        total += probs[w]
    loss = math.log(total) - (target_score - top)
    grad = simd.zeros(dim)
    for w in range(n_words):
        probs[w] = ((1.0 if w == target else 0.0) - probs[w] / total) * alpha
        grad = simd.axpy(probs[w], simd.load(w_out, w * dim, dim), grad)
    for w in range(n_words):
        at = w * dim
        simd.store(w_out, at, simd.axpy(probs[w], hidden, simd.load(w_out, at, dim)))
    return loss, grad, 6 * n_words * dim


@njit(inline="always")
def _add_to_row(w, row, delta, dim):
    at = row * dim
    simd.store(w, at, simd.add(simd.load(w, at, dim), delta))


@njit(inline="always")
def _pair_update(w_in, w_out, center, outside, negatives, alpha, coef, dim):
    """The exact per-pair rule: the centre word's input row predicts the outside word."""
    v = simd.load(w_in, center * dim, dim)
    loss, grad, flops = _ns_output(v, w_out, outside, negatives, alpha, coef, dim, True)
    _add_to_row(w_in, center, grad, dim)
    return loss, flops + dim


@njit(inline="always")
def _group_windows(sen, n, g0, gn, params, starts, stops, masks, state):
    """Windows of the centre words at ``g0 .. g0 + gn - 1`` of the kept sentence ``sen[:n]``.

    Sets ``starts[g]``/``stops[g]`` (the window of centre ``g`` is ``sen[starts[g]:stops[g]]``
    without the centre itself) and, for every position ``q`` from the first window's start,
    ``masks[q - lo]``: bit ``g`` set when ``q`` is an outside word of centre ``g``. Returns
    ``(state, lo, rows)``: the input rows are positions ``lo .. lo + rows - 1``.
    """
    lo = n
    hi = 0
    for g in range(gn):
        p = g0 + g
        state, b = _window_size(state, params)
        starts[g] = max(0, p - b)
        stops[g] = min(n, p + b + 1)
        lo = min(lo, starts[g])
        hi = max(hi, stops[g])
    rows = hi - lo
    for i in range(rows):
        masks[i] = 0
    for g in range(gn):
        bit = np.uint64(1) << np.uint64(g)
        for q in range(starts[g], stops[g]):
            masks[q - lo] |= bit
        masks[g0 + g - lo] &= ~bit
    return state, lo, rows


@njit(inline="always")
def _noise_matches(sen, g0, gn, noise, matches):
    """``matches[k]``: bit ``g`` set when noise word ``k`` is centre word ``g`` (then the pairs
    of that centre's window skip it, as word2vec.c skips a noise word equal to the target)."""
    for k in range(noise.shape[0]):
        m = np.uint64(0)
        for g in range(gn):
            if sen[g0 + g] == noise[k]:
                m |= np.uint64(1) << np.uint64(g)
        matches[k] = m


@njit(inline="always")
def _combined_group(w_in, w_out, sen, g0, gn, lo, rows, starts, stops, masks, noise, matches,
                    alpha, scratch, out_grad, dim, probe):
    """Context combining: one SGD step for the centre words ``sen[g0:g0 + gn]`` and their
    windows, with the noise words ``noise`` shared by the group.

    Input rows are the words at positions ``lo .. lo + rows - 1`` (``masks`` says which centre
    words' windows each is in); output rows are the centre words (label 1) and the noise words
    (label 0). The loss is the sum over every (outside, centre) pair of the negative-sampling
    loss with the group's noise words, less those equal to the pair's centre word
    (:func:`w2vcli.reference.combined_sgd_step`); every gradient is taken before the step.
    ``scratch`` is a :class:`GroupScratch` for up to ``rows`` input rows, ``gn`` centre words
    and ``K`` noise words; ``out_grad`` float32 ``(>= gn + K, dim)``. Returns ``(loss, (outside,
    centre) pairs, flops)``.
    """
    n_neg = noise.shape[0]
    coef = scratch.coef
    pos = scratch.pos
    pos_at = scratch.pos_at
    neg = scratch.neg
    weight = scratch.weight
    pairs = 0
    active = 0
    n_pos = 0
    # Scores first, one input row at a time (its row stays in registers): independent dot
    # products whose latencies overlap.
    for i in range(rows):
        mask = masks[i]
        if mask == 0:
            for k in range(n_neg):
                neg[i * n_neg + k] = 0.0
                weight[i * n_neg + k] = 0.0
            continue
        active += 1
        pairs += simd.popcount(mask)
        for k in range(n_neg):
            weight[i * n_neg + k] = simd.popcount(mask & ~matches[k])
        if probe & PROBE_WALK:
            continue
        v = simd.load(w_in, sen[lo + i] * dim, dim)
        m = mask
        while m:
            g = simd.lowest_bit(m)
            m &= m - np.uint64(1)
            pos[n_pos] = simd.dot(v, simd.load(w_out, sen[g0 + g] * dim, dim))
            pos_at[n_pos] = i * coef.shape[1] + g
            n_pos += 1
        for k in range(n_neg):
            neg[i * n_neg + k] = simd.dot(v, simd.load(w_out, noise[k] * dim, dim))
    scored = n_pos + active * n_neg
    if probe & PROBE_WALK:
        return 0.0, pairs, 0
    # Coefficients and loss: branch-free loops over all the group's scores (vectorised).
    loss = 0.0
    for t in range(n_pos):
        c, term = _positive(pos[t], alpha)
        pos[t] = c
        loss += term
    for t in range(rows * n_neg):
        c, term = _negative(neg[t], alpha)
        neg[t] = weight[t] * c
        loss += weight[t] * term
    if probe & PROBE_SCORES:
        return loss, pairs, 2 * scored * dim
    flat = coef.reshape(-1)
    for t in range(n_pos):
        flat[pos_at[t]] = pos[t]
    # Output gradients, from the input rows before the step.
    for g in range(gn):
        acc = simd.zeros(dim)
        for q in range(starts[g], stops[g]):
            if q != g0 + g:
                acc = simd.axpy(coef[q - lo, g], simd.load(w_in, sen[q] * dim, dim), acc)
        simd.store(out_grad, g * dim, acc)
    for k in range(n_neg):
        acc = simd.zeros(dim)
        for i in range(rows):
            if masks[i] != 0:
                acc = simd.axpy(neg[i * n_neg + k], simd.load(w_in, sen[lo + i] * dim, dim), acc)
        simd.store(out_grad, (gn + k) * dim, acc)
    # Input gradients, from the output rows before the step; each input row moves once.
    for i in range(rows):
        mask = masks[i]
        if mask == 0:
            continue
        acc = simd.zeros(dim)
        m = mask
        while m:
            g = simd.lowest_bit(m)
            m &= m - np.uint64(1)
            acc = simd.axpy(coef[i, g], simd.load(w_out, sen[g0 + g] * dim, dim), acc)
        for k in range(n_neg):
            acc = simd.axpy(neg[i * n_neg + k], simd.load(w_out, noise[k] * dim, dim), acc)
        _add_to_row(w_in, sen[lo + i], acc, dim)
    for j in range(gn + n_neg):
        row = sen[g0 + j] if j < gn else noise[j - gn]
        _add_to_row(w_out, row, simd.load(out_grad, j * dim, dim), dim)
    return loss, pairs, (6 * scored + active + gn + n_neg) * dim


class GroupScratch(NamedTuple):
    """Scratch space of :func:`_combined_group` for up to ``R`` input rows, ``G`` centre words
    and ``K`` noise words: ``coef`` float32 ``(R, G)`` (positive coefficients), ``pos``
    float32 ``(R * G,)`` and ``pos_at`` int64 ``(R * G,)`` (positive scores, then
    coefficients, and their flat index in ``coef``), ``neg`` and ``weight`` float32
    ``(R * K,)`` (noise scores, then weighted coefficients, and the windows each counts for)."""

    coef: np.ndarray
    pos: np.ndarray
    pos_at: np.ndarray
    neg: np.ndarray
    weight: np.ndarray


@njit(inline="always")
def _group_scratch(rows, group, n_neg):
    return GroupScratch(np.zeros((rows, group), dtype=np.float32),
                        np.empty(rows * group, dtype=np.float32),
                        np.empty(rows * group, dtype=np.int64),
                        np.empty(rows * n_neg, dtype=np.float32),
                        np.empty(rows * n_neg, dtype=np.float32))


@njit(inline="always")
def _block_update(w_in, w_out, rows, target, negatives, tables, alpha, mean, coef, probs, dim,
                  loss_kind):
    """Input rows ``rows`` (their mean or sum) predict word ``target``: one SGD step.

    Skip-gram passes one row, CBOW the window's rows (word2vec.c: ``neu1 /= cw`` with the mean,
    and ``-alpha * dJ/dneu1`` added to every context row). Returns ``(loss before the step,
    flops)``.
    """
    n = rows.shape[0]
    hidden = simd.zeros(dim)
    for i in range(n):
        hidden = simd.add(hidden, simd.load(w_in, rows[i] * dim, dim))
    if mean and n > 1:
        hidden = simd.scale(1.0 / n, hidden)
    if loss_kind == NS:
        loss, grad, flops = _ns_output(hidden, w_out, target, negatives, alpha, coef, dim, False)
    elif loss_kind == HS:
        loss, grad, flops = _hs_output(hidden, w_out, tables.codes[target],
                                       tables.points[target], tables.code_lengths[target],
                                       alpha, dim)
    else:
        loss, grad, flops = _softmax_output(hidden, w_out, target, alpha, probs, dim)
    for i in range(n):
        _add_to_row(w_in, rows[i], grad, dim)
    return loss, flops + (2 * n + 1) * dim


SG, CBOW = 0, 1
NS, HS, SOFTMAX = 0, 1, 2
_MODEL_CODES = {"sg": SG, "cbow": CBOW}
_LOSS_CODES = {"ns": NS, "hs": HS, "softmax": SOFTMAX}


# ---------------------------------------------------------------------------------------------
# One chunk of a batch: a run of sentences trained by one thread. Each returns
# ``(loss, predictions, flops)``.


@njit(inline="always")
def _combined_chunk(w_in, w_out, ids, sentence_ends, chunk_starts, keep_prob, tables, params, t,
                    dim, probe):
    """Skip-gram, negative sampling, context combining: one update per group of centre words.

    The noise words of each group are drawn one group ahead, and the rows the next group will
    need for the first time (its noise words, its centre words' output rows, the input rows
    entering its windows) are prefetched while this group trains, so that rows of a large
    vocabulary arrive from memory while the arithmetic runs.
    """
    n_neg = params.negative
    group = params.group
    window = params.window
    state = _chunk_state(params, t)
    sen = np.empty(_max_sentence(sentence_ends, chunk_starts), dtype=np.int32)
    starts = np.empty(group, dtype=np.int64)
    stops = np.empty(group, dtype=np.int64)
    masks = np.empty(group + 2 * window, dtype=np.uint64)
    noise = np.empty(n_neg, dtype=np.int32)
    noise_next = np.empty(n_neg, dtype=np.int32)
    matches = np.empty(n_neg, dtype=np.uint64)
    scratch = _group_scratch(group + 2 * window, group, n_neg)
    out_grad = np.empty((group + n_neg, dim), dtype=np.float32)
    loss = 0.0
    pairs = 0
    flops = 0
    state = _draw_negatives(state, tables, noise_next, n_neg)
    for s in range(chunk_starts[t], chunk_starts[t + 1]):
        state, n, alpha = _sentence(ids, sentence_ends, s, keep_prob, params, sen, state)
        for g0 in range(0, n, group):
            gn = min(group, n - g0)
            state, lo, rows = _group_windows(sen, n, g0, gn, params, starts, stops, masks, state)
            if not probe & PROBE_FIXED_NOISE:
                noise[:] = noise_next
                state = _draw_negatives(state, tables, noise_next, n_neg)
            elif g0 == 0 and s == chunk_starts[t]:
                noise[:] = noise_next
            _noise_matches(sen, g0, gn, noise, matches)
            if not probe & PROBE_WALK:
                for k in range(n_neg):
                    simd.prefetch_row(w_out, noise_next[k] * dim, dim)
                for q in range(g0 + gn, min(n, g0 + 2 * gn)):
                    simd.prefetch_row(w_out, sen[q] * dim, dim)
                for q in range(g0 + gn + window, min(n, g0 + 2 * gn + window)):
                    simd.prefetch_row(w_in, sen[q] * dim, dim)
            group_loss, group_pairs, group_flops = _combined_group(
                w_in, w_out, sen, g0, gn, lo, rows, starts, stops, masks, noise, matches, alpha,
                scratch, out_grad, dim, probe)
            loss += group_loss
            pairs += group_pairs
            flops += group_flops
    return loss, pairs, flops


@njit(inline="always")
def _pair_chunk(w_in, w_out, ids, sentence_ends, chunk_starts, keep_prob, tables, params, t,
                dim):
    """Skip-gram, negative sampling, the exact per-pair rule (centre input -> outside word)."""
    n_neg = params.negative
    state = _chunk_state(params, t)
    sen = np.empty(_max_sentence(sentence_ends, chunk_starts), dtype=np.int32)
    ctx = np.empty(2 * params.window, dtype=np.int32)
    negs = np.empty(n_neg, dtype=np.int32)
    coef = np.empty(n_neg + 1, dtype=np.float32)
    loss = 0.0
    pairs = 0
    flops = 0
    for s in range(chunk_starts[t], chunk_starts[t + 1]):
        state, n, alpha = _sentence(ids, sentence_ends, s, keep_prob, params, sen, state)
        for p in range(n):
            state, n_ctx = _window(sen, n, p, params, ctx, state)
            for i in range(n_ctx):
                state = _draw_negatives(state, tables, negs, n_neg)
                pair_loss, pair_flops = _pair_update(w_in, w_out, sen[p], ctx[i], negs, alpha,
                                                     coef, dim)
                loss += pair_loss
                flops += pair_flops
            pairs += n_ctx
    return loss, pairs, flops


@njit(inline="always")
def _block_chunk(w_in, w_out, ids, sentence_ends, chunk_starts, keep_prob, tables, params, t,
                 dim, cbow, loss_kind):
    """Every other mode: input rows predict the centre word through :func:`_block_update`.

    Skip-gram: each outside word's input vector on its own (word2vec.c's orientation); CBOW: the
    window's mean (or sum). ``cbow`` and ``loss_kind`` are compile-time constants.
    """
    n_neg = params.negative if loss_kind == NS else 0
    state = _chunk_state(params, t)
    sen = np.empty(_max_sentence(sentence_ends, chunk_starts), dtype=np.int32)
    ctx = np.empty(2 * params.window, dtype=np.int32)
    negs = np.empty(n_neg, dtype=np.int32)
    coef = np.empty(n_neg + 1, dtype=np.float32)
    probs = np.empty(w_out.shape[0] if loss_kind == SOFTMAX else 1, dtype=np.float64)
    loss = 0.0
    pairs = 0
    flops = 0
    for s in range(chunk_starts[t], chunk_starts[t + 1]):
        state, n, alpha = _sentence(ids, sentence_ends, s, keep_prob, params, sen, state)
        for p in range(n):
            state, n_ctx = _window(sen, n, p, params, ctx, state)
            if n_ctx == 0:
                continue
            blocks = 1 if cbow else n_ctx
            for i in range(blocks):
                rows = ctx[:n_ctx] if cbow else ctx[i:i + 1]
                state = _draw_negatives(state, tables, negs, n_neg)
                block_loss, block_flops = _block_update(w_in, w_out, rows, sen[p], negs, tables,
                                                        alpha, params.cbow_mean, coef, probs,
                                                        dim, loss_kind)
                loss += block_loss
                flops += block_flops
            pairs += blocks
    return loss, pairs, flops


# ---------------------------------------------------------------------------------------------
# Batch kernels: one compiled chunk function per (rule, dimension), run on a thread per chunk.
# Each factory's function names only the chunk walker it runs: Numba inlines every
# ``inline="always"`` call it sees before pruning dead branches, so one function for all modes
# would take much longer to compile. Threads are Python threads running ``nogil`` compiled code
# rather than ``prange``: Numba's parallel pipeline took about three times as long to compile
# the same walker.

#: Columns of the statistics a batch kernel returns, per chunk.
STAT_LOSS, STAT_PREDICTIONS, STAT_FLOPS = 0, 1, 2


def _make_combined_chunk(dim: int, probe: int = 0) -> Callable:
    @njit(nogil=True, fastmath=FASTMATH, cache=True)
    def sg_ns_combined(w_in, w_out, ids, sentence_ends, chunk_starts, keep_prob, tables, params,
                       t):
        return _combined_chunk(w_in, w_out, ids, sentence_ends, chunk_starts, keep_prob, tables,
                               params, t, dim, probe)

    return sg_ns_combined


def _make_pair_chunk(dim: int) -> Callable:
    @njit(nogil=True, fastmath=FASTMATH, cache=True)
    def sg_ns_pair(w_in, w_out, ids, sentence_ends, chunk_starts, keep_prob, tables, params, t):
        return _pair_chunk(w_in, w_out, ids, sentence_ends, chunk_starts, keep_prob, tables,
                           params, t, dim)

    return sg_ns_pair


def _make_block_chunk(dim: int, cbow: bool, loss_kind: int) -> Callable:
    @njit(nogil=True, fastmath=FASTMATH, cache=True)
    def block_modes(w_in, w_out, ids, sentence_ends, chunk_starts, keep_prob, tables, params, t):
        return _block_chunk(w_in, w_out, ids, sentence_ends, chunk_starts, keep_prob, tables,
                            params, t, dim, cbow, loss_kind)

    return block_modes


_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _pool(workers: int) -> ThreadPoolExecutor:
    """A process-wide pool of at least ``workers`` threads (grown, never shrunk)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None or _POOL._max_workers < workers:
            old = _POOL
            _POOL = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="w2v-kernel")
            if old is not None:
                old.shutdown(wait=False)
        return _POOL


class BatchKernel:
    """A compiled chunk function run over the chunks of a batch, one thread per chunk.

    Calling it trains a batch (see :func:`batch_kernel` for the arguments) and returns float64
    ``(T, 3)`` statistics. Chunk 0 runs in the calling thread and the others in a pool of
    threads; the compiled code releases the GIL, so they run in parallel (Hogwild). With one
    chunk nothing else runs, so the result is a deterministic function of the arguments.
    """

    def __init__(self, chunk: Callable) -> None:
        self.chunk = chunk

    def __call__(self, w_in, w_out, ids, sentence_ends, chunk_starts, keep_prob, tables,
                 params) -> np.ndarray:
        n_chunks = len(chunk_starts) - 1
        stats = np.zeros((n_chunks, 3), dtype=np.float64)
        args = (w_in, w_out, ids, sentence_ends, chunk_starts, keep_prob, tables, params)
        others = []
        if n_chunks > 1:
            pool = _pool(n_chunks - 1)
            others = [pool.submit(self.chunk, *args, t) for t in range(1, n_chunks)]
        if n_chunks:
            stats[0] = self.chunk(*args, 0)
        for t, future in enumerate(others, start=1):
            stats[t] = future.result()
        return stats


@functools.lru_cache(maxsize=None)
def batch_kernel(dim: int, model: str = "sg", loss: str = "ns",
                 kernel: str = "context-combining", probe: int = 0) -> BatchKernel:
    """The batch kernel for vector dimension ``dim``, ``model`` (sg, cbow), ``loss`` (ns, hs,
    softmax) and, for skip-gram with negative sampling, update rule ``kernel`` (one of
    :data:`KERNELS`).

    The kernel's signature is ``kernel(w_in, w_out, ids, sentence_ends, chunk_starts,
    keep_prob, tables, params) -> stats``:

    - ``w_in``: float32 ``(V, dim)``, ``w_out``: float32 ``(V, dim)`` (``(V - 1, dim)`` for
      hierarchical softmax), C-contiguous, updated in place;
    - ``ids``: int32 ``(N,)`` the batch's token ids; ``sentence_ends``: int64 ``(S,)`` exclusive
      sentence end offsets into ``ids``;
    - ``chunk_starts``: int64 ``(T + 1,)`` sentence indices: chunk ``t`` (one thread) trains
      sentences ``chunk_starts[t]`` to ``chunk_starts[t + 1] - 1``;
    - ``keep_prob``: float32 ``(V,)`` subsampling keep probabilities;
    - ``tables``: :class:`Tables`; ``params``: :class:`BatchParams`;
    - returns float64 ``(T, 3)``: per chunk, the summed loss (column :data:`STAT_LOSS`), the
      number of predictions trained (:data:`STAT_PREDICTIONS`: (outside, centre) pairs for
      skip-gram, centre words for CBOW) and the floating-point operations done
      (:data:`STAT_FLOPS`: an FMA counts two; scores, gradients and row updates, from the work
      actually done).

    For each sentence: tokens are subsampled (kept with probability ``keep_prob[id]``, drawn
    afresh every call), then for each kept centre word a window size ``b`` is drawn from
    ``[1, window]`` (or fixed, without ``shrink_windows``), and every kept word within ``b``
    positions is an outside word. The learning rate is linear in the global position of the
    sentence's first token (word2vec.c updates it every 10k words from a shared counter; here it
    depends only on the position, so it is the same whatever the thread count).

    ``probe`` (the roofline benchmark's ablations, :data:`PROBE_WALK` and friends; 0 trains)
    applies to the context-combining rule only.

    The first call for a new combination compiles (a few seconds) and caches the machine code on
    disk; later runs load it in well under a second.

    Raises:
        KeyError: unknown ``model``, ``loss`` or ``kernel``.
    """
    if kernel not in KERNELS:
        raise KeyError(kernel)
    if _MODEL_CODES[model] == SG and _LOSS_CODES[loss] == NS:
        if kernel != "pair":  # hogbatch is context combining with groups of one (params.group)
            return BatchKernel(_make_combined_chunk(int(dim), int(probe)))
        return BatchKernel(_make_pair_chunk(int(dim)))
    return BatchKernel(_make_block_chunk(int(dim), _MODEL_CODES[model] == CBOW,
                                         _LOSS_CODES[loss]))


# ---------------------------------------------------------------------------------------------
# Single steps of each rule, for the tests against w2vcli.reference (compiled per dimension).


@functools.lru_cache(maxsize=None)
def _step_functions(dim: int) -> dict[str, Callable]:
    @njit(nogil=True, fastmath=FASTMATH, cache=True)
    def pair(w_in, w_out, center, outside, negatives, alpha):
        coef = np.empty(negatives.shape[0] + 1, dtype=np.float32)
        return _pair_update(w_in, w_out, center, outside, negatives, alpha, coef, dim)[0]

    @njit(nogil=True, fastmath=FASTMATH, cache=True)
    def combined(w_in, w_out, sen, g0, gn, radii, noise, alpha):
        n = sen.shape[0]
        starts = np.empty(gn, dtype=np.int64)
        stops = np.empty(gn, dtype=np.int64)
        lo = n
        hi = 0
        for g in range(gn):
            starts[g] = max(0, g0 + g - radii[g])
            stops[g] = min(n, g0 + g + radii[g] + 1)
            lo = min(lo, starts[g])
            hi = max(hi, stops[g])
        rows = hi - lo
        masks = np.zeros(rows, dtype=np.uint64)
        for g in range(gn):
            bit = np.uint64(1) << np.uint64(g)
            for q in range(starts[g], stops[g]):
                masks[q - lo] |= bit
            masks[g0 + g - lo] &= ~bit
        matches = np.empty(noise.shape[0], dtype=np.uint64)
        _noise_matches(sen, g0, gn, noise, matches)
        scratch = _group_scratch(rows, gn, noise.shape[0])
        out_grad = np.empty((gn + noise.shape[0], dim), dtype=np.float32)
        loss, pairs, _ = _combined_group(w_in, w_out, sen, g0, gn, lo, rows, starts, stops,
                                         masks, noise, matches, alpha, scratch, out_grad, dim, 0)
        return loss, pairs

    @njit(nogil=True, fastmath=FASTMATH, cache=True)
    def block(w_in, w_out, rows, target, negatives, tables, alpha, mean, loss_kind):
        coef = np.empty(negatives.shape[0] + 1, dtype=np.float32)
        probs = np.empty(w_out.shape[0], dtype=np.float64)
        if loss_kind == NS:
            return _block_update(w_in, w_out, rows, target, negatives, tables, alpha, mean,
                                 coef, probs, dim, NS)[0]
        if loss_kind == HS:
            return _block_update(w_in, w_out, rows, target, negatives, tables, alpha, mean,
                                 coef, probs, dim, HS)[0]
        return _block_update(w_in, w_out, rows, target, negatives, tables, alpha, mean, coef,
                             probs, dim, SOFTMAX)[0]

    return {"pair": pair, "combined": combined, "block": block}


def sgns_pair_update(w_in: np.ndarray, w_out: np.ndarray, center: int, outside: int,
                     negatives: np.ndarray, alpha: float) -> float:
    """One exact SGD step of negative sampling for one (centre, outside) pair, in place.

    Args:
        w_in: float32 ``(V, d)`` centre (input) vectors; row ``center`` is updated.
        w_out: float32 ``(V, d)`` outside (output) vectors; rows ``outside`` and ``negatives``
            are updated.
        center, outside: word ids.
        negatives: int32 ``(K,)`` noise ids; ids equal to ``outside`` are skipped (word2vec.c).
        alpha: learning rate.

    Returns:
        The pair's loss before the step, ``-log s(u_o.v_c) - sum_k log s(-u_k.v_c)`` (float64).
        Equal to :func:`w2vcli.reference.sgns_sgd_step` to float32 rounding.
    """
    return _step_functions(w_in.shape[1])["pair"](w_in, w_out, center, outside, negatives, alpha)


def context_combining_update(w_in: np.ndarray, w_out: np.ndarray, sentence: np.ndarray,
                             first: int, count: int, radii: np.ndarray, noise: np.ndarray,
                             alpha: float) -> tuple[float, int]:
    """One context-combining SGD step (Rengasamy et al. 2017), in place.

    The centre words are ``sentence[first:first + count]`` (``count`` <= 64), centre ``g``'s
    window holds the words within ``radii[g]`` positions of it, and the ``K`` noise words are
    shared by the whole group; see :func:`_combined_group`. With ``count == 1`` this is
    HogBatch's window step (Ji et al. 2016).

    Args:
        w_in, w_out: float32 ``(V, d)`` input and output vectors, updated.
        sentence: int32 ``(n,)`` word ids of the (subsampled) sentence.
        first, count: the group's centre positions.
        radii: int64 ``(count,)`` window half-widths, >= 1.
        noise: int32 ``(K,)`` noise words.
        alpha: learning rate.

    Returns:
        ``(loss before the step, (outside, centre) pairs)``. Equal to
        :func:`w2vcli.reference.combined_sgd_step` (and for one centre word
        :func:`w2vcli.reference.window_sgd_step`) up to the sigmoid table.
    """
    return _step_functions(w_in.shape[1])["combined"](w_in, w_out, sentence, first, count,
                                                      radii, noise, alpha)


def block_update(w_in: np.ndarray, w_out: np.ndarray, rows: np.ndarray, target: int,
                 negatives: np.ndarray, tables: Tables, alpha: float, mean: bool,
                 loss_kind: int) -> float:
    """One SGD step of input rows predicting ``target`` (the rule of every other mode).

    Args:
        w_in: float32 ``(V, d)``; rows ``rows`` are updated.
        w_out: float32 output matrix (``(V, d)``, or ``(V - 1, d)`` for hierarchical softmax).
        rows: int32 ``(n,)`` input rows: one for skip-gram, the window for CBOW.
        target: the word to predict.
        negatives: int32 ``(K,)`` noise words (negative sampling; ids equal to ``target``
            skipped).
        tables: :class:`Tables` (Huffman codes for hierarchical softmax).
        alpha: learning rate.
        mean: average the rows (CBOW's default) rather than sum them.
        loss_kind: :data:`NS`, :data:`HS` or :data:`SOFTMAX`.

    Returns:
        The loss before the step (float64). Checked against
        :func:`w2vcli.reference.output_sgd_step` (up to the sigmoid table for NS and HS).
    """
    return _step_functions(w_in.shape[1])["block"](w_in, w_out, rows, target, negatives, tables,
                                                   alpha, mean, loss_kind)
