"""Data-parallel training on a Dask cluster: ``w2v train CORPUS... --cluster ADDRESS|local:N``.

Dask (``pip install 'w2vcli[cluster]'``) is imported by the functions here that need it, never
when this module is imported, so runs without ``--cluster`` never load it.

How a run goes (:class:`ClusterRun`):

1. **Shards.** The corpus files are cut into as many contiguous shards as there are workers
   (:func:`split_corpus`): plain files at byte offsets just after a newline (inside a line
   longer than :data:`NEWLINE_SEARCH` bytes, such as text8's one line, just after a space);
   compressed files are not cut (each goes whole to one shard). Every worker reads its shard
   where it is: the paths must be readable by every worker.
2. **Vocabulary.** One Dask task per shard counts its words with the compiled reader
   (:func:`w2vcli.encode.count_corpus` over :class:`w2vcli.tokenize.ByteRange` pieces) and
   returns every distinct word with its count, in order of first appearance. The client adds
   them up in shard order, which keeps the order of first appearance in the whole corpus, and
   builds the vocabulary as one process does (:meth:`w2vcli.vocab.Vocab.from_counts`:
   ``--min-count``, ``--max-vocab``, ties by first appearance): the same words, counts and ids.
3. **Encoding.** One task per shard encodes it on its worker against that vocabulary
   (:func:`w2vcli.corpus.read_corpus` with ``vocab=``) into the worker's ``TMPDIR``, and cuts
   it into ``rounds_per_epoch`` slices of about equal token counts.
4. **Rounds.** An epoch is ``rounds_per_epoch`` synchronous rounds. In a round every shard
   trains its next slice, one Dask task each, with the Numba batch kernel
   (:func:`w2vcli.kernels.batch_kernel`, ``--threads`` threads per task), on a copy of its
   worker's replica of the model, and keeps the rows of ``w_in`` and ``w_out`` its training
   changed, as ids and deltas, cut into as many contiguous row blocks as there are shards.
   The merge is spread over the workers, in Dask tasks (a reduce-scatter, then an
   all-gather): one task per block, on that block's worker, adds the shards' deltas of the
   block (:data:`MERGE_RULES`: their sum with up to 2 shards, divided by the square root of
   the shards that changed the row up to 4, their mean per row above), and
   the next round's tasks take every merged block and add them to their worker's replica, so
   each worker sends and receives about two copies of its changed rows a round however many
   workers there are. Deltas travel as bfloat16 (:mod:`w2vcli._rows`). The client takes in
   the merged blocks too, into its own copy of the model (the one checkpoints save), while
   the workers train the next round: rounds are submitted :data:`PIPELINE` ahead. The
   learning rate is the global schedule of a one-process run: the round's slices are laid
   end to end as one batch of that run (shard 0's slice first), and every sentence gets the
   rate of its position there. (``delay=1`` lets each shard train on from the rounds before
   the last one's merge plus its own last deltas, so that the merge overlaps the training:
   measured to cost quality, so not the default.)
5. **Faults.** A task whose worker dies is run again elsewhere by Dask (which re-encodes the
   shard there if needed; ``retries=`` covers exceptions), and Dask recomputes the lost
   results it needs. A task that finds its worker's replica at another round than its inputs
   (data lost from a round already taken in) returns a :class:`_Stale` marker instead, and
   the client starts the rounds in flight again from its own model, broadcast anew. The
   client holds the model of the last round it took in: ``--save-model`` checkpoints after
   epochs as in a local run, and at a round boundary on Ctrl-C or when the scheduler is
   lost, and ``--resume`` continues from there on the same shards.

With one thread per task the result is a deterministic function of the seed and the number of
shards (the merge adds in shard order), so a resumed cluster run, or one whose rounds were
started again after a fault, writes the same bytes as one that was never stopped.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import threading
import time
import uuid
from concurrent.futures import CancelledError
from dataclasses import dataclass
from typing import Any

import numpy as np

from w2vcli.errors import W2VError
from w2vcli.training import Position

#: How the shards' deltas of one row are combined. ``sum``: adds them (each shard's SGD steps
#: count in full, as in a one-process run where they would have been taken one after the
#: other); ``mean``: divides their sum by the number n of shards that changed the row (the rule
#: Spark MLlib settled on, SPARK-24666); ``sqrt``: divides it by sqrt(n), between the two (the
#: square-root scaling of the step with the batch, Krizhevsky 2014, Hoffer et al. 2017).
MERGE_RULES = ("sum", "mean", "sqrt")
#: The power of n that each rule divides a row's summed deltas by.
_MERGE_POWER = {"sum": 0.0, "mean": 1.0, "sqrt": 0.5}
#: The rule a run uses; ``None``: ``sum`` for up to :data:`SUM_MAX_SHARDS` shards, ``sqrt`` for
#: up to :data:`SQRT_MAX_SHARDS`, else ``mean``. Measured on text8_head, 5 epochs (README,
#: "Training on a cluster"): with 2 shards ``sum`` scores as a one-process run and the others
#: below it (each row moves less far); with 4 shards ``sum`` diverges (a row that every shard
#: pushes towards the same place moves S times as far: gradient descent with S times its step)
#: and ``sqrt`` scores about twice ``mean``; with 8, ``sqrt``'s loss climbs too and ``mean`` is
#: the rule that stays stable.
MERGE: str | None = None
#: Most shards merged with ``sum`` by default.
SUM_MAX_SHARDS = 2
#: Most shards merged with ``sqrt`` by default.
SQRT_MAX_SHARDS = 4
#: Rounds per epoch, at least: a round trains a fifth of an epoch on all shards together.
#: Measured with 2 shards on text8_head (5 epochs), against one process's analogy accuracy:
#: 1 round per epoch loses 0.026, 2 rounds 0.010, 5 rounds 0.006, 20 rounds 0.005 (one seed).
ROUNDS_PER_EPOCH = 5
#: In-vocabulary tokens each shard trains per round, at most (more rounds per epoch for larger
#: shards; a slice's token ids are held in memory: 4 bytes each).
ROUND_WORDS = 10_000_000
#: Bytes searched after a shard's nominal start for a newline before a space is taken.
NEWLINE_SEARCH = 1 << 20
#: Dask retries of a task that raised (a task whose worker died is rescheduled anyway).
RETRIES = 2
#: Seconds between checks for Ctrl-C and a lost scheduler while a round runs.
POLL_SECONDS = 0.2
#: Seconds a round's tasks (or the reading tasks) may take before the run fails with a
#: one-line error; ``None``: no limit (a round on a large corpus may take minutes). The tests
#: set one.
ROUND_TIMEOUT: float | None = None
#: Times a round is submitted again after its inputs were lost with the workers holding them.
ROUND_ATTEMPTS = 3
#: Rounds submitted ahead of the one the client takes in (plus the delay): the workers train
#: the next round while the client adds the last one into its copy of the model.
PIPELINE = 2
#: Rounds by which the other shards' deltas reach a shard: 0, synchronous rounds (a round
#: trains from the merge of all the rounds before it, so the workers wait for each merge);
#: 1, each shard trains on while the last round is merged, from the merge of the rounds
#: before that plus its own last round (the merge's traffic overlaps the training).
DELAY = 0
#: Rows synced every round: those of the ``HOT_WORDS`` most frequent words (ids below it, in
#: ``w_in`` and, for negative sampling and the softmax, ``w_out``); the other rows keep each
#: shard's changes on its worker and sync every :data:`FULL_SYNC_EVERY` rounds and at the end
#: of every epoch (frequent words more often than rare ones: Ji et al. 2016's remedy for the
#: traffic of data-parallel word2vec). ``None``: every row every round.
HOT_WORDS: int | None = None
#: Rounds between syncs of every row when :data:`HOT_WORDS` is set.
FULL_SYNC_EVERY = 5
#: Seconds a local cluster's worker processes may take to start.
LOCAL_START_SECONDS = 120


class ClusterError(W2VError):
    """The cluster cannot be reached or used (a one-line message naming the address)."""


class SchedulerLost(ClusterError):
    """The scheduler went away during training.

    Attributes:
        position: where the last complete round left the run (resume from here).
        words_done, w_in, w_out: the model of that round and the words trained so far.
    """

    def __init__(self, message: str, position, words_done: int, w_in, w_out) -> None:
        super().__init__(message)
        self.position = position
        self.words_done = words_done
        self.w_in = w_in
        self.w_out = w_out


@dataclass
class ClusterPosition(Position):
    """A :class:`w2vcli.training.Position` of a cluster run: ``round`` is the next round of
    ``epoch`` to train (``sentence`` stays 0: shards have no global sentence order)."""

    round: int = 0


def parse_cluster(spec: str) -> tuple[str, int | None]:
    """``"local:N"`` -> ``("local", N)``; a scheduler address -> ``(address, None)``.

    Raises:
        ValueError: ``local:`` without a whole number of workers from 1, or an address without
            a port (``tcp://host:8786``, ``host:8786``).
    """
    spec = str(spec).strip()
    if spec.startswith("local:") or spec == "local":
        count = spec.partition(":")[2]
        if not count.isdigit() or int(count) < 1:
            raise ValueError(f"{spec!r}: give local:N with N worker processes, from 1")
        return "local", int(count)
    if ":" not in spec.split("://")[-1]:
        raise ValueError(f"{spec!r} is not a scheduler address; give tcp://HOST:PORT (the "
                         "Dask scheduler's, e.g. tcp://10.0.0.5:8786) or local:N")
    return spec, None


# -- shards ----------------------------------------------------------------------------------


def _compressed(path: str) -> bool:
    return os.path.splitext(path)[1].lower() in (".gz", ".bz2", ".xz")


def _cut_after(path: str, offset: int, size: int, search: int = NEWLINE_SEARCH) -> int:
    """The first offset at or after ``offset`` just past a newline of ``path`` within
    ``search`` bytes, else (inside a longer line) just past a space or tab, else the file's
    end."""
    if offset <= 0:
        return 0
    with open(path, "rb") as fh:
        fh.seek(offset - 1)  # the byte before: a cut right after a newline stays
        window = fh.read(search + 1)
        at = window.find(b"\n")
        if at >= 0:
            return offset + at
        pos = offset - 1
        block = window
        while block:
            spaces = [i for i in (block.find(b" "), block.find(b"\t")) if i >= 0]
            if spaces:
                return min(pos + min(spaces) + 1, size)
            pos += len(block)
            block = fh.read(max(search, 1 << 16))
    return size


def split_corpus(paths, parts: int) -> list[list[Any]]:
    """Cut corpus files into ``parts`` contiguous shards of about equal bytes.

    Returns:
        Non-empty shards in corpus order (fewer than ``parts`` where files are too small or
        compressed); each a list of pieces, each a path (a whole file) or a
        :class:`w2vcli.tokenize.ByteRange`, in corpus order.

    Raises:
        CorpusError: a file is missing, unreadable, a directory, or not text.
    """
    from w2vcli.tokenize import ByteRange, open_checked

    files = []
    for path in paths:
        name = os.fspath(path)
        _, _, stream, _ = open_checked(name)  # the reader's own checks and messages
        stream.close()
        files.append((name, os.path.getsize(name)))
    total = sum(size for _, size in files)
    cuts = {0, total}
    start = 0
    for name, size in files:
        for k in range(1, parts):
            target = total * k // parts
            if start < target < start + size:
                if _compressed(name):
                    cuts.add(start if target - start < start + size - target else start + size)
                else:
                    # A newline is looked for over an eighth of a shard at most, so that
                    # small files are cut evenly too.
                    search = min(NEWLINE_SEARCH, max(total // parts // 8, 1 << 12))
                    cuts.add(start + _cut_after(name, target - start, size, search))
        cuts.add(start)
        start += size
    bounds = sorted(cuts)
    shards = []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        pieces, start = [], 0
        for name, size in files:
            a, b = max(lo, start), min(hi, start + size)
            if a < b:
                whole = a == start and b == start + size
                pieces.append(name if whole else ByteRange(name, a - start, b - start))
            start += size
        if pieces:
            shards.append(pieces)
    # Cuts at file boundaries split nothing: merge neighbours until there are at most `parts`.
    while len(shards) > parts:
        sizes = [sum(_piece_size(p) for p in s) for s in shards]
        i = min(range(len(shards) - 1), key=lambda j: sizes[j] + sizes[j + 1])
        shards[i:i + 2] = [shards[i] + shards[i + 1]]
    return shards


def _piece_size(piece) -> int:
    from w2vcli.tokenize import ByteRange

    return piece.stop - piece.start if isinstance(piece, ByteRange) else os.path.getsize(piece)


# -- what runs on the workers ---------------------------------------------------------------


@dataclass
class _Failed:
    """A W2VError raised in a task, returned rather than raised (Dask would retry it)."""

    error: W2VError


@dataclass
class _Count:
    words: list
    counts: np.ndarray
    raw_tokens: int
    replaced_bytes: int
    nul_chars: int
    control_chars: int
    chars: int
    has_text: bool


@dataclass
class _Static:
    """What every task of a run needs, broadcast once: the vocabulary, the reader's settings,
    the training configuration and the output tables."""

    vocab: Any
    tokenizer: tuple
    max_sentence_length: int
    threads: int | None
    rounds: int
    config: Any = None
    tables: Any = None
    keep_prob: Any = None


@dataclass
class _Shard:
    n_tokens: int
    n_sentences: int
    raw_tokens: int
    fingerprint: str
    cuts: np.ndarray       # rounds + 1 sentence indices
    offsets: np.ndarray    # their token offsets


@dataclass
class _Job:
    """One shard's slice of one round: trains from the model after ``version`` rounds (counted
    over the whole run: ``(epoch - 1) * rounds + round``)."""

    run: str
    shard: int
    pieces: list
    epoch: int
    round: int
    version: int
    words_before: int
    total_words: int
    seed: int
    delay: int
    hot: tuple[int, int] | None  # rows of w_in, w_out that sync every round (None: all)
    full: bool                   # this round syncs every row
    refresh: bool                # the round before synced every row (or this is the first)
    blocks_in: np.ndarray   # blocks + 1 row bounds of w_in
    blocks_out: np.ndarray  # and of w_out


@dataclass
class _Base:
    """A whole model broadcast to every worker: the replicas start from it (at the start of a
    run and after a fault); ``generation`` counts the bases of the run, so that a task of an
    older one, still running after the client moved on, cannot take a replica back to it."""

    generation: int
    version: int
    w_in: np.ndarray
    w_out: np.ndarray


@dataclass
class _SliceStats:
    """What a slice's training did (for the loss, the progress and ``round_stats``)."""

    shard: int
    loss: float
    pairs: int
    flops: float
    words: int
    seconds: float
    kernel_seconds: float
    rows_in: int
    rows_out: int
    worker: str


