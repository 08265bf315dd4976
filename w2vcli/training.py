"""Training loop: epochs, batches, learning-rate schedule, progress and loss, in Python.

The heavy lifting is one Numba call per batch (:mod:`w2vcli.kernels`); this module decides what
each call trains, keeps the per-epoch loss in float64, checks for divergence and reports progress
through a callback. It never prints.
"""

from __future__ import annotations

import math
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from w2vcli.corpus import Corpus
from w2vcli.errors import W2VError
from w2vcli.modes import (KERNELS, LOSSES, MAX_BUCKET, MAX_COMBINE, MAX_DIM, MAX_EPOCHS,
                          MAX_INT, MAX_NGRAM, MAX_NS_EXPONENT, MAX_SEED, MAX_THREADS, MAX_WINDOW,
                          MODELS, TRAIN_DEFAULTS)
from w2vcli.vocab import Vocab, alias_table, huffman_tree

#: The defaults, from the one table the CLI uses too (word2vec.c's).
_D = TRAIN_DEFAULTS

#: Target in-vocabulary tokens per thread per kernel call: about 0.2 s of work. Each call ends
#: in a barrier where the faster thread waits for the slower, so fewer, larger calls scale
#: better (2 threads on text8_head: 1.6x one thread's speed at 50k, 1.8x at 200k), while
#: progress still refreshes several times a second and Ctrl-C still stops well within one.
BATCH_WORDS_PER_THREAD = 200_000



#: Largest vocabulary ``--loss softmax`` accepts. The exact softmax touches every output row
#: for every prediction: ``V x d`` multiply-adds for the scores and ``2 V d`` for the updates,
#: against ``3 (K + 1) d`` for negative sampling, so at 10,000 words one prediction costs as
#: much as about 1,700 with ``--neg 5``. It is there for small, teaching-size vocabularies.
SOFTMAX_MAX_VOCAB = 10_000


class TrainingDivergedError(W2VError):
    """The loss or the weights became NaN or infinite."""


class InsufficientMemoryError(W2VError):
    """The model would not fit in the memory available."""


@dataclass
class Position:
    """Where training stands: the next sentence to train and the epoch's running loss.

    The position is a sentence index, not a batch index, so it does not depend on the thread
    count: a run stopped at 2 threads resumes at the same sentence at 1 or 16.

    Attributes:
        epoch: the epoch in progress, from 1 (``epochs + 1`` when all are done).
        sentence: index of the next sentence of that epoch to train (``0`` to ``S``).
        loss: summed loss of the epoch's batches so far (float64).
        pairs: predictions trained in the epoch so far.
    """

    epoch: int = 1
    sentence: int = 0
    loss: float = 0.0
    pairs: int = 0


class TrainingInterrupted(Exception):
    """Training stopped on Ctrl-C (SIGINT), or SIGTERM where the process handles it, between
    two batches.

    Attributes:
        position: the next batch to train (resume from here).
        words_done: in-vocabulary tokens trained, all epochs, before the stop.
        total_words: the run's length in tokens.
        w_in, w_out: the weights, consistent with ``position``.
        result: statistics of the epochs completed in this call.
        signum: the signal that stopped it.
    """

    def __init__(self, position: Position, words_done: int, total_words: int,
                 w_in: np.ndarray, w_out: np.ndarray, result: "TrainResult") -> None:
        super().__init__(f"interrupted in epoch {position.epoch}")
        self.position = position
        self.words_done = words_done
        self.total_words = total_words
        self.w_in = w_in
        self.w_out = w_out
        self.result = result
        self.signum = signal.SIGINT


