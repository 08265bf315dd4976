"""Numba kernels for word2vec: skip-gram and CBOW with negative sampling, hierarchical softmax
or the exact softmax.

Kernels take arrays and scalars and update the weight matrices in place; Python
(:mod:`w2vcli.train`) owns epochs, the learning-rate schedule, progress and errors. One call of a
batch kernel (:func:`batch_kernel`) trains a batch of sentences: ``prange`` over per-thread
chunks of the batch, each updating the shared float32 matrices without locks (Hogwild, Recht et
al. 2011, as word2vec.c and gensim do). With one chunk (``--threads 1``) the result is a
deterministic function of the seed.

Skip-gram with negative sampling has two update rules (``--kernel``):

``pair``
    :func:`sgns_pair_update` computes all K+1 dot products before touching any row, so it is
    exactly one SGD step of the negative-sampling loss with every gradient taken at the
    parameters before the step (repeated noise words summed), which is what
    :func:`w2vcli.reference.sgns_sgd_step` computes. word2vec.c instead updates each output row
    as it goes, which differs from this only when a noise word repeats within one pair.
``hogbatch``
    :func:`hogbatch_window_update`: pWord2Vec's HogBatch (Ji et al. 2016), one set of noise
    words per window, checked against :func:`w2vcli.reference.window_sgd_step`.

Every other mode goes through :func:`block_update`: input rows (one outside word for
skip-gram, the window's mean or sum for CBOW) predict the centre word through negative sampling,
the Huffman path of hierarchical softmax, or the full softmax, as word2vec.c orders them;
checked against :func:`w2vcli.reference.output_sgd_step`.

Batch kernels are compiled per vector dimension (:func:`batch_kernel` closes over it), so the
loops over a row have a trip count known at compile time: LLVM unrolls and vectorises them
without remainder handling (a window update took 1,040 ns against 1,232 ns with a run-time
dimension, in a micro-benchmark of 6 x 6 rows of 100). The per-row code lives
in module-level ``inline="always"`` functions that take the dimension as an argument, so the
same code is what the tests run with a run-time dimension.

Random numbers come from SplitMix64 (Steele et al. 2014), one stream per chunk, seeded from the
run's seed, the batch and the chunk, so no state is shared between threads.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from numba import njit, prange

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

#: Names of the update rules, for ``--kernel``.
KERNELS = ("hogbatch", "pair")


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


# ---------------------------------------------------------------------------------------------
# Update rules. ``dim`` is the vector dimension: a compile-time constant in the batch kernels.


@njit(inline="always")
def _ns_output(v, w_out, target, negatives, alpha, grad, coef, dim):
    """Negative sampling for input vector ``v``: updates the output rows, sets ``grad``.

    All scores are taken before any row moves, so this is one exact SGD step (repeated noise
    words summed); ``grad`` receives ``-alpha * dJ/dv`` for the caller to add to the input
    row(s). Noise ids equal to ``target`` are skipped. Returns the loss before the step.
    """
    n_neg = negatives.shape[0]
    loss = 0.0
    for j in range(n_neg + 1):
        if j == 0:
            row = target
        else:
            row = negatives[j - 1]
            if row == target:
                coef[j] = 0.0
                continue
        u = w_out[row]
        f = np.float32(0.0)
        for i in range(dim):
            f += u[i] * v[i]
        label = 1.0 if j == 0 else 0.0
        coef[j] = (label - 1.0 / (1.0 + math.exp(-f))) * alpha
        loss += _softplus(-f) if j == 0 else _softplus(f)
    u = w_out[target]
    c = coef[0]
    for i in range(dim):
        grad[i] = c * u[i]
    for j in range(1, n_neg + 1):
        c = coef[j]
        if c != 0.0:
            u = w_out[negatives[j - 1]]
            for i in range(dim):
                grad[i] += c * u[i]
    for j in range(n_neg + 1):
        c = coef[j]
        if c != 0.0:
            u = w_out[target if j == 0 else negatives[j - 1]]
            for i in range(dim):
                u[i] += c * v[i]
    return loss


@njit(inline="always")
def _hs_output(v, w_out, codes, points, length, alpha, grad, dim):
    """Hierarchical softmax for input vector ``v`` along one word's Huffman path.

    Node ``points[k]`` has label ``1 - codes[k]`` (word2vec.c's convention). The nodes of a path
    are distinct, so updating each right after its score is still one SGD step with every
    gradient taken before the step. Sigmoid and loss come from the tables, as in HogBatch (a path
    has about log2(V) nodes, and exact ``exp`` calls would double the cost); unlike word2vec.c,
    nodes scored beyond +-MAX_EXP still get their (clipped) update rather than none. ``grad``
    receives ``-alpha * dJ/dv``. Returns the loss before the step.
    """
    for i in range(dim):
        grad[i] = 0.0
    loss = 0.0
    for k in range(length):
        u = w_out[points[k]]
        f = np.float32(0.0)
        for i in range(dim):
            f += u[i] * v[i]
        positive = codes[k] == 0
        sig, node_loss = _sigmoid_and_loss(f, positive)
        c = ((1.0 if positive else 0.0) - sig) * alpha
        loss += node_loss
        if c != 0.0:  # a saturated, correct node: no write, so no cache line shared with others
            for i in range(dim):
                grad[i] += c * u[i]
            for i in range(dim):
                u[i] += c * v[i]
    return loss


@njit(inline="always")
def _softmax_output(v, w_out, target, alpha, grad, probs, dim):
    """Exact (naive) softmax over every output row for input vector ``v`` (CS224n).

    ``probs`` is float64 ``(V,)`` scratch. ``grad`` receives ``-alpha * dJ/dv``; every output row
    moves. Returns the loss ``-log softmax(W_out v)[target]`` before the step.
    """
    n_words = w_out.shape[0]
    top = -np.inf
    for w in range(n_words):
        u = w_out[w]
        f = np.float32(0.0)
        for i in range(dim):
            f += u[i] * v[i]
        probs[w] = f
        top = max(top, probs[w])
    target_score = probs[target]
    total = 0.0
    for w in range(n_words):
        probs[w] = math.exp(probs[w] - top)
        total += probs[w]
    loss = math.log(total) - (target_score - top)
    for i in range(dim):
        grad[i] = 0.0
    for w in range(n_words):
        c = ((1.0 if w == target else 0.0) - probs[w] / total) * alpha
        probs[w] = c
        u = w_out[w]
        for i in range(dim):
            grad[i] += c * u[i]
    for w in range(n_words):
        c = probs[w]
        u = w_out[w]
        for i in range(dim):
            u[i] += c * v[i]
    return loss


@njit(inline="always")
def _add_grad(row, grad, dim):
    for i in range(dim):
        row[i] += grad[i]


@njit(inline="always")
def _pair_update(w_in, w_out, center, outside, negatives, alpha, grad_center, coef, dim):
    v = w_in[center]
    loss = _ns_output(v, w_out, outside, negatives, alpha, grad_center, coef, dim)
    _add_grad(v, grad_center, dim)
    return loss


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
    return _pair_update(
        w_in, w_out, center, outside, negatives, alpha, grad_center, coef, w_in.shape[1]
    )


@njit(inline="always")
def _window_update(w_in, w_out, ctx, outs, alpha, in_rows, out_rows, coef, dim):
    n_ctx = ctx.shape[0]
    n_out = outs.shape[0]
    # Dense copies of the block's rows: the gradients of each side need the other side's
    # values from before the step, and local rows keep the inner loops free of aliasing.
    for i in range(n_ctx):
        src = w_in[ctx[i]]
        dst = in_rows[i]
        for x in range(dim):
            dst[x] = src[x]
    for j in range(n_out):
        src = w_out[max(outs[j], 0)]
        dst = out_rows[j]
        for x in range(dim):
            dst[x] = src[x]
    loss = 0.0
    for i in range(n_ctx):
        v = in_rows[i]
        for j in range(n_out):
            if outs[j] < 0:
                coef[i, j] = 0.0
                continue
            u = out_rows[j]
            f = np.float32(0.0)
            for x in range(dim):
                f += v[x] * u[x]
            sig, pair_loss = _sigmoid_and_loss(f, j == 0)
            coef[i, j] = ((1.0 if j == 0 else 0.0) - sig) * alpha
            loss += pair_loss
    # w_in[ctx] += coef @ out_rows;  w_out[outs] += coef^T @ in_rows.
    for i in range(n_ctx):
        dst = w_in[ctx[i]]
        for j in range(n_out):
            c = coef[i, j]
            if c != 0.0:
                u = out_rows[j]
                for x in range(dim):
                    dst[x] += c * u[x]
    for j in range(n_out):
        if outs[j] < 0:
            continue
        dst = w_out[outs[j]]
        for i in range(n_ctx):
            c = coef[i, j]
            if c != 0.0:
                v = in_rows[i]
                for x in range(dim):
                    dst[x] += c * v[x]
    return loss


@njit(nogil=True, fastmath=FASTMATH, cache=True)
def hogbatch_window_update(
    w_in: np.ndarray,
    w_out: np.ndarray,
    ctx: np.ndarray,
    outs: np.ndarray,
    alpha: float,
    in_rows: np.ndarray,
    out_rows: np.ndarray,
    coef: np.ndarray,
) -> float:
    """One HogBatch minibatch SGD step for a centre word's window, in place.

    pWord2Vec's scheme (Ji et al. 2016, "Parallelizing Word2Vec in Shared and Distributed
    Memory"): the input vectors of the window's ``n`` outside words form an ``n x d`` block, and
    the output vectors of the centre word (label 1) and of ``K`` noise words drawn once for the
    whole window (label 0) a ``(K + 1) x d`` block. The ``n x (K + 1)`` scores are computed
    together, then both blocks get one SGD step with every gradient taken before the step. Each
    (outside, centre) pair still sees ``K`` noise words, as in word2vec.c (whose skip-gram
    likewise updates the outside word's input vector to predict the centre word); what changes
    is that the noise words are shared within a window, so the ``K + 1`` output rows are read
    and written once per window instead of once per pair. Sigmoid and -log(sigmoid) come from
    tables with scores clipped at +-``MAX_EXP`` (word2vec.c's scheme).

    Args:
        w_in: float32 ``(V, d)`` input vectors; rows ``ctx`` are updated.
        w_out: float32 ``(V, d)`` output vectors; rows ``outs`` (those >= 0) are updated.
        ctx: int32 ``(n,)`` the window's outside words (the block's input rows).
        outs: int32 ``(K + 1,)``: the centre word (label 1), then the noise words (label 0);
            -1 marks a noise word to skip (one equal to the centre word).
        alpha: learning rate.
        in_rows: float32 ``(>= n, d)``, out_rows: float32 ``(K + 1, d)``, coef: float32
            ``(>= n, K + 1)``: scratch space.

    Returns:
        Summed loss of the ``n`` (outside, centre) pairs before the step (float64).
    """
    return _window_update(w_in, w_out, ctx, outs, alpha, in_rows, out_rows, coef, w_in.shape[1])


SG, CBOW = 0, 1
NS, HS, SOFTMAX = 0, 1, 2
MODELS = {"sg": SG, "cbow": CBOW}
LOSSES = {"ns": NS, "hs": HS, "softmax": SOFTMAX}


@njit(inline="always")
def _block_update(w_in, w_out, rows, target, negatives, tables, alpha, mean, hidden, grad, coef,
                  probs, dim, loss_kind):
    """Input rows ``rows`` (their mean or sum) predict word ``target``: one SGD step.

    Skip-gram passes one row, CBOW the window's rows (word2vec.c: ``neu1 /= cw`` with the mean,
    and ``-alpha * dJ/dneu1`` added to every context row). Returns the loss before the step.
    """
    for x in range(dim):
        hidden[x] = 0.0
    for i in range(rows.shape[0]):
        v = w_in[rows[i]]
        for x in range(dim):
            hidden[x] += v[x]
    if mean and rows.shape[0] > 1:
        scale = np.float32(1.0 / rows.shape[0])
        for x in range(dim):
            hidden[x] *= scale
    if loss_kind == NS:
        loss = _ns_output(hidden, w_out, target, negatives, alpha, grad, coef, dim)
    elif loss_kind == HS:
        loss = _hs_output(hidden, w_out, tables.codes[target], tables.points[target],
                          tables.code_lengths[target], alpha, grad, dim)
    else:
        loss = _softmax_output(hidden, w_out, target, alpha, grad, probs, dim)
    for i in range(rows.shape[0]):
        _add_grad(w_in[rows[i]], grad, dim)
    return loss


@njit(nogil=True, fastmath=FASTMATH, cache=True)
def block_update(w_in: np.ndarray, w_out: np.ndarray, rows: np.ndarray, target: int,
                 negatives: np.ndarray, tables: "Tables", alpha: float, mean: bool,
                 loss_kind: int) -> float:
    """One SGD step of input rows predicting ``target`` (the rule of every non-HogBatch mode).

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
        :func:`w2vcli.reference.output_sgd_step`.
    """
    dim = w_in.shape[1]
    hidden = np.empty(dim, dtype=np.float32)
    grad = np.empty(dim, dtype=np.float32)
    coef = np.empty(negatives.shape[0] + 1, dtype=np.float32)
    probs = np.empty(w_out.shape[0], dtype=np.float64)
    return _block_update(w_in, w_out, rows, target, negatives, tables, alpha, mean, hidden, grad,
                         coef, probs, dim, loss_kind)


# ---------------------------------------------------------------------------------------------
# One chunk of a batch: a run of sentences trained by one thread.


@njit(inline="always")
def _window(sen, n, p, params, ctx, state):
    """Outside words of position ``p`` into ``ctx``; returns ``(state, count)``."""
    b = params.window
    if params.shrink_windows:
        state, r = _splitmix64(state)
        b = 1 + _below(r, params.window)
    n_ctx = 0
    for q in range(max(0, p - b), min(n, p + b + 1)):
        if q != p:
            ctx[n_ctx] = sen[q]
            n_ctx += 1
    return state, n_ctx


@njit(inline="always")
def _draw_negatives(state, tables, out, count):
    """``count`` noise words into ``out``; returns the new state."""
    for k in range(count):
        state, r = _splitmix64(state)
        out[k] = _draw_noise(r, tables.noise_threshold, tables.noise_alias)
    return state


@njit(inline="always")
def _hogbatch_chunk(w_in, w_out, ids, sentence_ends, chunk_starts, keep_prob, tables, params, t,
                    dim):
    """Skip-gram, negative sampling, HogBatch: one block update per centre word."""
    n_neg = params.negative
    state = _chunk_state(params, t)
    sen = np.empty(_max_sentence(sentence_ends, chunk_starts), dtype=np.int32)
    ctx = np.empty(2 * params.window, dtype=np.int32)
    outs = np.empty(n_neg + 1, dtype=np.int32)
    coef = np.empty((2 * params.window, n_neg + 1), dtype=np.float32)
    in_rows = np.empty((2 * params.window, dim), dtype=np.float32)
    out_rows = np.empty((n_neg + 1, dim), dtype=np.float32)
    loss = 0.0
    pairs = 0
    for s in range(chunk_starts[t], chunk_starts[t + 1]):
        start = 0 if s == 0 else sentence_ends[s - 1]
        alpha = _chunk_alpha(params, start)
        state, n = _subsample(ids, start, sentence_ends[s], keep_prob, sen, state)
        for p in range(n):
            state, n_ctx = _window(sen, n, p, params, ctx, state)
            if n_ctx == 0:
                continue
            center = sen[p]
            outs[0] = center
            state = _draw_negatives(state, tables, outs[1:], n_neg)
            for k in range(1, n_neg + 1):
                if outs[k] == center:
                    outs[k] = -1
            loss += _window_update(w_in, w_out, ctx[:n_ctx], outs, alpha, in_rows, out_rows, coef,
                                   dim)
            pairs += n_ctx
    return loss, pairs


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
    grad = np.empty(dim, dtype=np.float32)
    loss = 0.0
    pairs = 0
    for s in range(chunk_starts[t], chunk_starts[t + 1]):
        start = 0 if s == 0 else sentence_ends[s - 1]
        alpha = _chunk_alpha(params, start)
        state, n = _subsample(ids, start, sentence_ends[s], keep_prob, sen, state)
        for p in range(n):
            state, n_ctx = _window(sen, n, p, params, ctx, state)
            for i in range(n_ctx):
                state = _draw_negatives(state, tables, negs, n_neg)
                loss += _pair_update(w_in, w_out, sen[p], ctx[i], negs, alpha, grad, coef, dim)
            pairs += n_ctx
    return loss, pairs


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
    grad = np.empty(dim, dtype=np.float32)
    hidden = np.empty(dim, dtype=np.float32)
    probs = np.empty(w_out.shape[0] if loss_kind == SOFTMAX else 1, dtype=np.float64)
    loss = 0.0
    pairs = 0
    for s in range(chunk_starts[t], chunk_starts[t + 1]):
        start = 0 if s == 0 else sentence_ends[s - 1]
        alpha = _chunk_alpha(params, start)
        state, n = _subsample(ids, start, sentence_ends[s], keep_prob, sen, state)
        for p in range(n):
            state, n_ctx = _window(sen, n, p, params, ctx, state)
            if n_ctx == 0:
                continue
            blocks = 1 if cbow else n_ctx
            for i in range(blocks):
                rows = ctx[:n_ctx] if cbow else ctx[i:i + 1]
                state = _draw_negatives(state, tables, negs, n_neg)
                loss += _block_update(w_in, w_out, rows, sen[p], negs, tables, alpha,
                                      params.cbow_mean, hidden, grad, coef, probs, dim, loss_kind)
            pairs += blocks
    return loss, pairs


# ---------------------------------------------------------------------------------------------
# Batch kernels, compiled per (model, loss, update rule, dimension). Each factory's kernel names
# only the chunk function it runs: Numba inlines every ``inline="always"`` call it sees before
# pruning dead branches, so one kernel for all modes would take twice as long to compile.


def _make_hogbatch_kernel(dim: int) -> Callable:
    @njit(parallel=True, nogil=True, fastmath=FASTMATH, cache=True)
    def sg_ns_hogbatch(w_in, w_out, ids, sentence_ends, chunk_starts, keep_prob, tables, params):
        n_chunks = chunk_starts.shape[0] - 1
        stats = np.zeros((n_chunks, 2), dtype=np.float64)
        for t in prange(n_chunks):
            loss, pairs = _hogbatch_chunk(w_in, w_out, ids, sentence_ends, chunk_starts,
                                          keep_prob, tables, params, t, dim)
            stats[t, 0] = loss
            stats[t, 1] = pairs
        return stats

    return sg_ns_hogbatch


def _make_pair_kernel(dim: int) -> Callable:
    @njit(parallel=True, nogil=True, fastmath=FASTMATH, cache=True)
    def sg_ns_pair(w_in, w_out, ids, sentence_ends, chunk_starts, keep_prob, tables, params):
        n_chunks = chunk_starts.shape[0] - 1
        stats = np.zeros((n_chunks, 2), dtype=np.float64)
        for t in prange(n_chunks):
            loss, pairs = _pair_chunk(w_in, w_out, ids, sentence_ends, chunk_starts, keep_prob,
                                      tables, params, t, dim)
            stats[t, 0] = loss
            stats[t, 1] = pairs
        return stats

    return sg_ns_pair


def _make_block_kernel(dim: int, cbow: bool, loss_kind: int) -> Callable:
    @njit(parallel=True, nogil=True, fastmath=FASTMATH, cache=True)
    def block_modes(w_in, w_out, ids, sentence_ends, chunk_starts, keep_prob, tables, params):
        n_chunks = chunk_starts.shape[0] - 1
        stats = np.zeros((n_chunks, 2), dtype=np.float64)
        for t in prange(n_chunks):
            loss, pairs = _block_chunk(w_in, w_out, ids, sentence_ends, chunk_starts, keep_prob,
                                       tables, params, t, dim, cbow, loss_kind)
            stats[t, 0] = loss
            stats[t, 1] = pairs
        return stats

    return block_modes


@functools.lru_cache(maxsize=None)
def batch_kernel(dim: int, model: str = "sg", loss: str = "ns", kernel: str = "hogbatch"
                 ) -> Callable[..., np.ndarray]:
    """The batch kernel for vector dimension ``dim``, ``model`` (sg, cbow), ``loss`` (ns, hs,
    softmax) and, for skip-gram with negative sampling, update rule ``kernel`` (hogbatch, pair).

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
    - returns float64 ``(T, 2)``: per chunk, the summed loss and the number of predictions
      trained ((outside, centre) pairs for skip-gram, centre words for CBOW).

    For each sentence: tokens are subsampled (kept with probability ``keep_prob[id]``, drawn
    afresh every call), then for each kept centre word a window size ``b`` is drawn from
    ``[1, window]`` (or fixed, without ``shrink_windows``), and every kept word within ``b``
    positions is an outside word. The learning rate is linear in the global position of the
    sentence's first token (word2vec.c updates it every 10k words from a shared counter; here it
    depends only on the position, so it is the same whatever the thread count).

    The first call for a new combination compiles (a few seconds) and caches the machine code on
    disk; later runs load it in well under a second.

    Raises:
        KeyError: unknown ``model``, ``loss`` or ``kernel``.
    """
    if kernel not in KERNELS:
        raise KeyError(kernel)
    if MODELS[model] == SG and LOSSES[loss] == NS:
        return (_make_hogbatch_kernel if kernel == "hogbatch" else _make_pair_kernel)(int(dim))
    return _make_block_kernel(int(dim), MODELS[model] == CBOW, LOSSES[loss])