@dataclass
class _Trained:
    """A slice's result: per row block, ``(rows_in, delta_in, rows_out, delta_out)``."""

    parts: list
    stats: _SliceStats


@dataclass
class _Merged:
    """One row block of a round, merged over the shards: the rows that changed (int64, sorted)
    and the change to add to the round's model (float32 ``(rows, d)``), per matrix."""

    rows_in: np.ndarray
    delta_in: np.ndarray
    rows_out: np.ndarray
    delta_out: np.ndarray
    stats: list
    seconds: float


@dataclass
class _Stale:
    """A task found its worker's model at another round than its inputs (after a fault, a
    task recomputed by Dask from lost data): the client starts again from its own model."""

    why: str


def _threads(static: _Static | None) -> int:
    """Kernel and reader threads of a task: the run's ``threads``, else the worker's."""
    if static is not None and static.threads:
        return int(static.threads)
    try:
        from distributed import get_worker

        return int(get_worker().state.nthreads)
    except (ImportError, ValueError, AttributeError):
        return 1


def _count_shard(pieces, tokenizer: tuple, threads: int | None):
    """Task: the distinct words of a shard with their counts, in order of first appearance."""
    from pathlib import Path

    from w2vcli.corpus import temporary_directory
    from w2vcli.encode import count_corpus
    from w2vcli.tokenize import ReadStats, make_tokenizer

    stats = ReadStats()
    tmp = temporary_directory("corpus")
    try:
        counted = count_corpus(Path(tmp.name), pieces, make_tokenizer(*tokenizer),
                               threads or _threads(None), stats)
        try:
            found = counted.select(1)
            words, counts = list(found.words), np.asarray(found.counts, dtype=np.int64)
        finally:
            counted.close()
    except W2VError as exc:
        return _Failed(exc)
    finally:
        tmp.cleanup()
    return _Count(words, counts, counted.raw_tokens, stats.replaced_bytes, stats.nul_chars,
                  stats.control_chars, stats.chars, stats.has_text)