@dataclass
class TrainConfig:
    """Hyper-parameters; defaults are word2vec.c's.

    Attributes:
        model: ``"sg"`` (skip-gram) or ``"cbow"`` (continuous bag of words).
        loss: ``"ns"`` (negative sampling), ``"hs"`` (hierarchical softmax) or ``"softmax"``
            (exact softmax, for vocabularies up to :data:`SOFTMAX_MAX_VOCAB` words).
        dim: vector dimension ``d``.
        window: maximum window size (outside words on each side of the centre word).
        negative: noise words ``K`` per prediction (negative sampling).
        sample: subsampling threshold ``t`` (0 disables subsampling).
        epochs: passes over the corpus.
        alpha: initial learning rate; ``None`` means word2vec.c's default for the model,
            0.025 for skip-gram and 0.05 for CBOW.
        min_alpha: final learning rate, reached at the end of the last epoch.
        ns_exponent: exponent of the unigram noise distribution.
        shrink_windows: draw each centre word's window from ``[1, window]`` (word2vec.c).
        cbow_mean: CBOW averages the context vectors (word2vec.c) rather than summing them.
        threads: worker threads (``None``: all cores).
        seed: random seed; with ``threads=1`` training is bit-for-bit reproducible.
        kernel: update rule of skip-gram negative sampling, one of
            :data:`w2vcli.modes.KERNELS` (see :mod:`w2vcli.kernels`). For the subword model,
            ``pair`` draws noise words per (centre, outside) pair as fastText does (what
            ``w2v train --subwords`` uses unless told), the others once per window
            (:mod:`w2vcli.subword_kernels`).
        combine: centre words that share one set of noise words with the
            ``context-combining`` rule (1 to :data:`w2vcli.modes.MAX_COMBINE`; 1 trains as
            ``hogbatch``).
        minn, maxn: lengths in characters of the character n-grams of fastText's subword model
            (Bojanowski et al. 2017); ``maxn`` 0 (the default) is the word model.
        bucket: rows the n-grams are hashed into (subword model only); the input matrix then
            has ``V + bucket`` rows (:meth:`input_rows`).
    """

    model: str = _D["model"]
    loss: str = _D["loss"]
    dim: int = _D["dim"]
    window: int = _D["window"]
    negative: int = _D["neg"]
    sample: float = _D["sample"]
    epochs: int = _D["epochs"]
    alpha: float | None = _D["alpha"]
    min_alpha: float = _D["min_alpha"]
    ns_exponent: float = _D["ns_exponent"]
    shrink_windows: bool = _D["shrink_windows"]
    cbow_mean: bool = _D["cbow_mean"]
    threads: int | None = _D["threads"]
    seed: int = _D["seed"]
    kernel: str = _D["kernel"]
    combine: int = _D["combine"]
    minn: int = _D["minn"]
    maxn: int = _D["maxn"]
    bucket: int = _D["bucket"]

    def __post_init__(self) -> None:
        if self.alpha is None:
            self.alpha = 0.05 if self.model == "cbow" else 0.025

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first parameter out of range."""
        checks = [
            (self.model in MODELS, f"model must be one of {', '.join(MODELS)}"),
            (self.loss in LOSSES, f"loss must be one of {', '.join(LOSSES)}"),
            (self.dim >= 1, "dim must be at least 1"),
            (self.dim <= MAX_DIM, f"dim must be at most {MAX_DIM}"),
            (1 <= self.window <= MAX_WINDOW, f"window must be between 1 and {MAX_WINDOW}"),
            (self.negative >= 1 or self.loss != "ns", "neg must be at least 1"),
            (self.negative <= MAX_INT, "neg must be at most 2**63-1"),
            (0 <= self.sample < math.inf, "sample must be 0 (off) or a positive number"),
            (1 <= self.epochs <= MAX_EPOCHS, f"epochs must be between 1 and {MAX_EPOCHS:,}"),
            (self.alpha > 0, "alpha must be positive"),
            (self.alpha < math.inf, "alpha must be finite"),
            (0 <= self.min_alpha <= self.alpha, "min-alpha must be between 0 and alpha"),
            (abs(self.ns_exponent) <= MAX_NS_EXPONENT,
             f"ns-exponent must be between -{MAX_NS_EXPONENT:g} and {MAX_NS_EXPONENT:g}"),
            (self.threads is None or 1 <= self.threads <= MAX_THREADS,
             f"threads must be between 1 and {MAX_THREADS}"),
            (0 <= self.seed <= MAX_SEED, "seed must be between 0 and 2**63-1"),
            (self.kernel in KERNELS, f"kernel must be one of {', '.join(KERNELS)}"),
            (1 <= self.combine <= MAX_COMBINE, f"combine must be between 1 and {MAX_COMBINE}"),
            (1 <= self.minn <= MAX_NGRAM, f"minn must be between 1 and {MAX_NGRAM}"),
            (0 <= self.maxn <= MAX_NGRAM, f"maxn must be between 0 (no subwords) and {MAX_NGRAM}"),
            (1 <= self.bucket <= MAX_BUCKET, "bucket must be between 1 and 2**31-1"),
            (not self.subwords or self.minn <= self.maxn,
             f"minn {self.minn} must be at most maxn {self.maxn} (or maxn 0: no subwords)"),
            (not self.subwords or self.loss != "softmax",
             "subwords train with loss ns or hs (fastText's), not softmax"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)

    def group_size(self) -> int:
        """Centre words per noise set in the batch kernel: ``combine`` for the
        context-combining rule, 1 for HogBatch (the same kernel, one window per group)."""
        return int(self.combine) if self.kernel == "context-combining" else 1

    @property
    def subwords(self) -> bool:
        """Whether this is fastText's subword model (``maxn`` > 0)."""
        return self.maxn > 0

    def input_rows(self, vocab_size: int) -> int:
        """Rows of the input matrix: one per word, then ``bucket`` n-gram rows for subwords."""
        return vocab_size + (self.bucket if self.subwords else 0)

    def output_rows(self, vocab_size: int) -> int:
        """Rows of the output matrix: one per word, or one per inner node (``V - 1``) for hs."""
        return max(vocab_size - 1, 1) if self.loss == "hs" else vocab_size


