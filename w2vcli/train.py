"""Training loop: epochs, batches, learning-rate schedule, progress and loss, in Python.

The heavy lifting is one Numba call per batch (:mod:`w2vcli.kernels`); this module decides what
each call trains, keeps the per-epoch loss in float64, checks for divergence and reports progress
through a callback. It never prints.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from w2vcli.corpus import Corpus
from w2vcli.errors import W2VError
from w2vcli.vocab import Vocab, alias_table

#: Target in-vocabulary tokens per thread per kernel call: about 0.1 s of work, so progress
#: refreshes several times a second and Python's share of the time stays negligible.
BATCH_WORDS_PER_THREAD = 50_000


#: Update rules (``--kernel``); see :mod:`w2vcli.kernels`.
KERNELS = ("hogbatch", "pair")


class TrainingDivergedError(W2VError):
    """The loss or the weights became NaN or infinite."""


@dataclass
class TrainConfig:
    """Hyper-parameters of skip-gram negative sampling; defaults are word2vec.c's for skip-gram.

    Attributes:
        dim: vector dimension ``d``.
        window: maximum window size (outside words on each side of the centre word).
        negative: noise words ``K`` per (centre, outside) pair.
        sample: subsampling threshold ``t`` (0 disables subsampling).
        epochs: passes over the corpus.
        alpha: initial learning rate.
        min_alpha: final learning rate, reached at the end of the last epoch.
        ns_exponent: exponent of the unigram noise distribution.
        threads: worker threads (``None``: all cores).
        seed: random seed; with ``threads=1`` training is bit-for-bit reproducible.
    """

    dim: int = 100
    window: int = 5
    negative: int = 5
    sample: float = 1e-3
    epochs: int = 5
    alpha: float = 0.025
    min_alpha: float = 0.0001
    ns_exponent: float = 0.75
    threads: int | None = None
    seed: int = 1
    kernel: str = "hogbatch"

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first parameter out of range."""
        checks = [
            (self.dim >= 1, "dim must be at least 1"),
            (self.window >= 1, "window must be at least 1"),
            (self.negative >= 1, "neg must be at least 1"),
            (self.sample >= 0, "sample must be 0 (off) or positive"),
            (self.epochs >= 1, "epochs must be at least 1"),
            (self.alpha > 0, "alpha must be positive"),
            (0 <= self.min_alpha <= self.alpha, "min-alpha must be between 0 and alpha"),
            (self.threads is None or self.threads >= 1, "threads must be at least 1"),
            (self.kernel in KERNELS, f"kernel must be one of {', '.join(KERNELS)}"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)


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
    """Summary of one epoch: mean loss per pair (float64, summed over threads), words/s."""

    epoch: int
    words: int
    pairs: int
    alpha: float
    mean_loss: float
    seconds: float

    @property
    def words_per_sec(self) -> float:
        return self.words / self.seconds if self.seconds > 0 else float("inf")


@dataclass
class TrainResult:
    """Trained weights and statistics.

    Attributes:
        w_in: float32 ``(V, d)`` centre (input) vectors: the word vectors.
        w_out: float32 ``(V, d)`` outside (output) vectors.
        epochs: per-epoch statistics.
        seconds: wall time of training, excluding corpus reading and JIT loading.
        compile_seconds: time to load (or compile) the Numba kernel.
        words: in-vocabulary tokens trained, all epochs.
    """

    w_in: np.ndarray
    w_out: np.ndarray
    epochs: list[EpochStats] = field(default_factory=list)
    seconds: float = 0.0
    compile_seconds: float = 0.0
    words: int = 0

    @property
    def words_per_sec(self) -> float:
        return self.words / self.seconds if self.seconds > 0 else float("inf")


def init_weights(vocab_size: int, dim: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """word2vec.c's initialisation: input vectors uniform in [-0.5/d, 0.5/d], output zeros.

    (All-zero input vectors would never move: every gradient is a product with a zero vector.)

    Returns:
        ``(w_in, w_out)``, float32 ``(V, d)`` C-contiguous.
    """
    rng = np.random.default_rng(seed)
    w_in = (rng.random((vocab_size, dim), dtype=np.float32) - np.float32(0.5)) / np.float32(dim)
    return w_in, np.zeros((vocab_size, dim), dtype=np.float32)


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


def _batch_seed(seed: int, epoch: int, batch: int) -> int:
    """A 63-bit seed for one kernel call, derived from the run's seed, epoch and batch."""
    state = np.random.SeedSequence([seed & 0xFFFFFFFFFFFFFFFF, epoch, batch]).generate_state(
        1, np.uint64
    )[0]
    return int(state >> np.uint64(1))


def set_threads(threads: int | None) -> int:
    """Set Numba's worker thread count; returns the count used.

    ``None`` means all cores. More threads than ``NUMBA_NUM_THREADS`` (fixed when numba is first
    imported) is capped there; :mod:`w2vcli.cli` raises that limit before importing numba.
    """
    import numba

    limit = numba.config.NUMBA_NUM_THREADS
    count = limit if threads is None else min(threads, limit)
    numba.set_num_threads(count)
    return count


def train(
    vocab: Vocab,
    corpus: Corpus,
    config: TrainConfig,
    progress: Callable[[Progress], None] | None = None,
) -> TrainResult:
    """Train skip-gram negative sampling (Mikolov et al. 2013) on an encoded corpus.

    Args:
        vocab: the vocabulary the corpus was encoded against.
        corpus: int32 token ids and sentence ends.
        config: hyper-parameters (validated here).
        progress: called with a :class:`Progress` after every kernel call (about 10 times a
            second); it must be quick.

    Returns:
        A :class:`TrainResult`; ``result.w_in`` are the word vectors.

    Raises:
        ValueError: a hyper-parameter is out of range.
        TrainingDivergedError: the loss or the weights became NaN or infinite.
    """
    from w2vcli import kernels

    config.validate()
    batch_kernel = kernels.batch_kernel(config.kernel, config.dim)
    threads = config.threads or os.cpu_count() or 1
    set_threads(threads)
    w_in, w_out = init_weights(len(vocab), config.dim, config.seed)
    keep_prob = vocab.keep_probabilities(config.sample)
    threshold, alias = alias_table(vocab.noise_distribution(config.ns_exponent))
    n_words = len(corpus)
    total_words = n_words * config.epochs

    def call(ids: np.ndarray, ends: np.ndarray, chunks: np.ndarray, words_before: int,
             seed: int) -> np.ndarray:
        params = kernels.PairBatchParams(
            window=int(config.window),
            negative=int(config.negative),
            alpha_start=float(config.alpha),
            alpha_end=float(config.min_alpha),
            words_before=int(words_before),
            total_words=int(max(total_words, 1)),
            seed=int(seed),
        )
        return batch_kernel(w_in, w_out, ids, ends, chunks, keep_prob, threshold, alias, params)

    t0 = time.perf_counter()
    # Load or compile the kernel on an empty batch (it trains nothing).
    call(np.zeros(1, np.int32), np.ones(1, np.int64), np.zeros(threads + 1, np.int64), 0, 0)
    result = TrainResult(w_in=w_in, w_out=w_out, compile_seconds=time.perf_counter() - t0)

    batches = corpus.plan(BATCH_WORDS_PER_THREAD * threads)
    ids_buffer = None
    start = time.perf_counter()
    done = 0
    for epoch in range(1, config.epochs + 1):
        epoch_start = time.perf_counter()
        loss = 0.0
        pairs = 0
        alpha = config.alpha
        for b in range(len(batches) - 1):
            ids, ends, first = corpus.read_batch(int(batches[b]), int(batches[b + 1]), ids_buffer)
            ids_buffer = ids if ids_buffer is None or len(ids) > len(ids_buffer) else ids_buffer
            chunks = split_sentences(ends, 0, len(ends), threads)
            stats = call(ids, ends, chunks, (epoch - 1) * n_words + first,
                         _batch_seed(config.seed, epoch, b))
            batch_loss = float(stats[:, 0].sum())
            if not np.isfinite(batch_loss):
                raise TrainingDivergedError(
                    f"training diverged in epoch {epoch} (the loss became {batch_loss}); "
                    f"use a smaller --alpha than {config.alpha:g}"
                )
            loss += batch_loss
            pairs += int(stats[:, 1].sum())
            done += len(ids)
            alpha = max(config.alpha - (config.alpha - config.min_alpha) * done / total_words,
                        config.min_alpha)
            if progress is not None:
                elapsed = time.perf_counter() - start
                progress(
                    Progress(
                        epoch=epoch,
                        epochs=config.epochs,
                        words_done=done,
                        total_words=total_words,
                        alpha=alpha,
                        epoch_loss=loss / pairs if pairs else float("nan"),
                        words_per_sec=done / elapsed if elapsed > 0 else 0.0,
                        elapsed=elapsed,
                    )
                )
        if not (np.isfinite(w_in).all() and np.isfinite(w_out).all()):
            raise TrainingDivergedError(
                f"training diverged in epoch {epoch} (the weights became NaN or infinite); "
                f"use a smaller --alpha than {config.alpha:g}"
            )
        result.epochs.append(
            EpochStats(
                epoch=epoch,
                words=n_words,
                pairs=pairs,
                alpha=alpha,
                mean_loss=loss / pairs if pairs else float("nan"),
                seconds=time.perf_counter() - epoch_start,
            )
        )
    result.seconds = time.perf_counter() - start
    result.words = done
    return result
