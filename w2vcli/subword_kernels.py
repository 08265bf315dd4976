"""Numba kernels of fastText's subword model (Bojanowski et al. 2017, *Enriching Word Vectors
with Subword Information*; fastText's ``FastText::skipgram``, ``FastText::cbow`` and
``Model::update``).

Each word ``w`` has input rows ``S(w)``: its own row ``w`` and the rows its character n-grams
hash to (:mod:`w2vcli.subwords`; a row may repeat, as in fastText). Its input representation is
the mean ``h(w) = (1/|S(w)|) sum_{r in S(w)} W_in[r]``. The output rows are one per word
(negative sampling) or one per inner node of the Huffman tree (hierarchical softmax), as in the
word model.

Orientation (fastText's, the reverse of word2vec.c's skip-gram): in skip-gram the centre word's
``h`` predicts each outside word of its window; in CBOW the mean of all the input rows of all
the window's words (every row of every context word, one list) predicts the centre word.

The update (fastText's ``Model::update`` with ``BinaryLogisticLoss::binaryLogistic``): for each
prediction, an output row ``u`` with label ``y`` and score ``f = u.h`` moves by
``alpha * (y - sigmoid(f)) * h``, the gradient with respect to ``h``, ``g = sum alpha * (y -
sigmoid(f)) * u`` (``u`` before its move), is accumulated, and then *every* input row in the
list, each time it appears, gets the whole of ``g``. fastText divides ``g`` by the number of
rows only for its supervised model (``normalizeGradient = (args_->model == model_name::sup)``
in ``FastText::buildModel``; ``if (normalizeGradient_) grad.mul(1.0 / input.size())`` in
``Model::update``), so for skip-gram and CBOW each input row takes ``|S|`` times its gradient
of the loss of the mean (a row appearing ``k`` times in ``S`` has gradient ``k/|S| g`` and
takes ``k g``): the step on the input rows is the gradient step scaled by the number of rows,
in the gradient's direction. This is what the vectors fastText users know were trained with,
so it is followed here (:func:`w2vcli.reference.subword_sgd_step` states it and the tests
check it against finite differences of the loss of the mean).

Skip-gram computes ``h`` once per centre word and, like HogBatch (Ji et al. 2016), takes one
SGD step for the whole window: every output row's score against ``h``, every output row's move
and the accumulated ``g`` from the rows before the step, then each input row of the centre word
moves once by ``g``. fastText instead recomputes ``h`` and moves the centre word's input rows
after every outside word, which reads and writes its ~20 input rows once per outside word
instead of once per window. The noise words of negative sampling are drawn either per (centre,
outside) pair, as fastText does (``--kernel pair``, what ``--subwords`` trains with unless
told), or once per window and shared by its pairs (``hogbatch`` and ``context-combining``): a
shared noise word is scored once against ``h`` and its coefficient weighted by the number of the
window's pairs it counts for. Per window is about a third cheaper, but on text8_head at
fastText's own settings (lr 0.05, t 1e-4) it scored 0.03 analogy and 0.06 WS353 rho below
fastText, where per pair matched it (the README's subword section has the figures). A noise
word equal to a pair's target is skipped, as in the word kernels (fastText draws again).

CBOW is one prediction per centre word, exactly fastText's update (through
:func:`w2vcli.kernels._block_update` with the window's input rows).

Frequent-word subsampling, the shrunk window, the learning-rate schedule, the random streams
and the thread structure (:class:`w2vcli.kernels.BatchKernel`, Hogwild) are the word kernels'.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np
from numba import njit

from w2vcli import simd
from w2vcli.kernels import (FASTMATH, HS, NS, BatchKernel, Tables, _add_to_row, _block_update,
                            _chunk_state, _draw_negatives, _max_sentence, _negative, _positive,
                            _sentence, _window)
from w2vcli.subwords import EOS


class SubwordTables(NamedTuple):
    """The output layer's tables (as :class:`w2vcli.kernels.Tables`) and every word's input rows.

    Attributes:
        noise_threshold, noise_alias, codes, points, code_lengths: as
            :class:`w2vcli.kernels.Tables`.
        offsets: int64 ``(V + 1,)``; word ``w``'s input rows are
            ``rows[offsets[w]:offsets[w + 1]]`` (:func:`w2vcli.subwords.subword_table`).
        rows: int32: the word's own row first, then its n-gram rows ``V + hash % bucket``.
        max_rows: the most input rows of any word.
    """

    noise_threshold: np.ndarray
    noise_alias: np.ndarray
    codes: np.ndarray
    points: np.ndarray
    code_lengths: np.ndarray
    offsets: np.ndarray
    rows: np.ndarray
    max_rows: int


def subword_tables(tables: Tables, offsets: np.ndarray, rows: np.ndarray) -> SubwordTables:
    """:class:`SubwordTables` from the output ``tables`` and the input rows in CSR form
    (``offsets`` int64 ``(V + 1,)``, ``rows`` int32, as :func:`ngram_table` gives)."""
    offsets = np.ascontiguousarray(offsets, dtype=np.int64)
    most = int(np.diff(offsets).max()) if len(offsets) > 1 else 1
    return SubwordTables(*tables, offsets, np.ascontiguousarray(rows, dtype=np.int32),
                         max(most, 1))


# ---------------------------------------------------------------------------------------------
# The n-gram table, compiled: w2vcli.subwords.subword_table's rows at compiled speed.

_FNV_OFFSET = np.uint64(2166136261)
_FNV_PRIME = np.uint64(16777619)
_MASK32 = np.uint64(0xFFFFFFFF)


@njit(nogil=True, cache=True)
def _ngram_rows(data, starts, skip, minn, maxn, bucket, offsets, rows, fill):
    """Count (``fill`` false: ``offsets[w + 1]`` = word ``w``'s row count) or write (``rows``)
    every word's rows: its id, then ``V + fnv1a(ngram) % bucket`` for each n-gram of
    ``data[starts[w]:starts[w + 1]]`` (the UTF-8 bytes of ``<w>``), enumerated as fastText's
    ``computeSubwords`` does; bytes >= 0x80 are sign-extended as fastText's ``char``."""
    nwords = starts.shape[0] - 1
    for w in range(nwords):
        at = offsets[w]
        if fill:
            rows[at] = w
        count = 1
        a = starts[w]
        b = starts[w + 1]
        if not skip[w] and maxn > 0:
            for i in range(a, b):
                if data[i] & 0xC0 == 0x80:
                    continue
                h = _FNV_OFFSET
                j = i
                n = 1
                while j < b and n <= maxn:
                    h = ((h ^ _signed_byte(data[j])) * _FNV_PRIME) & _MASK32
                    j += 1
                    while j < b and data[j] & 0xC0 == 0x80:
                        h = ((h ^ _signed_byte(data[j])) * _FNV_PRIME) & _MASK32
                        j += 1
                    if n >= minn and not (n == 1 and (i == a or j == b)):
                        if fill:
                            rows[at + count] = nwords + int(h % np.uint64(bucket))
                        count += 1
                    n += 1
        if not fill:
            offsets[w + 1] = offsets[w] + count


@njit(inline="always")
def _signed_byte(byte):
    value = np.uint64(byte)
    return value | np.uint64(0xFFFFFF00) if byte >= 0x80 else value


def ngram_table(words: Sequence[str], minn: int, maxn: int,
                bucket: int) -> tuple[np.ndarray, np.ndarray]:
    """Every word's input rows, as :func:`w2vcli.subwords.subword_table` gives them (the same
    arrays), computed by compiled code: about a microsecond a word instead of tens.

    Returns:
        ``(offsets, rows)``: int64 ``(V + 1,)`` and int32; word ``i``'s rows are
        ``rows[offsets[i]:offsets[i + 1]]``, its own row ``i`` first.

    Raises:
        ValueError: ``minn`` or ``maxn`` out of order, a ``bucket`` below 1 with ``maxn`` > 0,
            or more rows than int32 ids can name.
    """
    if minn < 1 or (maxn and (maxn < minn or bucket < 1)):
        raise ValueError(f"need 1 <= minn <= maxn (or maxn 0) and bucket >= 1, got minn {minn}, "
                         f"maxn {maxn}, bucket {bucket}")
    if maxn and len(words) + bucket > 2**31 - 1:
        raise ValueError(f"{len(words):,} words and {bucket:,} buckets are more rows than "
                         "32-bit row ids (fastText's) can name; use a smaller --bucket")
    encoded = [f"<{w}>".encode("utf-8") for w in words]
    starts = np.zeros(len(words) + 1, dtype=np.int64)
    np.cumsum([len(e) for e in encoded], out=starts[1:])
    data = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    if data.size == 0:
        data = np.zeros(1, dtype=np.uint8)
    skip = np.array([w == EOS for w in words], dtype=np.bool_)
    offsets = np.zeros(len(words) + 1, dtype=np.int64)
    rows = np.zeros(1, dtype=np.int32)
    _ngram_rows(data, starts, skip, minn, maxn, max(bucket, 1), offsets, rows, False)
    rows = np.empty(offsets[-1], dtype=np.int32)
    _ngram_rows(data, starts, skip, minn, maxn, max(bucket, 1), offsets, rows, True)
    return offsets, rows


class SubwordLayout:
    """Where a subword model's input rows live while it trains.

    The model's input matrix has ``V + bucket`` rows (fastText's layout, what ``w_in.npy``
    stores): the word rows, then one row per hash bucket. Training only ever reads or writes the
    word rows and the ``U`` buckets that some vocabulary word's n-grams hash to (on text8_head
    with fastText's defaults, about 10% of 2,000,000), so it holds those alone, in a *compact*
    matrix of ``V + U`` rows: the word rows, then the used buckets in ascending order. That
    keeps the memory (and the pages the kernels touch) to what is trained; :meth:`expand` puts
    the rows back in the full layout, the unused buckets zero, and :meth:`compact` takes them
    out of it.

    Attributes:
        nwords: ``V``.
        bucket: buckets of the full layout.
        offsets: int64 ``(V + 1,)``; word ``w``'s input rows are
            ``rows[offsets[w]:offsets[w + 1]]``.
        rows: int32, row ids in the compact matrix: the word's own row ``w`` first, then its
            n-gram rows, in fastText's order and with its repeats.
        buckets: int64 ``(U,)``: compact row ``V + i`` is full row ``V + buckets[i]``.
    """

    def __init__(self, nwords: int, bucket: int, offsets: np.ndarray, rows: np.ndarray,
                 buckets: np.ndarray) -> None:
        self.nwords, self.bucket = nwords, bucket
        self.offsets, self.rows, self.buckets = offsets, rows, buckets

    @classmethod
    def build(cls, words: Sequence[str], minn: int, maxn: int, bucket: int) -> "SubwordLayout":
        """The layout of ``words``' n-grams (:func:`ngram_table`).

        Raises:
            ValueError: as :func:`ngram_table`.
        """
        offsets, rows = ngram_table(words, minn, maxn, bucket)
        nwords = len(words)
        ngram = rows >= nwords
        buckets = np.unique(rows[ngram]).astype(np.int64) - nwords
        rows[ngram] = nwords + np.searchsorted(buckets, rows[ngram] - nwords)
        return cls(nwords, bucket, offsets, rows, buckets)

    @property
    def input_rows(self) -> int:
        """Rows of the compact matrix, ``V + U``."""
        return self.nwords + len(self.buckets)

    def compact(self, full: np.ndarray) -> np.ndarray:
        """The compact matrix of a full float ``(V + bucket, d)`` one (a new float32 array)."""
        if full.shape[0] != self.nwords + self.bucket:
            raise ValueError(f"an input matrix of {full.shape[0]:,} rows is not the "
                             f"{self.nwords:,} + {self.bucket:,} of this model")
        out = np.empty((self.input_rows, full.shape[1]), dtype=np.float32)
        out[:self.nwords] = full[:self.nwords]
        out[self.nwords:] = full[self.nwords + self.buckets]
        return out

    def expand(self, compact: np.ndarray) -> np.ndarray:
        """The full float32 ``(V + bucket, d)`` matrix of a compact one; the buckets no word
        uses are zero (their pages are not written, so they cost no memory until read)."""
        full = np.zeros((self.nwords + self.bucket, compact.shape[1]), dtype=np.float32)
        full[:self.nwords] = compact[:self.nwords]
        full[self.nwords + self.buckets] = compact[self.nwords:]
        return full


# ---------------------------------------------------------------------------------------------
# One skip-gram window: the centre word's mean row predicts every outside word.


@njit(inline="always")
def _hidden(w_in, rows, a, b, dim):
    """Mean of the input rows ``rows[a:b]``."""
    h = simd.zeros(dim)
    for i in range(a, b):
        h = simd.add(h, simd.load(w_in, rows[i] * dim, dim))
    return simd.scale(1.0 / (b - a), h)


@njit(inline="always")
def _sg_window(w_in, w_out, tables, center, ctx, m, noise, per_pair, alpha, out_rows, out_coef,
               dim, loss_kind):
    """One SGD step of skip-gram with subwords for the centre word ``center`` and its outside
    words ``ctx[:m]``: every score is taken against the centre's mean input row ``h`` before
    any row moves; each output row moves by ``coef * h``, each input row of the centre word by
    the accumulated ``-alpha dJ/dh`` (fastText's rule, see the module's docstring).

    ``noise``: negative sampling's noise words, ``K`` per outside word (``per_pair``, ``m * K``
    entries) or ``K`` shared by the window (scored once, weighted by the pairs they count for).
    ``out_rows`` / ``out_coef``: scratch of at least ``m * (K + 1)`` (or ``m`` times the longest
    Huffman path) entries. Returns ``(loss before the step, flops)``.
    """
    offsets = tables.offsets
    a = offsets[center]
    b = offsets[center + 1]
    h = _hidden(w_in, tables.rows, a, b, dim)
    g = simd.zeros(dim)
    n_out = 0
    loss = 0.0
    if loss_kind == NS:
        n_neg = noise.shape[0] // m if per_pair else noise.shape[0]
        for j in range(m):
            o = ctx[j]
            u = simd.load(w_out, o * dim, dim)
            c, term = _positive(simd.dot(h, u), alpha)
            loss += term
            g = simd.axpy(c, u, g)
            out_rows[n_out] = o
            out_coef[n_out] = c
            n_out += 1
            if per_pair:
                for k in range(n_neg):
                    row = noise[j * n_neg + k]
                    if row == o:
                        continue
                    u = simd.load(w_out, row * dim, dim)
                    c, term = _negative(simd.dot(h, u), alpha)
                    loss += term
                    g = simd.axpy(c, u, g)
                    out_rows[n_out] = row
                    out_coef[n_out] = c
                    n_out += 1
        if not per_pair:
            for k in range(n_neg):
                row = noise[k]
                weight = 0
                for j in range(m):
                    if ctx[j] != row:
                        weight += 1
                if weight == 0:
                    continue
                u = simd.load(w_out, row * dim, dim)
                c, term = _negative(simd.dot(h, u), alpha)
                loss += weight * term
                c = c * weight
                g = simd.axpy(c, u, g)
                out_rows[n_out] = row
                out_coef[n_out] = c
                n_out += 1
    else:
        for j in range(m):
            o = ctx[j]
            for k in range(tables.code_lengths[o]):
                row = tables.points[o, k]
                u = simd.load(w_out, row * dim, dim)
                f = simd.dot(h, u)
                c, term = _positive(f, alpha) if tables.codes[o, k] == 0 else _negative(f, alpha)
                loss += term
                g = simd.axpy(c, u, g)
                out_rows[n_out] = row
                out_coef[n_out] = c
                n_out += 1
    for i in range(n_out):
        c = out_coef[i]
        if c != 0.0:
            at = out_rows[i] * dim
            simd.store(w_out, at, simd.axpy(c, h, simd.load(w_out, at, dim)))
    for i in range(a, b):
        _add_to_row(w_in, tables.rows[i], g, dim)
    return loss, (2 * (b - a) + 6 * n_out) * dim


# ---------------------------------------------------------------------------------------------
# One chunk of a batch (a run of sentences, one thread). Each returns (loss, predictions, flops).


@njit(inline="always")
def _sg_chunk(w_in, w_out, ids, sentence_ends, chunk_starts, keep_prob, tables, params, t, dim,
              loss_kind):
    """Skip-gram with subwords: one :func:`_sg_window` step per centre word. The next centre
    word's input rows are prefetched while this one trains."""
    n_neg = params.negative if loss_kind == NS else 0
    per_pair = params.group == 0
    window = params.window
    state = _chunk_state(params, t)
    sen = np.empty(_max_sentence(sentence_ends, chunk_starts), dtype=np.int32)
    ctx = np.empty(2 * window, dtype=np.int32)
    noise = np.empty(2 * window * n_neg if per_pair else n_neg, dtype=np.int32)
    width = max(n_neg, tables.codes.shape[1]) + 1
    out_rows = np.empty(2 * window * width, dtype=np.int32)
    out_coef = np.empty(2 * window * width, dtype=np.float32)
    offsets = tables.offsets
    loss = 0.0
    pairs = 0
    flops = 0
    for s in range(chunk_starts[t], chunk_starts[t + 1]):
        state, n, alpha = _sentence(ids, sentence_ends, s, keep_prob, params, sen, state)
        for p in range(n):
            state, m = _window(sen, n, p, params, ctx, state)
            if m == 0:
                continue
            if p + 1 < n:
                nxt = sen[p + 1]
                for i in range(offsets[nxt], offsets[nxt + 1]):
                    simd.prefetch_row(w_in, tables.rows[i] * dim, dim)
            drawn = noise[:m * n_neg] if per_pair else noise
            state = _draw_negatives(state, tables, drawn, drawn.shape[0])
            window_loss, window_flops = _sg_window(w_in, w_out, tables, sen[p], ctx, m, drawn,
                                                   per_pair, alpha, out_rows, out_coef, dim,
                                                   loss_kind)
            loss += window_loss
            flops += window_flops
            pairs += m
    return loss, pairs, flops


@njit(inline="always")
def _cbow_chunk(w_in, w_out, ids, sentence_ends, chunk_starts, keep_prob, tables, params, t,
                dim, loss_kind):
    """CBOW with subwords: the mean of every input row of every context word predicts the
    centre word (fastText's ``cbow``), one SGD step per centre word."""
    n_neg = params.negative if loss_kind == NS else 0
    state = _chunk_state(params, t)
    sen = np.empty(_max_sentence(sentence_ends, chunk_starts), dtype=np.int32)
    ctx = np.empty(2 * params.window, dtype=np.int32)
    bag = np.empty(2 * params.window * tables.max_rows, dtype=np.int32)
    negs = np.empty(n_neg, dtype=np.int32)
    coef = np.empty(n_neg + 1, dtype=np.float32)
    probs = np.empty(1, dtype=np.float64)
    offsets = tables.offsets
    loss = 0.0
    pairs = 0
    flops = 0
    for s in range(chunk_starts[t], chunk_starts[t + 1]):
        state, n, alpha = _sentence(ids, sentence_ends, s, keep_prob, params, sen, state)
        for p in range(n):
            state, m = _window(sen, n, p, params, ctx, state)
            if m == 0:
                continue
            size = 0
            for j in range(m):
                for i in range(offsets[ctx[j]], offsets[ctx[j] + 1]):
                    bag[size] = tables.rows[i]
                    size += 1
            state = _draw_negatives(state, tables, negs, n_neg)
            step_loss, step_flops = _block_update(w_in, w_out, bag[:size], sen[p], negs, tables,
                                                  alpha, params.cbow_mean, coef, probs, dim,
                                                  loss_kind)
            loss += step_loss
            flops += step_flops
            pairs += 1
    return loss, pairs, flops


def _make_sg_chunk(dim: int, loss_kind: int) -> Callable:
    @njit(nogil=True, fastmath=FASTMATH, cache=True)
    def subword_sg(w_in, w_out, ids, sentence_ends, chunk_starts, keep_prob, tables, params, t):
        return _sg_chunk(w_in, w_out, ids, sentence_ends, chunk_starts, keep_prob, tables,
                         params, t, dim, loss_kind)

    return subword_sg


def _make_cbow_chunk(dim: int, loss_kind: int) -> Callable:
    @njit(nogil=True, fastmath=FASTMATH, cache=True)
    def subword_cbow(w_in, w_out, ids, sentence_ends, chunk_starts, keep_prob, tables, params,
                     t):
        return _cbow_chunk(w_in, w_out, ids, sentence_ends, chunk_starts, keep_prob, tables,
                           params, t, dim, loss_kind)

    return subword_cbow


@functools.lru_cache(maxsize=None)
def subword_batch_kernel(dim: int, model: str = "sg", loss: str = "ns") -> BatchKernel:
    """The batch kernel of fastText's subword model for vector dimension ``dim``, ``model``
    (``sg``, ``cbow``) and ``loss`` (``ns``, ``hs``).

    Its signature is :func:`w2vcli.kernels.batch_kernel`'s, except that ``w_in`` is float32
    ``(V + bucket, dim)`` (word rows, then n-gram rows) and ``tables`` is a
    :class:`SubwordTables`. In ``params`` (:class:`w2vcli.kernels.BatchParams`), ``group`` 0
    draws skip-gram's noise words per (centre, outside) pair, any other value once per window.
    The statistics count (centre, outside) pairs for skip-gram and centre words for CBOW.

    Raises:
        KeyError: an unknown ``model``, or a ``loss`` other than ``ns`` and ``hs``.
    """
    loss_kind = {"ns": NS, "hs": HS}[loss]
    if model == "sg":
        return BatchKernel(_make_sg_chunk(int(dim), loss_kind))
    if model == "cbow":
        return BatchKernel(_make_cbow_chunk(int(dim), loss_kind))
    raise KeyError(model)


# ---------------------------------------------------------------------------------------------
# A single skip-gram step, for the tests against w2vcli.reference.


@functools.lru_cache(maxsize=None)
def _step_function(dim: int) -> Callable:
    @njit(nogil=True, fastmath=FASTMATH, cache=True)
    def sg_step(w_in, w_out, tables, center, ctx, noise, per_pair, alpha, loss_kind):
        m = ctx.shape[0]
        width = max(noise.shape[0], tables.codes.shape[1]) + 1
        out_rows = np.empty(m * width + noise.shape[0], dtype=np.int32)
        out_coef = np.empty(m * width + noise.shape[0], dtype=np.float32)
        if loss_kind == NS:
            return _sg_window(w_in, w_out, tables, center, ctx, m, noise, per_pair, alpha,
                              out_rows, out_coef, dim, NS)[0]
        return _sg_window(w_in, w_out, tables, center, ctx, m, noise, per_pair, alpha,
                          out_rows, out_coef, dim, HS)[0]

    return sg_step


def subword_sg_update(w_in: np.ndarray, w_out: np.ndarray, tables: SubwordTables, center: int,
                      outside: np.ndarray, noise: np.ndarray, alpha: float, per_pair: bool,
                      loss_kind: int) -> float:
    """One skip-gram window step of the subword model, in place (see :func:`_sg_window`).

    Args:
        w_in: float32 ``(V + bucket, d)``; the centre word's input rows move.
        w_out: float32 ``(V, d)`` (``(V - 1, d)`` for hierarchical softmax).
        tables: :class:`SubwordTables`.
        center: the centre word's id.
        outside: int32 ``(m,)`` outside words (m >= 1).
        noise: int32 noise words: ``(m * K,)``, the ``K`` of outside word ``j`` at ``j * K``,
            with ``per_pair``; else ``(K,)`` shared by the window. Ignored for hs.
        alpha: learning rate.
        loss_kind: :data:`w2vcli.kernels.NS` or :data:`w2vcli.kernels.HS`.

    Returns:
        The window's loss before the step. Checked against
        :func:`w2vcli.reference.subword_sgd_step` (up to the sigmoid table).
    """
    return _step_function(w_in.shape[1])(w_in, w_out, tables, center, outside, noise,
                                         per_pair, alpha, loss_kind)