@dataclass
class Progress:
    """A snapshot handed to the progress callback after every kernel call.

    Attributes:
        epoch: current epoch, from 1.
        epochs: number of epochs.
        words_done: in-vocabulary tokens trained so far, all epochs.
        total_words: in-vocabulary tokens times epochs.
        alpha: learning rate at the end of the last batch.
        epoch_loss: mean loss per (centre, outside) pair so far in this epoch.
        words_per_sec: ``words_done`` / seconds since training started.
        elapsed: seconds since training started.
    """

    epoch: int
    epochs: int
    words_done: int
    total_words: int
    alpha: float
    epoch_loss: float
    words_per_sec: float
    elapsed: float


@dataclass
class EpochStats:
    """Summary of one epoch.

    Attributes:
        epoch: the epoch, from 1.
        words: in-vocabulary tokens of the epoch (the corpus's).
        pairs: predictions trained in the epoch (all of it, across a resume).
        alpha: learning rate at its end.
        mean_loss: mean loss per prediction (float64, summed over threads).
        seconds: wall seconds this process spent on it.
        trained_words: tokens this process trained of it: ``words``, or what was left of the
            epoch when a run resumed inside it.
    """

    epoch: int
    words: int
    pairs: int
    alpha: float
    mean_loss: float
    seconds: float
    trained_words: int | None = None

    @property
    def words_per_sec(self) -> float:
        """Tokens per wall second of what this process trained of the epoch."""
        words = self.words if self.trained_words is None else self.trained_words
        return words / self.seconds if self.seconds > 0 else float("inf")


@dataclass
class TrainResult:
    """Trained weights and statistics.

    Attributes:
        w_in: float32 ``(V, d)`` centre (input) vectors: the word vectors (for the subword
            model the word rows, then the n-gram rows in ``layout``'s compact form; the word
            vectors are :func:`word_vectors`).
        w_out: float32 ``(V, d)`` outside (output) vectors.
        epochs: per-epoch statistics.
        seconds: wall time of training, excluding corpus reading and JIT loading.
        cpu_seconds: CPU time of the process (all threads) over the same span.
        compile_seconds: time to load (or compile) the Numba kernel.
        words: in-vocabulary tokens trained, all epochs.
        threads: threads that trained (one chunk of every batch each).
        flops: floating-point operations the kernel performed (an FMA counts two), counted by
            the kernel from the work it did.
        layout: the subword model's :class:`w2vcli.subword_kernels.SubwordLayout` (``w_in``
            is then its compact matrix: :meth:`~w2vcli.subword_kernels.SubwordLayout.expand`
            gives fastText's ``(V + bucket, d)``), or ``None``.
    """

    w_in: np.ndarray
    w_out: np.ndarray
    epochs: list[EpochStats] = field(default_factory=list)
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    compile_seconds: float = 0.0
    words: int = 0
    threads: int = 1
    flops: float = 0.0
    layout: object = None

    @property
    def words_per_sec(self) -> float:
        return self.words / self.seconds if self.seconds > 0 else float("inf")


