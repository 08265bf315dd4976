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
   (:func:`w2vcli.kernels.batch_kernel`, ``--threads`` threads per task), starting from the
   round's model, and returns only the rows of ``w_in`` and ``w_out`` its training changed:
   their ids and the change (a delta). The client merges the deltas into the next model
   (:data:`MERGE_RULES`: their sum with up to 2 shards, their mean per row above) and
   broadcasts only the merged rows' new values (``scatter``), which
   each worker applies to its copy of the model; after as many bytes of updates as the model
   itself the client broadcasts the whole model instead. The learning rate is the global
   schedule of a one-process run: the round's slices are laid end to end as one batch of that
   run (shard 0's slice first), and every sentence gets the rate of its position there.
5. **Faults.** Tasks are pure functions of the round's model and a shard: a task whose worker
   dies is run again elsewhere by Dask (which re-encodes the shard there if needed;
   ``retries=`` covers exceptions). The client holds the model of the last complete round:
   ``--save-model`` checkpoints after epochs as in a local run, and at a round boundary on
   Ctrl-C or when the scheduler is lost, and ``--resume`` continues from there on the same
   shards.

With one thread per task the result is a deterministic function of the seed and the number of
shards (the merge adds in shard order), so a resumed cluster run writes the same bytes as one
that was never stopped.
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

#: How the client combines the workers' deltas of one row. ``sum``: adds them (each worker's
#: SGD steps count in full, as in a one-process run where they would have been taken one after
#: the other); ``mean``: divides their sum by the number of workers that changed the row (the
#: rule Spark MLlib settled on, SPARK-24666).
MERGE_RULES = ("sum", "mean")
#: The rule a run uses; ``None``: ``sum`` for up to :data:`SUM_MAX_SHARDS` shards, else
#: ``mean``. Measured on text8_head, 5 epochs (README, "Training on a cluster"): with 2 shards
#: ``sum`` scores as a one-process run and ``mean`` far below (each row moved by about half);
#: with 4 and 8 shards ``sum`` diverges (a row that every shard pushes towards the same place
#: moves S times as far: gradient descent with S times its step, unstable past 2), and
#: ``mean`` is the rule that stays finite.
MERGE: str | None = None
#: Most shards merged with ``sum`` by default.
SUM_MAX_SHARDS = 2
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
    run: str
    shard: int
    pieces: list
    epoch: int
    round: int
    words_before: int
    total_words: int
    seed: int
    base: str
    n_updates: int


@dataclass
class _Slice:
    rows_in: np.ndarray
    delta_in: np.ndarray
    rows_out: np.ndarray
    delta_out: np.ndarray
    loss: float
    pairs: int
    flops: float
    words: int
    seconds: float
    kernel_seconds: float
    worker: str


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


class _RunState:
    """One run's data in a worker process: encoded shards and the current model."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.shards: dict[int, tuple[Any, _Shard]] = {}
        self.base: str | None = None
        self.applied = 0
        self.w_in: np.ndarray | None = None
        self.w_out: np.ndarray | None = None

    def shard(self, index: int, pieces, static: _Static):
        """The encoded shard ``index`` (encoded here the first time)."""
        with self.lock:
            if index not in self.shards:
                self.shards[index] = _encode(pieces, static)
            return self.shards[index]

    def model(self, base_key: str, base, updates) -> tuple[np.ndarray, np.ndarray]:
        """This round's model: the broadcast base with the broadcast updates applied."""
        with self.lock:
            if self.base != base_key or self.applied > len(updates):
                self.w_in, self.w_out = base[0].copy(), base[1].copy()
                self.base, self.applied = base_key, 0
            for rows_in, values_in, rows_out, values_out in updates[self.applied:]:
                self.w_in[rows_in] = values_in
                self.w_out[rows_out] = values_out
            self.applied = len(updates)
            return self.w_in, self.w_out

    def close(self) -> None:
        for corpus, _ in self.shards.values():
            corpus.close()
        self.shards.clear()
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


def _load_kernel(config) -> float:
    """Task: compile or load the batch kernel here; the seconds it took."""
    from w2vcli.training import load_kernel

    return load_kernel(config)[1]


def _changed_rows(new: np.ndarray, old: np.ndarray, among: np.ndarray | None = None
                  ) -> np.ndarray:
    """int64 ids of the rows where ``new`` differs from ``old`` (NaN counts as changed), of
    all rows or of the sorted ids ``among``."""
    from w2vcli._rows import changed_rows

    if among is None:
        among = np.arange(len(new), dtype=np.int64)
    return changed_rows(new, old, among.astype(np.int64))


def _slice_seed(seed: int, epoch: int, round_: int, shard: int) -> int:
    state = np.random.SeedSequence([seed & 0xFFFFFFFFFFFFFFFF, epoch, round_, shard, 0x5eed])
    return int(state.generate_state(1, np.uint64)[0] >> np.uint64(1))


def _train_slice(job: _Job, static: _Static, base, updates) -> _Slice:
    """Task: train shard ``job.shard``'s slice of round ``job.round`` from the round's model;
    return the rows it changed and their deltas."""
    from w2vcli.kernels import STAT_FLOPS, STAT_LOSS, STAT_PREDICTIONS, batch_kernel
    from w2vcli.training import _batch_params, split_sentences

    began = time.perf_counter()
    state = _run_state(job.run)
    corpus, shard = state.shard(job.shard, job.pieces, static)
    model_in, model_out = state.model(job.base, base, updates[:job.n_updates])
    w_in, w_out = model_in.copy(), model_out.copy()
    config = static.config
    lo, hi = int(shard.cuts[job.round]), int(shard.cuts[job.round + 1])
    loss = flops = kernel_seconds = 0.0
    pairs = words = 0
    ids = None
    if hi > lo:
        ids, ends, _ = corpus.read_batch(lo, hi)
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
    # An input row changes only for a word of the slice (as a centre or an outside word).
    rows_in = _changed_rows(w_in, model_in, np.unique(ids) if words and len(w_in) == len(
        static.vocab) else None)  # (rows beyond the words, such as subwords': all compared)
    rows_out = _changed_rows(w_out, model_out)
    try:
        from distributed import get_worker

        where = get_worker().address
    except (ImportError, ValueError):
        where = ""
    return _Slice(rows_in, w_in[rows_in] - model_in[rows_in], rows_out,
                  w_out[rows_out] - model_out[rows_out], loss, pairs, flops, words,
                  time.perf_counter() - began, kernel_seconds, where)


# -- the client ------------------------------------------------------------------------------


def merge(w: np.ndarray, parts: list[tuple[np.ndarray, np.ndarray]], rule: str = "sum"
          ) -> np.ndarray:
    """Merge the workers' row deltas into ``w`` in place; returns the rows changed.

    Args:
        w: float32 ``(rows, d)``, the round's model (one matrix).
        parts: per worker, in shard order, ``(rows, deltas)``: int64 distinct row ids and
            float32 ``(len(rows), d)`` changes.
        rule: ``"sum"`` adds the deltas; ``"mean"`` divides each row's sum by the number of
            workers that changed it (see :data:`MERGE_RULES`).

    Returns:
        int64 sorted ids of the rows that changed (the union).
    """
    if rule not in MERGE_RULES:
        raise ValueError(f"merge rule must be one of {', '.join(MERGE_RULES)}")
    from w2vcli._rows import add_rows

    touched = np.zeros(len(w), dtype=np.int32)
    for rows, _ in parts:
        touched[rows] += 1
    for rows, delta in parts:  # in shard order: the same bits for the same inputs
        add_rows(w, rows.astype(np.int64), delta, touched, rule == "mean")
    return np.flatnonzero(touched)


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
                "workers": self.run.n_workers, "threads": self.run.threads}

    def describe(self) -> str:
        """One line for the user: workers, shards and rounds."""
        r = self.run
        threads = f"{r.threads} thread{'s' if r.threads != 1 else ''}" if r.threads else \
            "its cores"
        return (f"Cluster {r.spec}: {r.n_workers} worker{'s' if r.n_workers != 1 else ''}, "
                f"{threads} each; {len(self.info)} shard{'s' if len(self.info) != 1 else ''}, "
                f"{r.rounds} round{'s' if r.rounds != 1 else ''} per epoch, merge {r.merge}.")

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

    While it is open, Dask's own log messages (the ``distributed`` logger) below CRITICAL are
    not shown: what goes wrong is raised as one-line errors. The scheduler and the workers
    need ``w2vcli`` installed (the same version): tasks name its functions.

    Raises:
        ClusterError: Dask is not installed, or the scheduler cannot be reached.
    """

    def __init__(self, spec: str, threads: int | None = None, layout: dict | None = None,
                 merge: str | None = None, round_words: int | None = None,
                 timeout: float | None = None) -> None:
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise ClusterError("--cluster needs Dask: pip install 'w2vcli[cluster]' (or "
                               "'dask[distributed]')") from None
        kind, count = parse_cluster(spec)
        # Dask logs the connection errors it retries on stderr; this run reports what goes
        # wrong itself, in one line (restored by close()).
        self._log = logging.getLogger("distributed")
        self._log_level = self._log.level
        self._log.setLevel(logging.CRITICAL)
        self.spec = spec
        self.layout = dict(layout or {})
        self.merge = merge or self.layout.get("merge") or MERGE
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
        #: One dict per round trained: ``words``, ``seconds`` (the round, wall),
        #: ``task_seconds`` (each slice's, on its worker), ``rows_in`` / ``rows_out`` (rows each
        #: slice changed), ``union_in`` / ``union_out`` (rows broadcast), ``merge_seconds``
        #: (merging and broadcasting, on the client). For benchmarks.
        self.round_stats: list[dict[str, Any]] = []

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
            self.merge = "sum" if len(shards) <= SUM_MAX_SHARDS else "mean"
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
        seconds = self._gather([
            self.client.submit(_load_kernel, config, pure=False, workers=[a],
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
        stop = tr._StopOnInterrupt()
        with stop:
            try:
                return self._rounds(vocab, corpus, config, w_in, w_out, position, progress,
                                    on_epoch, stop)
            except tr.TrainingInterrupted as interrupted:
                interrupted.signum = stop.signum or interrupted.signum
                raise

    def _rounds(self, vocab, corpus, config, w_in, w_out, position, progress, on_epoch, stop):
        from w2vcli import training as tr

        n_words = len(corpus)
        total_words = n_words * config.epochs
        threads = (self.threads or 1) * self.n_workers
        result = tr.TrainResult(w_in=w_in, w_out=w_out, threads=threads)
        began, began_cpu = time.perf_counter(), time.process_time()
        offsets = np.array([s.offsets for s in corpus.info])  # (shards, rounds + 1)
        done = (position.epoch - 1) * n_words + int(offsets[:, position.round].sum())
        first_done = done
        self._rebase(w_in, w_out)
        while position.epoch <= config.epochs:
            epoch = position.epoch
            epoch_start, epoch_first_done = time.perf_counter(), done
            alpha = tr._alpha_at(config, done, total_words)
            while position.round < self.rounds:
                if stop.requested:
                    raise self._interrupted(position, done, total_words, w_in, w_out, result,
                                            began, began_cpu, first_done)
                r = position.round
                sizes = offsets[:, r + 1] - offsets[:, r]
                before = done + np.concatenate(([0], np.cumsum(sizes)[:-1]))
                jobs = [_Job(self.id, k, corpus.shards[k], epoch, r, int(before[k]),
                             total_words, _slice_seed(config.seed, epoch, r, k), "", 0)
                        for k in range(len(corpus.shards))]
                round_began = time.perf_counter()
                try:
                    slices = self._round(jobs, stop, w_in, w_out)
                except _Stopped:
                    raise self._interrupted(position, done, total_words, w_in, w_out, result,
                                            began, began_cpu, first_done) from None
                except _Lost as lost:
                    raise self._lost(lost, epoch, r, position, done, w_in, w_out) from None
                loss = sum(s.loss for s in slices)
                tr.check_loss(loss, epoch, config)
                merge_began = time.perf_counter()
                rows_in = merge(w_in, [(s.rows_in, s.delta_in) for s in slices], self.merge)
                rows_out = merge(w_out, [(s.rows_out, s.delta_out) for s in slices],
                                 self.merge)
                merge_seconds = time.perf_counter() - merge_began
                position.loss += loss
                position.pairs += sum(s.pairs for s in slices)
                result.flops += sum(s.flops for s in slices)
                done += int(sizes.sum())
                position.round = r + 1  # the model is this round's: a checkpoint goes on
                merged = time.perf_counter()
                try:
                    self._broadcast(w_in, w_out, rows_in, rows_out)
                except (CancelledError, OSError, TimeoutError) as exc:
                    if not _connection_lost(self.client, exc):
                        raise
                    raise self._lost("the connection was lost", epoch, r, position, done,
                                     w_in, w_out) from None
                self.round_stats.append({
                    "words": int(sizes.sum()), "seconds": time.perf_counter() - round_began,
                    "task_seconds": [s.seconds for s in slices],
                    "kernel_seconds": [s.kernel_seconds for s in slices],
                    "rows_in": [len(s.rows_in) for s in slices],
                    "rows_out": [len(s.rows_out) for s in slices],
                    "union_in": len(rows_in), "union_out": len(rows_out),
                    "merge_seconds": time.perf_counter() - merged + merge_seconds})
                alpha = tr._alpha_at(config, done, total_words)
                if progress is not None:
                    progress(tr.snapshot(config, position, done, total_words, alpha,
                                         done - first_done, time.perf_counter() - began))
            tr.check_weights(w_in, w_out, epoch, config)
            stats = tr.EpochStats(epoch=epoch, words=n_words, pairs=position.pairs, alpha=alpha,
                                  mean_loss=tr._mean(position.loss, position.pairs),
                                  seconds=time.perf_counter() - epoch_start,
                                  trained_words=done - epoch_first_done)
            result.epochs.append(stats)
            position = ClusterPosition(epoch=epoch + 1)
            if on_epoch is not None:
                on_epoch(stats, w_in, w_out)
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

    def _rebase(self, w_in: np.ndarray, w_out: np.ndarray) -> None:
        """Broadcast the whole model; later updates are applied to it."""
        self._base = self._scatter((w_in.copy(), w_out.copy()))
        self._base_key = self._base.key
        self._updates: list = []
        self._update_bytes = 0

    def _broadcast(self, w_in, w_out, rows_in, rows_out) -> None:
        """Broadcast a round's merged rows (their new values), or the whole model once the
        updates since the last whole model add up to more bytes than it."""
        size = (len(rows_in) + len(rows_out)) * w_in.shape[1] * 4
        if self._update_bytes + size > w_in.nbytes + w_out.nbytes:
            self._rebase(w_in, w_out)
            return
        update = (rows_in, w_in[rows_in], rows_out, w_out[rows_out])
        self._updates.append(self._scatter(update))
        self._update_bytes += size

    def _round(self, jobs, stop, w_in, w_out) -> list[_Slice]:
        """Run one round's tasks; their results in shard order. ``w_in``, ``w_out``: the
        round's model, broadcast again if the copies on the workers were lost."""
        from distributed import wait

        for attempt in range(ROUND_ATTEMPTS):
            futures = []
            try:
                for job in jobs:
                    job.base, job.n_updates = self._base_key, len(self._updates)
                    futures.append(self.client.submit(
                        _train_slice, job, self._static, self._base, self._updates,
                        key=f"w2v-slice-{self.id}-{self._train_id}-{job.epoch}-{job.round}-"
                            f"{job.shard}-{attempt}",
                        workers=[self._home(job.shard)], allow_other_workers=True,
                        retries=RETRIES, pure=False))
            except (CancelledError, OSError, TimeoutError) as exc:
                if _connection_lost(self.client, exc):
                    raise _Lost("the connection was lost") from None
                raise
            began = time.monotonic()
            while True:
                if stop.requested:
                    self.client.cancel(futures)
                    raise _Stopped
                try:
                    wait(futures, timeout=POLL_SECONDS)
                    break
                except TimeoutError:
                    self._check_scheduler()
                    self._check_time(began, futures)
                except (CancelledError, OSError) as exc:
                    if _connection_lost(self.client, exc):
                        raise _Lost("the connection was lost") from None
                    break  # futures cancelled: their inputs are sent again below
            failed = [f for f in futures if f.status != "finished"]
            if not failed:
                slices = self.client.gather(futures)
                for job, s in zip(jobs, slices):
                    if s.worker:
                        self._homes[job.shard] = s.worker
                return slices
            self._check_scheduler()
            errors = [f for f in failed if f.status == "error"]
            if errors:
                errors[0].result()  # raises the task's exception here
            # The inputs were lost with the workers holding them: send them again.
            try:
                self._static = self._scatter(self._static_value)
                self._rebase(w_in, w_out)
            except (CancelledError, OSError, TimeoutError) as exc:
                if _connection_lost(self.client, exc):
                    raise _Lost("the connection was lost") from None
                raise
        raise ClusterError(f"a round failed {ROUND_ATTEMPTS} times on the cluster at "
                           f"{self.spec}: its inputs were lost with the workers holding them")

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
        from distributed import wait

        began = time.monotonic()
        try:
            while True:
                try:
                    wait(futures, timeout=POLL_SECONDS)
                    break
                except TimeoutError:
                    self._check_scheduler_setup()
                    self._check_time(began, futures)
            results = self.client.gather(futures)
        except (CancelledError, OSError) as exc:
            if _connection_lost(self.client, exc):
                raise ClusterError(f"lost the Dask scheduler at {self.spec}") from None
            raise
        for r in results:
            if isinstance(r, _Failed):
                raise r.error
        return results

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