@dataclass
class _ShardCopy:
    """A shard's copy of its worker's replica, which it trains: kept from round to round (with
    ``--sync-words``, its rare rows hold the shard's changes since the last full sync)."""

    w_in: np.ndarray
    w_out: np.ndarray
    generation: int   # of the base the replica was started from when this copy was made
    last: int = -1    # the round this copy last trained


class _RunState:
    """One run's data in a worker process: encoded shards and the worker's replica of the
    model (the same bits on every worker: each adds the same merged blocks)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.shards: dict[int, tuple[Any, _Shard]] = {}
        self.generation = -1
        self.version = -1
        self.w_in: np.ndarray | None = None
        self.w_out: np.ndarray | None = None
        self.copies: dict[int, _ShardCopy] = {}

    def shard(self, index: int, pieces, static: _Static):
        """The encoded shard ``index`` (encoded here the first time)."""
        with self.lock:
            if index not in self.shards:
                self.shards[index] = _encode(pieces, static)
            return self.shards[index]

    def model(self, base: _Base, version: int, merged: tuple, shard: int,
              rows_in: np.ndarray | None = None, hot: tuple[int, int] | None = None,
              refresh: bool = True):
        """The replica at ``version`` rounds and ``shard``'s copy to train (its buffers, kept
        from round to round): ``(w_in, w_out, copy_in, copy_out)``.

        The replica is started from ``base`` if it is of a newer generation, and advanced by
        ``merged`` (the blocks of round ``version - 1``) if one round behind. With ``hot``
        ``None`` every row syncs every round: the copy is the replica (only its rows
        ``rows_in`` of ``w_in``, int64, when given). With ``hot = (rows_in, rows_out)`` only
        the first rows of each matrix (the frequent words') sync every round: the copy takes
        them from the replica and keeps the shard's own changes to the other rows, except
        when ``refresh`` (the round after a sync of all rows), when it takes every row.

        Returns ``None`` if the replica is at another round, or the shard's rows that have
        not synced yet are not here (stale)."""
        from w2vcli._rows import add_rows, copy_rows

        with self.lock:
            if base.generation < self.generation:
                return None  # a task of a base the client has moved past
            if base.generation > self.generation:
                self.w_in, self.w_out = base.w_in.copy(), base.w_out.copy()
                self.generation, self.version = base.generation, base.version
            if merged and self.version == version - 1:
                for block in merged:
                    add_rows(self.w_in, block.rows_in, block.delta_in)
                    add_rows(self.w_out, block.rows_out, block.delta_out)
                self.version = version
            if self.version != version:
                return None
            copy = self.copies.get(shard)
            new = copy is None or copy.generation != self.generation
            if new:
                copy = self.copies[shard] = _ShardCopy(
                    np.empty_like(self.w_in), np.empty_like(self.w_out), self.generation)
            if hot is None:
                if rows_in is None:
                    np.copyto(copy.w_in, self.w_in)
                else:
                    copy_rows(copy.w_in, self.w_in, rows_in)
                np.copyto(copy.w_out, self.w_out)
            elif refresh:
                np.copyto(copy.w_in, self.w_in)
                np.copyto(copy.w_out, self.w_out)
            elif new or copy.last != version - 1:
                return None  # the shard's unsynced rows are on another worker
            else:
                copy.w_in[:hot[0]] = self.w_in[:hot[0]]
                copy.w_out[:hot[1]] = self.w_out[:hot[1]]
            copy.last = version
            return self.w_in, self.w_out, copy.w_in, copy.w_out

    def close(self) -> None:
        for corpus, _ in self.shards.values():
            corpus.close()
        self.shards.clear()
        self.copies.clear()
        self.w_in = self.w_out = None


#: Runs with data in this (worker) process, by run id.
_RUNS: dict[str, _RunState] = {}
_RUNS_LOCK = threading.Lock()


def _run_state(run: str) -> _RunState:
    with _RUNS_LOCK:
        return _RUNS.setdefault(run, _RunState())


def _forget(run: str) -> None:
    """Drop a run's shards and model from this worker (``Client.run`` at the end)."""
    with _RUNS_LOCK:
        state = _RUNS.pop(run, None)
    if state is not None:
        state.close()


def _encode(pieces, static: _Static):
    from w2vcli.corpus import read_corpus
    from w2vcli.tokenize import make_tokenizer
    from w2vcli.training import split_sentences

    _, corpus = read_corpus(pieces, make_tokenizer(*static.tokenizer), 1, None,
                            static.max_sentence_length, vocab=static.vocab,
                            threads=_threads(static))
    ends = corpus.sentence_ends
    cuts = split_sentences(ends, 0, len(ends), static.rounds)
    offsets = np.concatenate(([0], ends))[cuts]
    return corpus, _Shard(len(corpus), corpus.n_sentences, corpus.raw_tokens,
                          corpus.fingerprint(), cuts, offsets)


def _encode_shard(run: str, index: int, pieces, static: _Static):
    """Task: encode shard ``index`` on this worker; returns its :class:`_Shard` summary."""
    try:
        return _run_state(run).shard(index, pieces, static)[1]
    except W2VError as exc:
        return _Failed(exc)


def _load_kernel(config, shards: int) -> float:
    """Task: compile or load the batch kernel and the row helpers here; the seconds it
    took."""
    from w2vcli.training import load_kernel

    began = time.perf_counter()
    load_kernel(config)
    _warm_rows(shards)
    return time.perf_counter() - began


def _warm_rows(shards: int) -> None:
    """Compile (or load from Numba's cache) the row helpers for ``shards`` shards, before the
    first round, for writable arrays and for the read-only ones that Dask delivers."""
    from w2vcli._rows import add_rows, changed_deltas, copy_rows, distinct_ids

    w = np.zeros((2, 1), np.float32)
    rows, delta = changed_deltas(w + 1, w, distinct_ids(np.arange(2, dtype=np.int32), 2))
    copy_rows(w, np.zeros_like(w), rows)
    for writable in (True, False):
        rows.flags.writeable = delta.flags.writeable = writable
        merged = merge_deltas([(rows, delta)] * shards, "mean")
        add_rows(w, *merged)
        for a in merged:
            a.flags.writeable = False
        add_rows(w, *merged)


def _all_rows(w: np.ndarray, among: np.ndarray | None = None) -> np.ndarray:
    """int64 row ids: ``among``, else every row of ``w``."""
    return np.arange(len(w), dtype=np.int64) if among is None else \
        among.astype(np.int64, copy=False)


def _slice_seed(seed: int, epoch: int, round_: int, shard: int) -> int:
    state = np.random.SeedSequence([seed & 0xFFFFFFFFFFFFFFFF, epoch, round_, shard, 0x5eed])
    return int(state.generate_state(1, np.uint64)[0] >> np.uint64(1))


def _where() -> str:
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return ""


def _train_slice(job: _Job, static: _Static, base: _Base, previous, *merged):
    """Task: train shard ``job.shard``'s slice of round ``job.version`` (counted over the
    run) and return the rows it changed with their deltas, cut into the row blocks that the
    merging tasks take (a :class:`_Trained`), or a :class:`_Stale`.

    The slice trains from this worker's replica of the model after ``job.version -
    job.delay`` rounds (advanced by ``merged``, the blocks of the round before that) plus,
    with a delay of 1, the shard's own deltas of the previous round (``previous``, that
    task's result, else ``None``): the other shards' deltas of a round reach it one round
    late, so that it need not wait for them."""
    from w2vcli._rows import add_rows, changed_deltas, distinct_ids
    from w2vcli.kernels import STAT_FLOPS, STAT_LOSS, STAT_PREDICTIONS, batch_kernel
    from w2vcli.training import _batch_params, split_sentences

    began = time.perf_counter()
    for m in (previous, *merged):
        if m is not None and not isinstance(m, (_Merged, _Trained)):
            return m  # a stale or failed input: passed on to the client
    state = _run_state(job.run)
    try:
        corpus, shard = state.shard(job.shard, job.pieces, static)
    except W2VError as exc:
        return _Failed(exc)
    lo, hi = int(shard.cuts[job.round]), int(shard.cuts[job.round + 1])
    ids, ends, _ = corpus.read_batch(lo, hi) if hi > lo else (None, None, 0)
    # The kernel reads and changes the input rows of the slice's words only (a word model:
    # w_in has a row per word): only those are copied and compared.
    words_in = distinct_ids(ids, len(static.vocab)) if ids is not None and len(ids) and \
        len(base.w_in) == len(static.vocab) else None
    version = job.version - (job.delay if previous is not None else 0)
    model = state.model(base, version, merged, job.shard, words_in, job.hot, job.refresh)
    if model is None:
        return _Stale(f"shard {job.shard}: the worker's model is at round {state.version}, "
                      f"not {version}, or the shard's rows not synced yet are elsewhere")
    model_in, model_out, w_in, w_out = model
    if previous is not None:  # the shard's own deltas not yet in the replica
        for rows_in, delta_in, rows_out, delta_out in previous.parts:
            add_rows(w_in, rows_in, delta_in)
            add_rows(w_out, rows_out, delta_out)
        model_in, model_out = w_in.copy(), w_out.copy()
    config = static.config
    loss = flops = kernel_seconds = 0.0
    pairs = words = 0
    if ids is not None:
        threads = _threads(static)
        kernel = batch_kernel(config.dim, config.model, config.loss, config.kernel)
        params = _batch_params(config, job.words_before, job.total_words, job.seed)
        kernel_began = time.perf_counter()
        stats = kernel(w_in, w_out, ids, ends, split_sentences(ends, 0, len(ends), threads),
                       static.keep_prob, static.tables, params)
        kernel_seconds = time.perf_counter() - kernel_began
        loss = float(stats[:, STAT_LOSS].sum())
        pairs = int(stats[:, STAT_PREDICTIONS].sum())
        flops = float(stats[:, STAT_FLOPS].sum())
        words = len(ids)
    among_in, among_out = _all_rows(w_in, words_in), _all_rows(w_out)
    if job.hot is not None and not job.full:  # only the frequent words' rows sync now
        among_in = among_in[:np.searchsorted(among_in, job.hot[0])]
        among_out = among_out[:job.hot[1]]
    elif job.hot is not None:  # all rows sync: the rare rows' changes of the rounds since
        among_in = _all_rows(w_in)  # the last full sync too
    rows_in, delta_in = changed_deltas(w_in, model_in, among_in)
    rows_out, delta_out = changed_deltas(w_out, model_out, among_out)
    cut_in = np.searchsorted(rows_in, job.blocks_in)
    cut_out = np.searchsorted(rows_out, job.blocks_out)
    parts = [(rows_in[a:b], delta_in[a:b], rows_out[c:d], delta_out[c:d])
             for a, b, c, d in zip(cut_in[:-1], cut_in[1:], cut_out[:-1], cut_out[1:])]
    return _Trained(parts, _SliceStats(job.shard, loss, pairs, flops, words,
                                       time.perf_counter() - began, kernel_seconds,
                                       len(rows_in), len(rows_out), _where()))


def _block(trained, index: int):
    """Task (where the slice's result is): its row block ``index`` and its statistics."""
    if not isinstance(trained, _Trained):
        return trained
    return trained.parts[index], trained.stats


def _merge_block(rule: str, index: int, *pieces):
    """Task: row block ``index`` of a round merged over the shards (:func:`merge_deltas`, in
    shard order); a :class:`_Merged`. ``pieces``: per shard, :func:`_block`'s result, or the
    shard's whole :class:`_Trained` (the one trained where this task runs: no task to cut it)."""
    began = time.perf_counter()
    pieces = [_block(p, index) if isinstance(p, _Trained) else p for p in pieces]
    for p in pieces:
        if not isinstance(p, tuple):
            return p
    rows_in, delta_in = merge_deltas([(part[0], part[1]) for part, _ in pieces], rule)
    rows_out, delta_out = merge_deltas([(part[2], part[3]) for part, _ in pieces], rule)
    return _Merged(rows_in, delta_in, rows_out, delta_out, [s for _, s in pieces],
                   time.perf_counter() - began)


def _read_only(a, dtype) -> np.ndarray:
    """A read-only view of ``a`` as ``dtype`` (parts come writable from this worker and
    read-only from others; one kind compiles one variant of the merge)."""
    a = np.asarray(a, dtype=dtype).view()
    a.flags.writeable = False
    return a


def merge_deltas(parts: list[tuple[np.ndarray, np.ndarray]], rule: str = "sum"
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Merge the shards' deltas of one matrix (or one block of its rows).

    Args:
        parts: per shard, in shard order, ``(rows, deltas)``: int64 sorted distinct row ids
            and their changes, bfloat16 bits in uint16 ``(len(rows), d)``
            (:func:`w2vcli._rows.to_bfloat16`).
        rule: ``"sum"`` adds the deltas; ``"mean"`` divides each row's sum by the number n of
            shards that changed it, ``"sqrt"`` by sqrt(n) (see :data:`MERGE_RULES`).

    Returns:
        ``(rows, delta)``: int64 sorted ids of the rows any shard changed, and the change to
        add to the round's model, bfloat16 bits ``(len(rows), d)``. The additions are made in
        float32 in shard order: the same bits for the same inputs.

    Raises:
        ValueError: an unknown rule.
    """
    if rule not in MERGE_RULES:
        raise ValueError(f"merge rule must be one of {', '.join(MERGE_RULES)}")
    from w2vcli._rows import merge_rows

    parts = [(_read_only(r, np.int64), _read_only(d, np.uint16)) for r, d in parts]
    if not parts or not any(len(r) for r, _ in parts):
        dim = parts[0][1].shape[1] if parts else 0
        return np.empty(0, np.int64), np.empty((0, dim), np.uint16)
    lo = min(int(r[0]) for r, _ in parts if len(r))
    hi = max(int(r[-1]) for r, _ in parts if len(r)) + 1
    return merge_rows(tuple(r for r, _ in parts), tuple(d for _, d in parts), lo, hi,
                      _MERGE_POWER[rule])


@dataclass
class ClusterCorpus:
    """The encoded corpus of a cluster run, as the client sees it: where a
    :class:`w2vcli.corpus.Corpus` goes in a local run (sizes, fingerprint, reader warnings),
    with the shards on the workers.

    Attributes:
        run: the :class:`ClusterRun` holding the shards.
        shards: per shard, its pieces (paths and byte ranges).
        info: per shard, its encoding summary (tokens, sentences, fingerprint, slice cuts).
    """

    run: "ClusterRun"
    shards: list
    info: list
    raw_tokens: int = 0
    replaced_bytes: int = 0
    nul_chars: int = 0
    control_chars: int = 0

    @property
    def n_tokens(self) -> int:
        """In-vocabulary tokens of all shards."""
        return int(sum(s.n_tokens for s in self.info))

    @property
    def n_sentences(self) -> int:
        """Sentences of all shards."""
        return int(sum(s.n_sentences for s in self.info))

    def __len__(self) -> int:
        return self.n_tokens

    def fingerprint(self) -> str:
        """SHA-256 of the shards' own fingerprints, in order, and how they are cut: equal for
        runs that train the same shards and rounds."""
        digest = hashlib.sha256(f"w2v-cluster {len(self.info)} shards, "
                                f"{self.run.rounds} rounds\n".encode())
        for s in self.info:
            digest.update(s.fingerprint.encode() + b"\n")
        return digest.hexdigest()

    def layout(self) -> dict[str, Any]:
        """What ``model.json`` keeps of the cluster run: enough to cut the same shards and
        rounds on resume."""
        return {"address": self.run.spec, "shards": len(self.info),
                "rounds_per_epoch": self.run.rounds, "merge": self.run.merge,
                "delay": self.run.delay, "hot_words": self.run.hot_words,
                "full_sync_every": self.run.full_sync_every,
                "workers": self.run.n_workers, "threads": self.run.threads}

    def describe(self) -> str:
        """One line for the user: workers, shards and rounds."""
        r = self.run
        threads = f"{r.threads} thread{'s' if r.threads != 1 else ''}" if r.threads else \
            "its cores"
        return (f"Cluster {r.spec}: {r.n_workers} worker{'s' if r.n_workers != 1 else ''}, "
                f"{threads} each; {len(self.info)} shard{'s' if len(self.info) != 1 else ''}, "
                f"{r.rounds} round{'s' if r.rounds != 1 else ''} per epoch, merge {r.merge}"
                + (f"; the {r.hot_words:,} most frequent words' rows synced every round, the "
                   f"others every {r.full_sync_every} rounds and at each epoch's end"
                   if r.hot_words else "") + ".")

    def close(self) -> None:
        """Drop the shards from the workers (the cluster itself is closed by its run)."""
        self.run.forget()


class ClusterRun:
    """A connection to a Dask cluster for one training run (a context manager).

    ``ClusterRun(spec)`` starts a ``LocalCluster`` of N worker processes for ``local:N`` (one
    Dask thread each; ``threads`` kernel threads per task) or connects to the scheduler at
    ``spec``. :meth:`read_corpus`, :meth:`load_kernel` and :meth:`train` stand in for
    :func:`w2vcli.corpus.read_corpus`, :func:`w2vcli.training.load_kernel` and
    :func:`w2vcli.training.train`, with the same arguments and results.

    Args:
        spec: ``"local:N"`` or a scheduler address (``tcp://host:8786``).
        threads: kernel threads per task (default: for ``local:N``, the cores over N; else
            each worker's Dask thread count).
        layout: a resumed run's ``model.json`` ``"cluster"`` entry: the same number of shards
            and rounds per epoch.
        merge: the merge rule (default :data:`MERGE`).
        round_words: tokens per shard per round (default :data:`ROUND_WORDS`).
        timeout: seconds to wait for the scheduler (default: Dask's
            ``distributed.comm.timeouts.connect``).
        delay: 0 (synchronous rounds) or 1 (each shard trains on while the last round is
            merged; see :data:`DELAY`); default: the layout's, else :data:`DELAY`.
        hot_words, full_sync_every: sync only the rows of the ``hot_words`` most frequent
            words every round, and every row every ``full_sync_every`` rounds and at the end
            of each epoch (see :data:`HOT_WORDS`); default: the layout's, else
            :data:`HOT_WORDS` and :data:`FULL_SYNC_EVERY`.

    While it is open, Dask's own log messages (the ``distributed`` logger) below CRITICAL are
    not shown: what goes wrong is raised as one-line errors. The scheduler and the workers
    need ``w2vcli`` installed (the same version): tasks name its functions.

    Raises:
        ClusterError: Dask is not installed, or the scheduler cannot be reached.
        ValueError: a delay other than 0 or 1, ``hot_words`` or ``full_sync_every`` below 1,
            or ``hot_words`` with a delay.
    """

    def __init__(self, spec: str, threads: int | None = None, layout: dict | None = None,
                 merge: str | None = None, round_words: int | None = None,
                 timeout: float | None = None, delay: int | None = None,
                 hot_words: int | None = None, full_sync_every: int | None = None) -> None:
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise ClusterError("--cluster needs Dask: pip install 'w2vcli[cluster]' (or "
                               "'dask[distributed]')") from None
        kind, count = parse_cluster(spec)
        saved = layout or {}
        delay = int(saved.get("delay", DELAY) if delay is None else delay)
        if delay not in (0, 1):
            raise ValueError("delay must be 0 (synchronous rounds) or 1")
        if hot_words is None:
            hot_words = saved.get("hot_words", HOT_WORDS)
        full_sync_every = int(saved.get("full_sync_every", FULL_SYNC_EVERY)
                              if full_sync_every is None else full_sync_every)
        if hot_words is not None and (int(hot_words) < 1 or full_sync_every < 1):
            raise ValueError("hot_words and full_sync_every must be at least 1")
        if hot_words is not None and delay:
            raise ValueError("hot_words needs synchronous rounds (delay 0)")
        # Dask logs the connection errors it retries on stderr; this run reports what goes
        # wrong itself, in one line (restored by close()).
        self._log = logging.getLogger("distributed")
        self._log_level = self._log.level
        self._log.setLevel(logging.CRITICAL)
        self.spec = spec
        self.layout = dict(layout or {})
        self.merge = merge or self.layout.get("merge") or MERGE
        self.delay = delay
        self.hot_words = None if hot_words is None else int(hot_words)
        self.full_sync_every = full_sync_every
        self.round_words = int(round_words or ROUND_WORDS)
        self.id = uuid.uuid4().hex
        self._cluster = None
        try:
            self.client = _connect(kind, count, threads, timeout)
        except BaseException:
            self._log.setLevel(self._log_level)
            raise
        self._cluster = self.client.cluster if kind == "local" else None
        self.n_workers = len(self._addresses())
        if kind == "local" and threads is None:
            threads = max(1, (os.cpu_count() or 1) // max(count, 1))
        self.threads = threads
        self.rounds = int(self.layout.get("rounds_per_epoch") or 0)
        self._static = None
        self._static_value = None
        self._corpus: ClusterCorpus | None = None
        self._homes: dict[int, str] = {}
        #: One dict per round taken in: ``words``, ``seconds`` (wall, since the client took in
        #: the round before), ``task_seconds`` and ``kernel_seconds`` (each slice's task and
        #: its kernel, on its worker), ``rows_in`` / ``rows_out`` (rows each slice changed),
        #: ``union_in`` / ``union_out`` (rows of the merged blocks), ``merge_seconds`` (each
        #: block's merging task), ``apply_seconds`` (the client adding the blocks to its
        #: model). For benchmarks.
        self.round_stats: list[dict[str, Any]] = []
        self._generations = 0  # bases broadcast by this run, over all its trainings

    # -- reading --------------------------------------------------------------------------

    def read_corpus(self, paths, tokenizer, min_count: int = 5, max_vocab: int | None = None,
                    max_sentence_length: int = 10000, directory=None, vocab=None,
                    update_vocab: bool = False, threads: int | None = None):
        """:func:`w2vcli.corpus.read_corpus` on the cluster: the vocabulary counted on the
        workers and merged here, each shard encoded on its worker.

        Returns:
            ``(vocab, corpus)``: the :class:`w2vcli.vocab.Vocab` a one-process read gives,
            and a :class:`ClusterCorpus`.

        Raises:
            CorpusError: as :func:`w2vcli.corpus.read_corpus`; standard input is refused.
        """
        from w2vcli import corpus as corpora
        from w2vcli.tokenize import ReadStats, tokenizer_spec
        from w2vcli.vocab import Vocab

        if any(os.fspath(p) == "-" for p in paths):
            raise ClusterError("--cluster reads corpus files where they are, on every worker; "
                               "standard input cannot be shared: save it to a file they can "
                               "all read")
        spec = tokenizer_spec(tokenizer)
        if spec is None:
            raise ValueError("a cluster run needs a tokenizer made by make_tokenizer")
        parts = int(self.layout.get("shards") or self.n_workers)
        shards = split_corpus(paths, parts)
        addresses = self._addresses()
        counted = self._gather([
            self.client.submit(_count_shard, pieces, spec, self.threads, pure=False,
                               retries=RETRIES, workers=[addresses[i % len(addresses)]],
                               allow_other_workers=True)
            for i, pieces in enumerate(shards)])
        stats = ReadStats()
        index: dict[str, int] = {}
        totals: list[int] = []
        for c in counted:
            stats.chars += c.chars
            stats.has_text = stats.has_text or c.has_text
            for word, n in zip(c.words, c.counts.tolist()):
                i = index.setdefault(word, len(totals))
                if i == len(totals):
                    totals.append(n)
                else:
                    totals[i] += n
        raw_tokens = sum(c.raw_tokens for c in counted)
        if raw_tokens == 0:
            raise corpora._no_tokens(paths, stats)
        words, counts = list(index), np.asarray(totals, dtype=np.int64)
        del index
        if vocab is None:
            vocab, _ = Vocab.from_counts(words, counts, min_count, max_vocab)
        elif update_vocab:
            vocab, _ = corpora._against(vocab, words, counts, min_count, True)
        known = vocab.index
        in_vocab = [sum(n for w, n in zip(c.words, c.counts.tolist()) if w in known)
                    for c in counted]
        if sum(in_vocab) == 0:
            raise corpora._none_kept(vocab)
        keep = [i for i, n in enumerate(in_vocab) if n > 0]
        shards = [shards[i] for i in keep]
        if not self.rounds:
            self.rounds = max(ROUNDS_PER_EPOCH, math.ceil(max(in_vocab) / self.round_words))
        if not self.merge:
            self.merge = "sum" if len(shards) <= SUM_MAX_SHARDS else \
                "sqrt" if len(shards) <= SQRT_MAX_SHARDS else "mean"
        self._static_value = _Static(vocab, spec, int(max_sentence_length), self.threads,
                                     self.rounds)
        self._static = self._scatter(self._static_value)
        self._homes = {i: addresses[i % len(addresses)] for i in range(len(shards))}
        info = self._gather([
            self.client.submit(_encode_shard, self.id, i, pieces, self._static, pure=False,
                               retries=RETRIES, workers=[self._homes[i]],
                               allow_other_workers=True)
            for i, pieces in enumerate(shards)])
        self._corpus = ClusterCorpus(
            self, shards, info, raw_tokens=raw_tokens,
            replaced_bytes=sum(c.replaced_bytes for c in counted),
            nul_chars=sum(c.nul_chars for c in counted),
            control_chars=sum(c.control_chars for c in counted))
        return vocab, self._corpus

    def load_kernel(self, config) -> tuple[None, float]:
        """Compile or load the batch kernel on every worker; ``(None, seconds)``, the slowest
        worker's seconds."""
        config.validate()
        shards = len(self._corpus.shards) if self._corpus is not None else self.n_workers
        _warm_rows(shards)
        seconds = self._gather([
            self.client.submit(_load_kernel, config, shards, pure=False, workers=[a],
                               allow_other_workers=False)
            for a in self._addresses()])
        return None, max(seconds, default=0.0)

    # -- training -------------------------------------------------------------------------

    def train(self, vocab, corpus: ClusterCorpus, config, progress=None, *, weights=None,
              start=None, on_epoch=None, batch_kernel=None):
        """:func:`w2vcli.training.train` on the cluster, in synchronous rounds.

        Arguments and result are :func:`w2vcli.training.train`'s (``batch_kernel`` is not
        used: each worker loads its own). ``start`` may be a :class:`ClusterPosition`.
        ``progress`` is called after every round, with the whole cluster's words per second
        and the epoch's running mean loss.

        Raises:
            TrainingDivergedError, TrainingInterrupted (Ctrl-C: at the start of the round in
            progress), SchedulerLost, and what :func:`w2vcli.training.train` raises.
        """
        from w2vcli import training as tr

        config.validate()
        if weights is None:
            tr.check_memory(len(vocab), config)
        self._static_value.config = config
        self._static_value.tables = tr.output_tables(vocab, config)
        self._static_value.keep_prob = vocab.keep_probabilities(config.sample)
        self._static = self._scatter(self._static_value)
        out_rows = config.output_rows(len(vocab))
        if weights is None:
            w_in, w_out = tr.init_weights(len(vocab), config.dim, config.seed, out_rows)
        else:
            w_in, w_out = weights
            if w_in.shape != (len(vocab), config.dim) or w_out.shape != (out_rows, config.dim):
                raise ValueError(f"weights of shapes {w_in.shape} and {w_out.shape} do not fit "
                                 f"{len(vocab)} words, {out_rows} output rows and dimension "
                                 f"{config.dim}")
        position = start if start is not None else ClusterPosition()
        if not isinstance(position, ClusterPosition):
            if position.sentence:
                raise ValueError("a mid-epoch checkpoint of a one-machine run cannot be "
                                 "resumed on a cluster")
            position = ClusterPosition(epoch=position.epoch, loss=position.loss,
                                       pairs=position.pairs)
        # Task keys name the call too: Dask gives a submitted key that it still holds the
        # result it has, so a second train() of this run must not reuse the first one's keys.
        self._train_id = uuid.uuid4().hex[:12]
        self._attempt = 0
        stop = tr._StopOnInterrupt()
        with stop:
            try:
                return self._rounds(vocab, corpus, config, w_in, w_out, position, progress,
                                    on_epoch, stop)
            except tr.TrainingInterrupted as interrupted:
                interrupted.signum = stop.signum or interrupted.signum
                raise

    def _rounds(self, vocab, corpus, config, w_in, w_out, position, progress, on_epoch, stop):
        from collections import deque

        from w2vcli import training as tr
        from w2vcli._rows import add_rows

        n_words = len(corpus)
        total_words = n_words * config.epochs
        threads = (self.threads or 1) * self.n_workers
        result = tr.TrainResult(w_in=w_in, w_out=w_out, threads=threads)
        began, began_cpu = time.perf_counter(), time.process_time()
        offsets = np.array([s.offsets for s in corpus.info])  # (shards, rounds + 1)
        rounds = self.rounds
        # Rounds are counted over the whole run: round g trains from the model after g rounds.
        first = (position.epoch - 1) * rounds + position.round
        last = config.epochs * rounds
        done = (position.epoch - 1) * n_words + int(offsets[:, position.round].sum())
        first_done = done
        hot = None
        if self.hot_words is not None and self.hot_words < len(w_in):
            # Output rows are words' for negative sampling and the softmax, inner nodes of
            # the Huffman tree for hierarchical softmax (all synced every round).
            hot = (self.hot_words, len(w_out) if config.loss == "hs" else
                   min(self.hot_words, len(w_out)))
        layout = _Layout(corpus, offsets, n_words, total_words, config.seed,
                         _block_bounds(len(w_in), len(corpus.shards)),
                         _block_bounds(len(w_out), len(corpus.shards)), hot)
        self._rebase(w_in, w_out, first)
        pending: deque = deque()  # (round, futures of its merged blocks), oldest first
        submitted, failures = first, 0
        epoch_start, epoch_first_done = time.perf_counter(), done
        last_end = time.perf_counter()
        alpha = tr._alpha_at(config, done, total_words)
        try:
            while position.epoch <= config.epochs:
                # Rounds are submitted ahead: the workers go on to the next round while the
                # client takes in this one.
                epoch, r = position.epoch, position.round
                try:
                    while submitted < last and len(pending) < PIPELINE + self.delay:
                        pending.append((submitted, self._submit_round(submitted, layout)))
                        submitted += 1
                    blocks = self._wait(pending[0][1], stop)
                except _Stopped:
                    raise self._interrupted(position, done, total_words, w_in, w_out, result,
                                            began, began_cpu, first_done) from None
                except _Lost as lost:
                    raise self._lost(lost, epoch, r, position, done, w_in, w_out) from None
                if isinstance(blocks, _Stale):
                    # A worker died with data of the rounds in flight: start them again from
                    # the client's model, the last round taken in.
                    failures += 1
                    if failures > ROUND_ATTEMPTS:
                        raise ClusterError(
                            f"a round failed {ROUND_ATTEMPTS} times on the cluster at "
                            f"{self.spec}: its inputs were lost with the workers holding them "
                            f"({blocks.why})")
                    self._cancel(pending)
                    pending.clear()
                    try:
                        self._static = self._scatter(self._static_value)
                        self._rebase(w_in, w_out, (epoch - 1) * rounds + r)
                    except (CancelledError, OSError, TimeoutError) as exc:
                        if not _connection_lost(self.client, exc):
                            raise
                        raise self._lost("the connection was lost", epoch, r, position, done,
                                         w_in, w_out) from None
                    submitted = (epoch - 1) * rounds + r
                    continue
                pending.popleft()
                self._held.pop((epoch - 1) * rounds + r, None)
                failures = 0
                slices = blocks[0].stats  # in shard order
                loss = sum(s.loss for s in slices)
                tr.check_loss(loss, epoch, config)
                apply_began = time.perf_counter()
                for block in blocks:
                    add_rows(w_in, block.rows_in, block.delta_in)
                    add_rows(w_out, block.rows_out, block.delta_out)
                apply_seconds = time.perf_counter() - apply_began
                for s in slices:
                    if s.worker:
                        self._homes[s.shard] = s.worker
                words = sum(s.words for s in slices)
                position.loss += loss
                position.pairs += sum(s.pairs for s in slices)
                result.flops += sum(s.flops for s in slices)
                done += int(offsets[:, r + 1].sum() - offsets[:, r].sum())
                position.round = r + 1  # the model is this round's: a checkpoint goes on
                now = time.perf_counter()
                self.round_stats.append({
                    "words": words, "seconds": now - last_end,
                    "task_seconds": [s.seconds for s in slices],
                    "kernel_seconds": [s.kernel_seconds for s in slices],
                    "rows_in": [s.rows_in for s in slices],
                    "rows_out": [s.rows_out for s in slices],
                    "union_in": sum(len(b.rows_in) for b in blocks),
                    "union_out": sum(len(b.rows_out) for b in blocks),
                    "merge_seconds": [b.seconds for b in blocks],
                    "apply_seconds": apply_seconds})
                last_end = now
                alpha = tr._alpha_at(config, done, total_words)
                if progress is not None:
                    progress(tr.snapshot(config, position, done, total_words, alpha,
                                         done - first_done, time.perf_counter() - began))
                if position.round < rounds:
                    continue
                tr.check_weights(w_in, w_out, epoch, config)
                stats = tr.EpochStats(epoch=epoch, words=n_words, pairs=position.pairs,
                                      alpha=alpha,
                                      mean_loss=tr._mean(position.loss, position.pairs),
                                      seconds=time.perf_counter() - epoch_start,
                                      trained_words=done - epoch_first_done)
                result.epochs.append(stats)
                position = ClusterPosition(epoch=epoch + 1)
                epoch_start, epoch_first_done = time.perf_counter(), done
                if on_epoch is not None:
                    on_epoch(stats, w_in, w_out)
        finally:
            self._cancel(pending)
            self._submitted, self._held = {}, {}
        result.seconds = time.perf_counter() - began
        result.cpu_seconds = time.process_time() - began_cpu
        result.words = done - first_done
        return result

    def _lost(self, why, epoch: int, r: int, position, done: int, w_in, w_out
              ) -> SchedulerLost:
        return SchedulerLost(
            f"lost the Dask scheduler at {self.spec} in epoch {epoch}, round {r + 1} of "
            f"{self.rounds} ({why})", ClusterPosition(**vars(position)), done, w_in, w_out)

    def _interrupted(self, position, done, total_words, w_in, w_out, result, began, began_cpu,
                     first_done):
        from w2vcli.training import TrainingInterrupted

        result.seconds = time.perf_counter() - began
        result.cpu_seconds = time.process_time() - began_cpu
        result.words = done - first_done
        return TrainingInterrupted(ClusterPosition(**vars(position)), done, total_words, w_in,
                                   w_out, result)

    def _rebase(self, w_in: np.ndarray, w_out: np.ndarray, version: int) -> None:
        """Broadcast the whole model, after ``version`` rounds: the workers' replicas start
        again from it (a new generation), and the rounds from ``version`` on are submitted
        anew."""
        self._generations += 1
        self._generation = self._generations
        self._base_version = version
        self._submitted: dict[int, tuple[list | None, list]] = {}
        self._held: dict[int, list] = {}
        self._attempt += 1
        self._base = self._scatter(_Base(self._generation, version, w_in.copy(), w_out.copy()))

    def _submit_round(self, g: int, layout: "_Layout") -> list:
        """Submit round ``g`` (counted over the run): per shard a training task, per shard and
        row block a task taking the block out of its result (where it is), and per block a
        task merging it over the shards. A training task takes the merged blocks of round ``g
        - 1 - delay`` and, with a delay, the shard's result of round ``g - 1`` (none of the
        rounds before the last :meth:`_rebase`). Returns the futures of the merged blocks."""
        epoch, r = divmod(g, self.rounds)
        epoch += 1
        offsets = layout.offsets
        sizes = offsets[:, r + 1] - offsets[:, r]
        start = (epoch - 1) * layout.n_words + int(offsets[:, r].sum())
        before = start + np.concatenate(([0], np.cumsum(sizes)[:-1]))
        shards = len(layout.corpus.shards)
        _, merged = self._submitted.get(g - 1 - self.delay, (None, []))
        previous, _ = self._submitted.get(g - 1, (None, None)) if self.delay else (None, None)
        key = f"{self.id}-{self._train_id}-{epoch}-{r}"
        try:
            trained = [self.client.submit(
                _train_slice, _Job(self.id, k, layout.corpus.shards[k], epoch, r, g,
                                   int(before[k]), layout.total_words,
                                   _slice_seed(layout.seed, epoch, r, k), self.delay, layout.hot, self._full(g),
                                   g == self._base_version or self._full(g - 1),
                                   layout.blocks_in, layout.blocks_out),
                self._static, self._base, previous[k] if previous else None, *merged,
                key=f"w2v-slice-{key}-{k}-{self._attempt - 1}",
                workers=[self._home(k)], allow_other_workers=True, retries=RETRIES,
                pure=False) for k in range(shards)]
            # Block j is merged where shard j trained: its own part needs no task.
            parts = [[t if k == j else self.client.submit(
                _block, t, j, key=f"w2v-block-{key}-{k}-{j}-{self._attempt - 1}", pure=False)
                for k, t in enumerate(trained)] for j in range(shards)]
            blocks = [self.client.submit(
                _merge_block, self.merge, j, *parts[j],
                key=f"w2v-merge-{key}-{j}-{self._attempt - 1}", workers=[self._home(j)],
                allow_other_workers=True, retries=RETRIES, pure=False)
                for j in range(shards)]
            # The client holds the round's inner futures until it takes the round in: a future
            # released while the scheduler still registers a task that takes it would cancel
            # that task as having lost its dependencies.
            self._held[g] = [f for part in parts for f in part]
        except (CancelledError, OSError, TimeoutError) as exc:
            if _connection_lost(self.client, exc):
                raise _Lost("the connection was lost") from None
            raise
        self._submitted[g] = (trained if self.delay else None, blocks)
        # Keep only what later rounds take: the results held by older futures are released.
        for old in [h for h in self._submitted if h < g - self.delay]:
            del self._submitted[old]
        if self.delay and g - 1 in self._submitted:
            self._submitted[g - 1] = (None, self._submitted[g - 1][1])
        return blocks

    def _full(self, g: int) -> bool:
        """Whether round ``g`` (counted over the run) syncs every row."""
        r = g % self.rounds
        return (r + 1) % self.full_sync_every == 0 or r == self.rounds - 1

    def _wait(self, futures, stop):
        """The results of one round's merging tasks, in block order, or a :class:`_Stale`
        when its data was lost with a worker.

        Raises:
            _Stopped (Ctrl-C), _Lost (the scheduler), the error of a task that raised after
            its retries, a task's W2VError.
        """
        if stop.requested:
            raise _Stopped

        def check() -> bool:
            if stop.requested:
                raise _Stopped
            self._check_scheduler()
            # Futures the scheduler dropped never finish: the round is submitted again.
            return any(f.status in ("cancelled", "lost") for f in futures)

        try:
            self._poll(futures, check)
        except (CancelledError, OSError) as exc:
            if _connection_lost(self.client, exc):
                raise _Lost("the connection was lost") from None
        if any(f.status != "finished" for f in futures):
            self._check_scheduler()
            for f in futures:
                if f.status == "error":
                    f.result()  # raises the task's exception here
            return _Stale("a task's inputs were lost")
        try:
            blocks = self.client.gather(futures)
        except (CancelledError, OSError) as exc:
            if _connection_lost(self.client, exc):
                raise _Lost("the connection was lost") from None
            return _Stale("a result was lost")
        for b in blocks:
            if isinstance(b, _Failed):
                raise b.error
            if not isinstance(b, _Merged):
                return b
        return blocks

    def _cancel(self, pending) -> None:
        try:
            if self.client.status == "running":
                self.client.cancel([f for _, futures in pending for f in futures])
        except Exception:  # noqa: BLE001 - clean-up of a cluster that may be gone
            pass

    def _scatter(self, value):
        """One future for ``value``, held by every worker (a tuple stays one value)."""
        return self.client.scatter([value], broadcast=True, hash=False)[0]

    def _home(self, shard: int) -> str:
        addresses = self._addresses()
        home = self._homes.get(shard)
        if home not in addresses:
            home = addresses[shard % len(addresses)]
            self._homes[shard] = home
        return home

    def _addresses(self) -> list[str]:
        workers = self.client.nthreads()  # asks the scheduler (scheduler_info() is a cache)
        if not workers:
            raise ClusterError(f"the Dask cluster at {self.spec} has no workers")
        return sorted(workers)

    def _check_scheduler(self) -> None:
        if self.client.status not in ("running", "connecting"):
            raise _Lost(f"client {self.client.status}")

    def _gather(self, futures) -> list:
        """Results of setup tasks, in order; a task's W2VError re-raised here."""
        try:
            self._poll(futures, self._check_scheduler_setup)
            results = self.client.gather(futures)
        except (CancelledError, OSError) as exc:
            if _connection_lost(self.client, exc):
                raise ClusterError(f"lost the Dask scheduler at {self.spec}") from None
            raise
        for r in results:
            if isinstance(r, _Failed):
                raise r.error
        return results

    def _poll(self, futures, check) -> None:
        """Wait for ``futures``, calling ``check`` every :data:`POLL_SECONDS` (it may raise,
        or return true to stop waiting); past :data:`ROUND_TIMEOUT`, a ClusterError."""
        from distributed import wait

        began = time.monotonic()
        while True:
            try:
                wait(futures, timeout=POLL_SECONDS)
                return
            except TimeoutError:
                if check():
                    return
                self._check_time(began, futures)

    def _check_time(self, began: float, futures) -> None:
        if ROUND_TIMEOUT is not None and time.monotonic() - began > ROUND_TIMEOUT:
            self.client.cancel(futures)
            raise ClusterError(f"tasks on the cluster at {self.spec} took more than "
                               f"{ROUND_TIMEOUT:g} s; check its workers (dask's dashboard)")

    def _check_scheduler_setup(self) -> None:
        if self.client.status not in ("running", "connecting"):
            raise ClusterError(f"lost the Dask scheduler at {self.spec}")

    def forget(self) -> None:
        """Drop this run's shards and model from the workers."""
        try:
            if self.client.status == "running":
                self.client.run(_forget, self.id)
        except Exception:  # noqa: BLE001 - clean-up of a cluster that may be gone
            pass

    def close(self) -> None:
        """Drop the run's data from the workers; disconnect (and stop a local cluster)."""
        self.forget()
        try:
            self.client.close()
        finally:
            try:
                if self._cluster is not None:
                    self._cluster.close()
            finally:
                self._log.setLevel(self._log_level)

    def __enter__(self) -> "ClusterRun":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _connection_lost(client, exc: BaseException) -> bool:
    """Whether ``exc``, raised while waiting on futures, means the scheduler is gone."""
    return client.status != "running" or "connection-lost" in str(exc) \
        or isinstance(exc, OSError)


@dataclass
class _Layout:
    """What the client needs to submit any round of a training."""

    corpus: ClusterCorpus
    offsets: np.ndarray   # (shards, rounds + 1) token offsets of the slices
    n_words: int
    total_words: int
    seed: int
    blocks_in: np.ndarray
    blocks_out: np.ndarray
    hot: tuple[int, int] | None


def _block_bounds(rows: int, blocks: int) -> np.ndarray:
    """int64 ``blocks + 1`` bounds cutting ``rows`` row ids into contiguous blocks of about
    equal size (each merged by one task)."""
    return np.linspace(0, rows, blocks + 1).round().astype(np.int64)


class _Stopped(Exception):
    """Ctrl-C while a round ran."""


class _Lost(Exception):
    """The scheduler went away while a round ran."""


def _connect(kind: str, count: int | None, threads: int | None, timeout: float | None):
    """A ``distributed.Client``: of a new ``LocalCluster`` for ``kind == "local"``, else
    connected to the scheduler at ``kind``."""
    import dask
    from distributed import Client, LocalCluster

    if kind == "local":
        try:
            cluster = LocalCluster(n_workers=count, threads_per_worker=1, processes=True,
                                   dashboard_address=":0", silence_logs=logging.ERROR)
        except RuntimeError as exc:  # a worker process failed to start
            raise ClusterError(f"could not start local:{count}, a Dask LocalCluster of "
                               f"{count} worker processes ({exc}); in a script, start it "
                               "under if __name__ == '__main__':") from None
        client = Client(cluster, direct_to_workers=True)
        try:
            client.wait_for_workers(count, timeout=LOCAL_START_SECONDS)
        except BaseException:
            client.close()
            cluster.close()
            raise
        return client
    if timeout is None:
        timeout = dask.utils.parse_timedelta(dask.config.get("distributed.comm.timeouts.connect"))
    try:
        return Client(kind, timeout=timeout, direct_to_workers=True)
    except (OSError, TimeoutError) as exc:
        raise ClusterError(f"cannot reach the Dask scheduler at {kind} within {timeout:g} s "
                           f"({type(exc).__name__}); check the address and that 'dask scheduler' "
                           "runs there") from None