def init_weights(vocab_size: int, dim: int, seed: int, output_rows: int | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """word2vec.c's initialisation: input vectors uniform in [-0.5/d, 0.5/d], output zeros.

    (All-zero input vectors would never move: every gradient is a product with a zero vector.)
    ``w_in`` is ``(u - 0.5) / d`` for ``u`` uniform float32 draws of
    ``numpy.random.default_rng(seed)``, computed in place in float32: the same bits for a given
    seed as the expression computed out of place, whose ``V x d`` temporaries (400 MB each at
    350k words x 300 dims) only NumPy's elision of temporaries avoided, where it applies.
    ``w_out`` is ``np.zeros``: its pages are mapped on first write, so it costs memory only as
    training touches its rows.

    Returns:
        ``(w_in, w_out)``: float32 ``(V, d)`` and ``(output_rows, d)`` (default ``V``),
        C-contiguous.
    """
    rng = np.random.default_rng(seed)
    w_in = rng.random((vocab_size, dim), dtype=np.float32)
    w_in -= np.float32(0.5)
    w_in /= np.float32(dim)
    rows = vocab_size if output_rows is None else output_rows
    return w_in, np.zeros((rows, dim), dtype=np.float32)


def init_subword_weights(input_rows: int, dim: int, seed: int, output_rows: int
                         ) -> tuple[np.ndarray, np.ndarray]:
    """fastText's initialisation of the subword model (``FastText::createRandomMatrix``,
    ``DenseMatrix::uniform(1.0 / dim)``): every input row, word and n-gram rows alike, uniform
    in [-1/d, 1/d]; the output rows zero (``createTrainOutputMatrix``). The n-gram rows no word
    of the vocabulary uses are never trained, but they are initialised too, so that an unseen
    word's n-grams that fall there compose as in fastText.

    ``w_in`` is ``(2 u - 1) / d`` for ``u`` uniform float32 draws of
    ``numpy.random.default_rng(seed)``, computed in place (no temporary of its size).

    Returns:
        ``(w_in, w_out)``: float32 ``(input_rows, d)`` and ``(output_rows, d)``, C-contiguous.
    """
    rng = np.random.default_rng(seed)
    w_in = rng.random((input_rows, dim), dtype=np.float32)
    w_in -= np.float32(0.5)
    w_in *= np.float32(2.0 / dim)
    return w_in, np.zeros((output_rows, dim), dtype=np.float32)


def subword_layout(words, config: TrainConfig):
    """The :class:`w2vcli.subword_kernels.SubwordLayout` of a subword model's vocabulary.

    Raises:
        W2VError: more rows than 32-bit row ids (fastText's) can name.
    """
    from w2vcli.subword_kernels import SubwordLayout

    try:
        return SubwordLayout.build(words, config.minn, config.maxn, config.bucket)
    except ValueError as exc:
        raise W2VError(str(exc)) from None


def word_vectors(words, w_in: np.ndarray, config: TrainConfig, layout=None) -> np.ndarray:
    """The vectors a model writes for its vocabulary ``words``: ``w_in`` itself for the word
    model; for the subword model each word's mean input row (fastText's ``getWordVector``, what
    its ``.vec`` holds).

    Args:
        words: the ``V`` vocabulary words, row order.
        w_in: float32 ``(V, d)``; for subwords the compact matrix of ``layout``.
        layout: the subword model's :class:`w2vcli.subword_kernels.SubwordLayout` (default:
            :func:`subword_layout`).

    Returns:
        float32 ``(V, d)``.
    """
    if not config.subwords:
        return w_in
    from w2vcli.subwords import mean_rows

    layout = layout if layout is not None else subword_layout(words, config)
    return mean_rows(w_in, layout.offsets, layout.rows)


#: Elements one step of :func:`all_finite` looks at: bounds its temporary to 1 MiB.
_FINITE_BLOCK = 1 << 20


def all_finite(a: np.ndarray) -> bool:
    """Whether every value of the float array ``a`` (any shape) is finite (no NaN, no inf).

    Checks ``_FINITE_BLOCK`` elements at a time, so the boolean temporary is 1 MiB however large
    ``a`` is (``np.isfinite(a).all()`` would make one of ``a.size`` bytes: 100 MB for a
    350k x 300 matrix), and stops at the first block with a non-finite value.
    """
    flat = a.reshape(-1)  # a view for the C-contiguous weights (a copy only for other layouts)
    return all(bool(np.isfinite(flat[i:i + _FINITE_BLOCK]).all())
               for i in range(0, flat.size, _FINITE_BLOCK))


def _libc_function(name: str):
    """A function of the C library the interpreter is linked with, or None (not glibc)."""
    import ctypes

    try:
        return getattr(ctypes.CDLL(None), name)
    except (OSError, AttributeError):
        return None


def release_free_memory() -> None:
    """Hand memory the process has freed but still holds back to the operating system.

    Reading a corpus frees much more than it keeps (the counts of every distinct word, lists of
    ids); glibc keeps freed heap blocks mapped, so they stay in the resident set and add to the
    peak once the weights are allocated. ``malloc_trim(0)`` releases the free pages of every
    heap (tens of MB on a large vocabulary). Elsewhere than glibc (macOS, musl) it does nothing.
    Memory in CPython's small-object arenas that still hold a live object is not released.
    """
    import ctypes

    trim = _libc_function("malloc_trim")
    if trim is not None:
        trim.argtypes = [ctypes.c_size_t]
        trim.restype = ctypes.c_int
        trim(0)


#: glibc's mallopt parameter number of M_ARENA_MAX.
_M_ARENA_MAX = -8


def share_one_malloc_arena() -> None:
    """Make every thread allocate from glibc's one main heap (``mallopt(M_ARENA_MAX, 1)``).

    By default glibc gives threads heaps of their own; what the corpus reader's threads free
    there stays resident (``malloc_trim`` did not give it back: about 70 MiB on a 1.2M-word
    corpus, measured), on top of the model that is allocated next. With one heap, freed memory is
    released by :func:`release_free_memory`. The threads allocate little and rarely (tables and
    scratch arrays, not per word), so they do not contend for the one heap. Call it before any
    thread starts; it does nothing where the C library is not glibc.
    """
    import ctypes

    mallopt = _libc_function("mallopt")
    if mallopt is not None:
        mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        mallopt.restype = ctypes.c_int
        mallopt(_M_ARENA_MAX, 1)


def output_tables(vocab: Vocab, config: TrainConfig):
    """The :class:`w2vcli.kernels.Tables` a mode needs: the noise alias table for negative
    sampling, the Huffman codes and paths for hierarchical softmax (empty arrays otherwise).

    Raises:
        W2VError: ``--loss softmax`` with more than :data:`SOFTMAX_MAX_VOCAB` words, or ``--loss
            hs`` with fewer than two.
    """
    from w2vcli.kernels import Tables

    empty_u32, empty_i32 = np.zeros(1, np.uint32), np.zeros(1, np.int32)
    threshold, alias = empty_u32, empty_i32
    codes, points = np.zeros((1, 1), np.uint8), np.zeros((1, 1), np.int32)
    lengths = empty_i32
    if config.loss == "ns":
        threshold, alias = alias_table(vocab.noise_distribution(config.ns_exponent))
    elif config.loss == "hs":
        try:
            codes, points, lengths = huffman_tree(vocab.counts)
        except ValueError as exc:
            raise W2VError(str(exc)) from None
    elif len(vocab) > SOFTMAX_MAX_VOCAB:
        raise W2VError(
            f"--loss softmax computes all {len(vocab):,} output scores for every prediction, "
            f"about {len(vocab) // (config.negative + 1):,}x the work of negative sampling with "
            f"--neg {config.negative}; it is limited to {SOFTMAX_MAX_VOCAB:,} words: use --loss ns or "
            f"hs, or --max-vocab {SOFTMAX_MAX_VOCAB}"
        )
    return Tables(threshold, alias, codes, points, lengths)


def model_bytes(vocab_size: int, config: TrainConfig, layout=None) -> int:
    """Bytes of the arrays training allocates: both matrices (for the subword model the input
    matrix's word rows and n-gram rows) and the per-word tables (for subwords, the table of
    every word's rows too).

    ``layout``: the subword model's :class:`w2vcli.subword_kernels.SubwordLayout`, which says
    how many n-gram rows and table entries training holds; without it, all ``bucket`` n-gram
    rows and 12 n-grams per word and n-gram length are counted.
    """
    in_rows = vocab_size
    table = 0
    if config.subwords:
        if layout is None:
            in_rows = config.input_rows(vocab_size)
            entries = vocab_size * (1 + 12 * (config.maxn - config.minn + 1))
        else:
            in_rows, entries = layout.input_rows, len(layout.rows) + len(layout.buckets)
        table = 4 * entries + 8 * (vocab_size + 1)
    matrices = (in_rows + config.output_rows(vocab_size)) * config.dim * 4
    per_word = 4 + 8  # keep probabilities; alias table, or Huffman lengths
    if config.loss == "hs":
        per_word += 5 * 40  # codes and points, up to MAX_CODE_LENGTH each
    return matrices + vocab_size * per_word + table


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation (Linux MemAvailable), or None if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, AttributeError):
        return None


def check_memory(vocab_size: int, config: TrainConfig, available: int | None = None,
                 layout=None) -> None:
    """Refuse, before allocating, a model larger than the memory available (for the subword
    model, its n-gram rows included; ``layout`` as :func:`model_bytes`).

    Raises:
        InsufficientMemoryError: with the figures and the options that shrink the model.
    """
    needed = model_bytes(vocab_size, config, layout)
    available = available_memory() if available is None else available
    if available is not None and needed > available:
        gib = 1024.0**3
        if config.subwords:
            used = config.bucket if layout is None else len(layout.buckets)
            what = (f"{vocab_size:,} words and {used:,} n-gram rows x {config.dim} dims, "
                    "float32")
            fix = "a smaller --bucket or --dim, a higher --min-count or --max-vocab"
        else:
            what = f"{vocab_size:,} words x {config.dim} dims x 2 float32 matrices"
            fix = "a smaller --dim, a higher --min-count or --max-vocab"
        raise InsufficientMemoryError(
            f"the model needs {needed / gib:.1f} GiB ({what}) but {available / gib:.1f} GiB of "
            f"memory is available; use {fix}"
        )


def split_sentences(sentence_ends: np.ndarray, lo: int, hi: int, parts: int) -> np.ndarray:
    """Split sentences ``lo..hi-1`` into ``parts`` runs of about equal token counts.

    Returns:
        int64 ``(parts + 1,)`` sentence indices, from ``lo`` to ``hi``, non-decreasing (a run
        is empty when one sentence holds more tokens than a run should).
    """
    first = 0 if lo == 0 else int(sentence_ends[lo - 1])
    last = int(sentence_ends[hi - 1]) if hi > lo else first
    targets = np.linspace(first, last, parts + 1)[1:-1]
    inner = np.searchsorted(sentence_ends[lo:hi], targets, side="right") + lo
    return np.concatenate(([lo], np.clip(inner, lo, hi), [hi])).astype(np.int64)


def _batch_seed(seed: int, epoch: int, sentence: int) -> int:
    """A 63-bit seed for one kernel call, derived from the run's seed, the epoch and the
    batch's first sentence (so that it does not depend on how the epoch was cut)."""
    state = np.random.SeedSequence([seed & 0xFFFFFFFFFFFFFFFF, epoch, sentence]).generate_state(
        1, np.uint64
    )[0]
    return int(state >> np.uint64(1))


def train(
    vocab: Vocab,
    corpus: Corpus,
    config: TrainConfig,
    progress: Callable[[Progress], None] | None = None,
    *,
    weights: tuple[np.ndarray, np.ndarray] | None = None,
    start: Position | None = None,
    on_epoch: Callable[[EpochStats, np.ndarray, np.ndarray], None] | None = None,
    batch_kernel=None,
    layout=None,
) -> TrainResult:
    """Train word2vec (Mikolov et al. 2013) on an encoded corpus, or with ``config.maxn`` > 0
    fastText's subword model (Bojanowski et al. 2017; :mod:`w2vcli.subword_kernels`).

    Args:
        vocab: the vocabulary the corpus was encoded against.
        corpus: int32 token ids and sentence ends.
        config: hyper-parameters (validated here).
        progress: called with a :class:`Progress` after every kernel call (about 10 times a
            second); it must be quick.
        weights: ``(w_in, w_out)`` to continue from, float32, shapes as :func:`init_weights`
            gives (for a subword model ``w_in`` in ``layout``'s compact form,
            :meth:`w2vcli.subword_kernels.SubwordLayout.compact`; updated in place); default: a
            fresh initialisation from ``config.seed`` (:func:`init_subword_weights` for
            subwords).
        start: where to resume (a checkpoint's :class:`Position`): training continues from
            that sentence of that epoch on the same learning-rate schedule and random streams
            as an uninterrupted run (every batch's stream is derived from the seed, the epoch
            and its first sentence), so with one thread, as before the stop, the result is
            bit-for-bit the same; at another thread count it is the same run, not the same bits.
        on_epoch: called after every epoch with its statistics and the weights (to save a
            checkpoint); exceptions it raises stop training.
        batch_kernel: a :class:`w2vcli.kernels.BatchKernel` to train with instead of
            ``kernels.batch_kernel(config...)`` (the roofline benchmark's ablations).
        layout: a subword model's :class:`w2vcli.subword_kernels.SubwordLayout` of ``vocab``
            (default: :func:`subword_layout`); ignored for the word model.

    Ctrl-C (SIGINT) in the main thread does not stop a batch half-way: training stops after
    the batch in progress (well under a second) and raises :class:`TrainingInterrupted` with
    the weights and the position to resume from. A second Ctrl-C stops at once.

    Returns:
        A :class:`TrainResult`; ``result.w_in`` are the word vectors.

    Raises:
        ValueError: a hyper-parameter is out of range, ``weights`` have the wrong shape, or
            ``start`` is outside the corpus.
        W2VError: the mode cannot handle the vocabulary (see :func:`output_tables`).
        TrainingDivergedError: the loss or the weights became NaN or infinite.
        InsufficientMemoryError: the model would not fit in the memory available.
        TrainingInterrupted: Ctrl-C.
        W2VError: more n-gram and word rows than 32-bit row ids name (subwords).
    """
    config.validate()
    tables = output_tables(vocab, config)
    in_rows = len(vocab)
    if config.subwords:
        if layout is None:
            layout = subword_layout(vocab.words, config)
        from w2vcli.subword_kernels import subword_tables

        tables = subword_tables(tables, layout.offsets, layout.rows)
        in_rows = layout.input_rows
    if weights is None:
        check_memory(len(vocab), config, layout=layout)
    if batch_kernel is None:
        batch_kernel = _batch_kernel(config)
    threads = config.threads or os.cpu_count() or 1
    out_rows = config.output_rows(len(vocab))
    if weights is None:
        release_free_memory()  # before the model: what reading the corpus freed
        if config.subwords:
            w_in, w_out = init_subword_weights(in_rows, config.dim, config.seed, out_rows)
        else:
            w_in, w_out = init_weights(len(vocab), config.dim, config.seed, out_rows)
    else:
        w_in, w_out = weights
        if w_in.shape != (in_rows, config.dim) or w_out.shape != (out_rows, config.dim):
            ngrams = (f" and {in_rows - len(vocab):,} n-gram rows in use" if config.subwords
                      else "")
            raise ValueError(
                f"weights of shapes {w_in.shape} and {w_out.shape} do not fit {len(vocab)} words"
                f"{ngrams}, {out_rows} output rows and dimension {config.dim}"
            )
    keep_prob = vocab.keep_probabilities(config.sample)
    n_words = len(corpus)
    total_words = n_words * config.epochs

    def call(ids: np.ndarray, ends: np.ndarray, chunks: np.ndarray, words_before: int,
             seed: int) -> np.ndarray:
        params = _batch_params(config, words_before, total_words, seed)
        return batch_kernel(w_in, w_out, ids, ends, chunks, keep_prob, tables, params)

    stop = _StopOnInterrupt()
    with stop:
        try:
            result = _run_epochs(corpus, config, call, threads, w_in, w_out,
                                 start or Position(), progress, on_epoch, stop)
            result.layout = layout
            return result
        except TrainingInterrupted as interrupted:
            interrupted.signum = stop.signum or signal.SIGINT
            raise


def _batch_kernel(config: TrainConfig):
    """The batch kernel ``config`` trains with: the word model's
    (:func:`w2vcli.kernels.batch_kernel`) or the subword model's
    (:func:`w2vcli.subword_kernels.subword_batch_kernel`)."""
    if config.subwords:
        from w2vcli.subword_kernels import subword_batch_kernel

        return subword_batch_kernel(config.dim, config.model, config.loss)
    from w2vcli import kernels

    return kernels.batch_kernel(config.dim, config.model, config.loss, config.kernel)


def _batch_params(config: TrainConfig, words_before: int, total_words: int, seed: int):
    from w2vcli.kernels import BatchParams

    return BatchParams(
        window=int(config.window),
        negative=int(config.negative),
        alpha_start=float(config.alpha),
        alpha_end=float(config.min_alpha),
        words_before=int(words_before),
        total_words=int(max(total_words, 1)),
        seed=int(seed),
        shrink_windows=bool(config.shrink_windows),
        cbow_mean=bool(config.cbow_mean),
        # The subword kernels read group 0 as noise words drawn per pair (--kernel pair).
        group=0 if config.subwords and config.kernel == "pair" else config.group_size(),
    )


def load_kernel(config: TrainConfig):
    """Compile, or load from Numba's on-disk cache, the batch kernel ``config`` trains with.

    The first run at a new ``dim`` and mode compiles the kernel (several seconds); later runs
    load the machine code from the cache (``NUMBA_CACHE_DIR``, else ``__pycache__`` beside
    the package) in well under a second. Calling this before :func:`train` (and passing the
    kernel as its ``batch_kernel``) lets a caller show that wait as what it is.

    Returns:
        ``(kernel, seconds)``: the :class:`w2vcli.kernels.BatchKernel` and the wall seconds
        the compile or load took.

    Raises:
        ValueError: a hyper-parameter is out of range.
    """
    from w2vcli import kernels

    config.validate()
    began = time.perf_counter()
    kernel = _batch_kernel(config)
    # One call on an empty batch, with arguments of the types training passes, compiles it.
    rows = np.zeros((1, config.dim), np.float32)
    tables = kernels.Tables(np.zeros(1, np.uint32), np.zeros(1, np.int32),
                            np.zeros((1, 1), np.uint8), np.zeros((1, 1), np.int32),
                            np.zeros(1, np.int32))
    if config.subwords:
        from w2vcli.subword_kernels import subword_tables

        tables = subword_tables(tables, np.array([0, 1]), np.zeros(1, np.int32))
    kernel(rows, rows.copy(), np.zeros(1, np.int32), np.ones(1, np.int64), np.zeros(2, np.int64),
           np.ones(1, np.float32), tables, _batch_params(config, 0, 1, 0))
    return kernel, time.perf_counter() - began


def _run_epochs(corpus, config, call, threads, w_in, w_out, position, progress, on_epoch, stop):
    """The epoch loop of :func:`train`, with Ctrl-C turned into :class:`TrainingInterrupted`."""
    from w2vcli.kernels import STAT_FLOPS, STAT_LOSS, STAT_PREDICTIONS

    n_words = len(corpus)
    total_words = n_words * config.epochs
    t0 = time.perf_counter()
    # Load or compile the kernel on an empty batch (it trains nothing).
    call(np.zeros(1, np.int32), np.ones(1, np.int64), np.zeros(threads + 1, np.int64), 0, 0)
    result = TrainResult(w_in=w_in, w_out=w_out, compile_seconds=time.perf_counter() - t0,
                         threads=threads)

    batches = corpus.plan(BATCH_WORDS_PER_THREAD * threads)
    ids_buffer = None
    began = time.perf_counter()
    began_cpu = time.process_time()
    if not 0 <= position.sentence <= corpus.n_sentences:
        raise ValueError(f"start sentence {position.sentence} is outside the corpus's "
                         f"{corpus.n_sentences} sentences")
    first_done = (position.epoch - 1) * n_words + (
        corpus.sentence_start(position.sentence) if position.epoch <= config.epochs else 0
    )
    done = first_done
    if stop.requested:  # Ctrl-C while the kernel was loading
        raise TrainingInterrupted(position, done, total_words, w_in, w_out, result)
    while position.epoch <= config.epochs:
        epoch = position.epoch
        epoch_start, epoch_first_done = time.perf_counter(), done
        alpha = _alpha_at(config, done, total_words)
        # The epoch's batches from the position on; a position inside a batch of this plan
        # (saved at another thread count) starts with the rest of that batch.
        later = batches[np.searchsorted(batches, position.sentence, side="right"):]
        cuts = [position.sentence, *(int(c) for c in later)]
        for lo, hi in zip(cuts[:-1], cuts[1:]):
            ids, ends, first = corpus.read_batch(lo, hi, ids_buffer)
            if ids_buffer is None or len(ids) > len(ids_buffer):
                ids_buffer = ids
            chunks = split_sentences(ends, 0, len(ends), threads)
            stats = call(ids, ends, chunks, (epoch - 1) * n_words + first,
                         _batch_seed(config.seed, epoch, lo))
            batch_loss = float(stats[:, STAT_LOSS].sum())
            check_loss(batch_loss, epoch, config)
            position.loss += batch_loss
            position.pairs += int(stats[:, STAT_PREDICTIONS].sum())
            result.flops += float(stats[:, STAT_FLOPS].sum())
            position.sentence = hi
            done += len(ids)
            alpha = _alpha_at(config, done, total_words)
            if progress is not None:
                progress(snapshot(config, position, done, total_words, alpha, done - first_done,
                                  time.perf_counter() - began))
            if stop.requested:
                result.seconds = time.perf_counter() - began
                result.cpu_seconds = time.process_time() - began_cpu
                result.words = done - first_done
                raise TrainingInterrupted(Position(**vars(position)), done, total_words,
                                          w_in, w_out, result)
        check_weights(w_in, w_out, epoch, config)
        stats_epoch = EpochStats(
            epoch=epoch,
            words=n_words,
            pairs=position.pairs,
            alpha=alpha,
            mean_loss=_mean(position.loss, position.pairs),
            seconds=time.perf_counter() - epoch_start,
            trained_words=done - epoch_first_done,
        )
        result.epochs.append(stats_epoch)
        position = Position(epoch=epoch + 1)
        if on_epoch is not None:
            on_epoch(stats_epoch, w_in, w_out)
    result.seconds = time.perf_counter() - began
    result.cpu_seconds = time.process_time() - began_cpu
    result.words = done - first_done
    return result


def check_loss(loss: float, epoch: int, config: TrainConfig) -> None:
    """Raise :class:`TrainingDivergedError` if a batch's (or a round's) summed ``loss`` is NaN
    or infinite."""
    if not math.isfinite(loss):
        raise TrainingDivergedError(f"training diverged in epoch {epoch} (the loss became "
                                    f"{loss}); use a smaller --alpha than {config.alpha:g}")


def check_weights(w_in: np.ndarray, w_out: np.ndarray, epoch: int, config: TrainConfig) -> None:
    """Raise :class:`TrainingDivergedError` if a weight became NaN or infinite (checked at the
    end of every epoch)."""
    if not (all_finite(w_in) and all_finite(w_out)):
        raise TrainingDivergedError(
            f"training diverged in epoch {epoch} (the weights became NaN or infinite); use a "
            f"smaller --alpha than {config.alpha:g}")


def snapshot(config: TrainConfig, position, done: int, total_words: int, alpha: float,
             trained: int, elapsed: float) -> Progress:
    """The :class:`Progress` handed to a progress callback: ``trained`` tokens in ``elapsed``
    seconds of this call, ``done`` of ``total_words`` in all."""
    return Progress(epoch=position.epoch, epochs=config.epochs, words_done=done,
                    total_words=total_words, alpha=alpha,
                    epoch_loss=_mean(position.loss, position.pairs),
                    words_per_sec=trained / elapsed if elapsed > 0 else 0.0, elapsed=elapsed)


def _alpha_at(config: TrainConfig, done: int, total_words: int) -> float:
    """The learning rate after ``done`` of ``total_words`` words (linear decay, as the kernel)."""
    return max(config.alpha - (config.alpha - config.min_alpha) * done / total_words,
               config.min_alpha)


def _mean(total: float, count: int) -> float:
    return total / count if count else float("nan")


class _StopOnInterrupt:
    """While active in the main thread, the first SIGINT only sets ``requested`` (and
    ``signum``). So does SIGTERM if the process handles it in Python (the ``w2v`` command does;
    where it has the default action, SIGTERM still ends the process at once)."""

    def __init__(self) -> None:
        self.requested = False
        self.signum: int | None = None
        self._previous: dict[int, object] = {}

    def _handle(self, signum, frame) -> None:
        self.requested = True
        self.signum = signum
        self._restore()  # a second signal stops at once

    def _restore(self) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, signal.SIG_DFL if previous is None else previous)
        self._previous = {}

    def __enter__(self) -> "_StopOnInterrupt":
        if threading.current_thread() is threading.main_thread():
            self._previous[signal.SIGINT] = signal.signal(signal.SIGINT, self._handle)
            if callable(signal.getsignal(signal.SIGTERM)):
                self._previous[signal.SIGTERM] = signal.signal(signal.SIGTERM, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        self._restore()
