"""The encoded corpus: every in-vocabulary token as an int32 id, with sentence boundaries, on disk.

Reading is one pass over the text, so standard input works and the slow part (tokenizing) is
done once. While reading, each distinct word gets a provisional id in order of first appearance
and the provisional ids are appended to a file; the vocabulary (:class:`~w2vcli.vocab.Vocab`) is
then built from the counts (pass 1), and the stored ids are mapped to vocabulary ids, with
out-of-vocabulary tokens removed as word2vec.c and gensim do before windowing (pass 2, a block at
a time).

Two implementations give the same result for every input. The tokenizers of
:func:`~w2vcli.tokenize.make_tokenizer` go through :mod:`w2vcli.encode`: compiled tokenizing and
counting over raw bytes on every core (lines with non-ASCII bytes are still tokenized by the
Python tokenizer). Any other tokenizer function goes through the reference here: one thread,
:func:`~w2vcli.tokenize.iter_sentences` and a dict; the tests hold the two equal.

The encoded ids and sentence ends live in files in a temporary directory and training reads them
a batch at a time (:meth:`Corpus.read_batch`), so a corpus larger than RAM trains with resident
memory bounded by the model, the vocabulary and one batch. They are read with ``readinto``, not
memory-mapped: pages of a mapping stay resident (and count in RSS) once touched. The directory,
``w2v-corpus-<pid>-<random>`` in ``TMPDIR`` (:func:`temporary_directory`), is removed when the
process ends in any way that runs code; what a ``kill -9`` leaves is removed by the next run.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import weakref
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from w2vcli.atomic import remove_orphans
from w2vcli.errors import CorpusError
from w2vcli.tokenize import ReadStats, iter_sentences, tokenizer_spec
from w2vcli.vocab import Vocab

#: Tokens held in memory before they are appended to the provisional-id file, and per block of
#: the remapping pass.
BLOCK_TOKENS = 1 << 18


def _read_at(handle, dtype: np.dtype, offset: int, count: int, out: np.ndarray | None = None) -> np.ndarray:
    """Read ``count`` items of ``dtype`` at item ``offset`` of an open binary file."""
    itemsize = np.dtype(dtype).itemsize
    if out is None:
        out = np.empty(count, dtype=dtype)
    else:
        out = out[:count]
    handle.seek(offset * itemsize)
    got = handle.readinto(memoryview(out).cast("B"))
    if got != count * itemsize:
        raise CorpusError("the encoded corpus file is shorter than expected; was it deleted?")
    return out


TEMP_PREFIXES = ("w2v-corpus-", "w2v-phrases-")


def temporary_directory(kind: str, directory: str | os.PathLike | None = None
                        ) -> tempfile.TemporaryDirectory:
    """A new ``w2v-<kind>-<pid>-<random>`` directory for encoded text (``kind``: ``corpus``,
    ``phrases``), in ``directory`` or the system's temporary directory (``TMPDIR``).

    It is removed when the returned object is cleaned up or garbage-collected, and at the
    latest when the interpreter exits normally (which ``w2v`` also does on an error, Ctrl-C and
    SIGTERM). First the ``w2v-corpus-*`` and ``w2v-phrases-*`` directories there of processes
    that no longer run (killed with ``kill -9``) are removed
    (:func:`w2vcli.atomic.remove_orphans`); those of running processes are kept.

    Raises:
        OSError: the directory cannot be created.
    """
    base = directory if directory is not None else tempfile.gettempdir()
    for prefix in TEMP_PREFIXES:
        remove_orphans(base, prefix)
    _sweep_at_exit(base)
    return tempfile.TemporaryDirectory(prefix=f"w2v-{kind}-{os.getpid()}-", dir=directory)


_SWEPT: set[tuple[int, str]] = set()


def _sweep_at_exit(base: str | os.PathLike) -> None:
    """At interpreter exit, remove this process's ``w2v-*-<pid>-*`` directories in ``base``.

    The directory's own finalizer is registered only once ``mkdtemp`` has returned, so a
    Ctrl-C or SIGTERM raised in between (signal handlers run between any two bytecodes) would
    leave the directory behind; this sweep, registered before, catches it.
    """
    import atexit
    import shutil

    key = (os.getpid(), os.fspath(base))
    if key in _SWEPT:
        return
    _SWEPT.add(key)

    def sweep(pid: int = os.getpid()) -> None:
        if os.getpid() != pid:  # a forked child exiting: not its directories
            return
        for prefix in TEMP_PREFIXES:
            for path in Path(base).glob(f"{prefix}{pid}-*"):
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path, ignore_errors=True)

    atexit.register(sweep)


class Corpus:
    """A corpus encoded against a vocabulary, stored in two files.

    Attributes:
        n_tokens: in-vocabulary tokens ``N``.
        n_sentences: non-empty sentences ``S``.
        raw_tokens: tokens read, including those dropped as out of vocabulary.
        replaced_bytes: bytes of the corpus that were not valid UTF-8 and were read as U+FFFD
            (0 unless made by :func:`read_corpus`).
        nul_chars: NUL characters read as spaces (see :mod:`w2vcli.tokenize`).
        control_chars: other control characters read as spaces (likewise).
        directory: where ``ids.i32`` (int32 ``(N,)``) and ``ends.i64`` (int64 ``(S,)``, the
            exclusive end offset of each sentence, strictly increasing, last ``N``) are; a
            temporary directory removed when the object is garbage-collected or closed.
    """

    replaced_bytes: int = 0
    nul_chars: int = 0
    control_chars: int = 0

    def __init__(self, directory: Path, n_tokens: int, n_sentences: int, raw_tokens: int,
                 cleanup: Callable[[], None] | None = None) -> None:
        self.directory = Path(directory)
        self.n_tokens = n_tokens
        self.n_sentences = n_sentences
        self.raw_tokens = raw_tokens
        self._cleanup = weakref.finalize(self, cleanup) if cleanup else None
        self._ids_file = open(self.directory / "ids.i32", "rb")
        self._ends_file = open(self.directory / "ends.i64", "rb")

    @classmethod
    def from_arrays(cls, ids: np.ndarray, sentence_ends: np.ndarray, raw_tokens: int | None = None,
                    directory: str | os.PathLike | None = None) -> "Corpus":
        """Store already-encoded arrays (int32 ids ``(N,)``, int64 sentence ends ``(S,)``)."""
        tmp = temporary_directory("corpus", directory)
        path = Path(tmp.name)
        np.ascontiguousarray(ids, dtype=np.int32).tofile(path / "ids.i32")
        np.ascontiguousarray(sentence_ends, dtype=np.int64).tofile(path / "ends.i64")
        return cls(path, len(ids), len(sentence_ends),
                   len(ids) if raw_tokens is None else raw_tokens, tmp.cleanup)

    def __len__(self) -> int:
        return self.n_tokens

    def close(self) -> None:
        """Close the files and remove the temporary directory."""
        self._ids_file.close()
        self._ends_file.close()
        if self._cleanup is not None:
            self._cleanup()

    @property
    def ids(self) -> np.ndarray:
        """int32 ``(N,)``: all token ids, read into memory (for small corpora and tests)."""
        return _read_at(self._ids_file, np.int32, 0, self.n_tokens)

    @property
    def sentence_ends(self) -> np.ndarray:
        """int64 ``(S,)``: all sentence ends, read into memory."""
        return _read_at(self._ends_file, np.int64, 0, self.n_sentences)

    def fingerprint(self) -> str:
        """SHA-256 of the encoded ids and sentence ends: equal for corpora that train the same.

        It changes when any in-vocabulary token or sentence boundary changes, and not when only
        out-of-vocabulary tokens do. Reads both files once (about 1 s per 100M tokens).
        """
        digest = hashlib.sha256()
        for handle in (self._ids_file, self._ends_file):
            handle.seek(0)
            for block in iter(lambda h=handle: h.read(1 << 22), b""):
                digest.update(block)
        return digest.hexdigest()

    def sentence_start(self, s: int) -> int:
        """Token offset of the start of sentence ``s`` (``N`` for ``s == S``)."""
        if s == 0:
            return 0
        return int(_read_at(self._ends_file, np.int64, s - 1, 1)[0])

    def plan(self, target_tokens: int) -> np.ndarray:
        """Cut the sentences into runs of about ``target_tokens`` tokens each.

        Returns:
            int64 sentence indices ``[0, s_1, ..., S]``, strictly increasing; a run holds at
            least one sentence, so a sentence longer than ``target_tokens`` is a run of its own.
        """
        cuts = [np.zeros(1, dtype=np.int64)]
        next_mark = target_tokens
        block = 1 << 20
        for lo in range(0, self.n_sentences, block):
            ends = _read_at(self._ends_file, np.int64, lo, min(block, self.n_sentences - lo))
            marks = np.arange(next_mark, ends[-1] + 1, target_tokens, dtype=np.int64)
            if len(marks):
                # Cut after the sentence that reaches each mark.
                cuts.append(lo + np.searchsorted(ends, marks, side="left") + 1)
                next_mark = int(marks[-1]) + target_tokens
        cuts.append(np.array([self.n_sentences], dtype=np.int64))
        return np.unique(np.concatenate(cuts))

    def read_batch(self, lo: int, hi: int, ids_buffer: np.ndarray | None = None
                   ) -> tuple[np.ndarray, np.ndarray, int]:
        """Read sentences ``lo..hi-1``.

        Args:
            ids_buffer: optional int32 array to read the ids into (reused between batches).

        Returns:
            ``(ids, ends, first)``: int32 ids of the batch, int64 sentence ends relative to the
            batch's first token, and the global offset of that first token.
        """
        first = self.sentence_start(lo)
        ends = _read_at(self._ends_file, np.int64, lo, hi - lo) - first
        count = int(ends[-1]) if len(ends) else 0
        if ids_buffer is not None and len(ids_buffer) < count:
            ids_buffer = None
        ids = _read_at(self._ids_file, np.int32, first, count, ids_buffer)
        return ids, ends, first


def read_corpus(
    paths: Sequence[str | os.PathLike],
    tokenizer: Callable[[str], list[str]],
    min_count: int = 5,
    max_vocab: int | None = None,
    max_sentence_length: int = 10000,
    directory: str | os.PathLike | None = None,
    vocab: Vocab | None = None,
    update_vocab: bool = False,
    threads: int | None = None,
) -> tuple[Vocab, Corpus]:
    """Tokenize the corpus files, build the vocabulary and encode the corpus to disk.

    Args:
        paths: corpus files (plain, .gz, .bz2, .xz) or ``"-"`` for standard input.
        tokenizer: string -> tokens (see :func:`w2vcli.tokenize.make_tokenizer`).
        min_count: words seen fewer times are left out of the vocabulary.
        max_vocab: keep at most this many of the most frequent words.
        max_sentence_length: longer lines are cut into pieces of this many tokens.
        directory: where to make the temporary directory (default: the system's, ``TMPDIR``;
            see :func:`temporary_directory`). It needs about 4 bytes per token, twice over
            while encoding.
        vocab: encode against this vocabulary instead of building one (``--read-vocab``,
            resuming, ``--init``); its words and counts are kept, and ``min_count`` and
            ``max_vocab`` do not apply to it.
        update_vocab: with ``vocab``, append the corpus's words that are not in it and occur at
            least ``min_count`` times (most frequent first), with their counts in this corpus.
        threads: threads that read, tokenize and count (default: every core); the result does
            not depend on it.

    Returns:
        ``(vocab, corpus)``; ``corpus.replaced_bytes`` counts the bytes that were not valid UTF-8
        (read as U+FFFD), ``corpus.nul_chars`` and ``corpus.control_chars`` the stray NULs
        and other control characters read as spaces.

    Raises:
        CorpusError: a file cannot be read or is not text, the corpus is empty or has no tokens,
            or no word reaches ``min_count``.
        ValueError: ``max_sentence_length`` or ``threads`` below 1.
    """
    tmp = temporary_directory("corpus", directory)
    stats = ReadStats()
    encode = _encode_parallel if tokenizer_spec(tokenizer) is not None else _encode
    try:
        vocab, n_tokens, n_sentences, raw_tokens = encode(
            Path(tmp.name), paths, tokenizer, min_count, max_vocab, max_sentence_length, vocab,
            update_vocab, stats, threads,
        )
    except BaseException:
        tmp.cleanup()
        raise
    corpus = Corpus(Path(tmp.name), n_tokens, n_sentences, raw_tokens, tmp.cleanup)
    corpus.replaced_bytes = stats.replaced_bytes
    corpus.nul_chars = stats.nul_chars
    corpus.control_chars = stats.control_chars
    return vocab, corpus


def _no_tokens(paths, stats: ReadStats) -> CorpusError:
    """The error for a corpus that gave no token at all."""
    names = ", ".join(os.fspath(p) for p in paths)
    if stats.chars == 0:
        return CorpusError(
            f"the corpus ({names}) is empty; pass a text file with one sentence per line"
        )
    if not stats.has_text:
        return CorpusError(
            f"the corpus ({names}) has no tokens, only whitespace; "
            "pass a text file with one sentence per line"
        )
    return CorpusError(
        f"the corpus ({names}) has no tokens; check the file, "
        "or try --tokenizer whitespace if it is not made of letters and digits"
    )


def _none_kept(fixed_vocab: Vocab | None) -> CorpusError:
    """The error for a corpus none of whose tokens is in the vocabulary."""
    return CorpusError(
        "none of the corpus's words is in the vocabulary; check that it is the right corpus"
        if fixed_vocab is not None else "no in-vocabulary tokens; lower --min-count"
    )


def _encode_parallel(workdir: Path, paths, tokenizer, min_count, max_vocab, max_sentence_length,
                     fixed_vocab: Vocab | None = None, update_vocab: bool = False,
                     stats: ReadStats | None = None, threads: int | None = None):
    """Both passes with :mod:`w2vcli.encode`; returns what :func:`_encode` returns."""
    if max_sentence_length < 1:
        raise ValueError("max_sentence_length must be at least 1")
    from w2vcli.encode import count_corpus

    if stats is None:
        stats = ReadStats()
    counted = count_corpus(workdir, paths, tokenizer, threads, stats)
    try:
        if counted.raw_tokens == 0:
            raise _no_tokens(paths, stats)
        if fixed_vocab is None:
            # Only the words that reach min_count can be kept, and the order of the others
            # does not matter: the same vocabulary as from every word. When none reaches it,
            # every word goes to from_counts, for its error message.
            words = counted.select(min_count)
            if len(words) == 0 or (max_vocab is not None and max_vocab < 1):
                words = counted.select(1)
            vocab, remap = Vocab.from_counts(words.words, words.counts, min_count, max_vocab)
            maps = [(words, remap)]
        else:
            vocab = fixed_vocab
            maps = [(counted.find(fixed_vocab.words), np.arange(len(fixed_vocab)))]
            if update_vocab:
                words = counted.select(min_count)
                known = np.array([fixed_vocab.index.get(w, -1) for w in words.words],
                                 dtype=np.int32)
                vocab, remap = _against(fixed_vocab, words.words, words.counts, min_count,
                                        True, known)
                maps.append((words, remap))
        n_tokens, n_sentences = counted.write(maps, max_sentence_length,
                                              workdir / "ids.i32", workdir / "ends.i64")
    finally:
        counted.close()
    if n_tokens == 0:
        raise _none_kept(fixed_vocab)
    return vocab, n_tokens, n_sentences, counted.raw_tokens


def _encode(workdir: Path, paths, tokenizer, min_count, max_vocab, max_sentence_length,
            fixed_vocab: Vocab | None = None, update_vocab: bool = False,
            stats: ReadStats | None = None, threads: int | None = None):
    """Both passes, the reference way (one thread, a dict); returns
    ``(vocab, n_tokens, n_sentences, raw_tokens)``. ``threads`` is not used."""
    if stats is None:
        stats = ReadStats()
    raw_path, lengths_path = workdir / "raw.i32", workdir / "lengths.i64"
    index: dict[str, int] = {}
    setdefault = index.setdefault
    counts = np.zeros(0, dtype=np.int64)
    raw_tokens = 0
    with open(raw_path, "wb") as raw_file, open(lengths_path, "wb") as lengths_file:
        buffer: list[int] = []
        lengths: list[int] = []

        def flush(distinct: int) -> None:
            nonlocal counts, raw_tokens
            block = np.array(buffer, dtype=np.int32)
            block.tofile(raw_file)
            np.array(lengths, dtype=np.int64).tofile(lengths_file)
            if len(counts) < distinct:
                counts = np.concatenate((counts, np.zeros(distinct - len(counts), np.int64)))
            counts += np.bincount(block, minlength=len(counts))
            raw_tokens += len(block)
            buffer.clear()
            lengths.clear()

        for tokens in iter_sentences(paths, tokenizer, max_sentence_length, stats=stats):
            buffer.extend([setdefault(t, len(index)) for t in tokens])
            lengths.append(len(tokens))
            if len(buffer) >= BLOCK_TOKENS:
                flush(len(index))
        flush(len(index))

    if raw_tokens == 0:
        raise _no_tokens(paths, stats)
    if fixed_vocab is None:
        vocab, remap = Vocab.from_counts(list(index), counts, min_count, max_vocab)
    else:
        vocab, remap = _against(fixed_vocab, list(index), counts, min_count, update_vocab)
    del index

    lengths_all = np.fromfile(lengths_path, dtype=np.int64)
    raw_ends = np.cumsum(lengths_all)
    n_tokens = 0
    n_sentences = 0
    with open(raw_path, "rb") as raw_file, open(workdir / "ids.i32", "wb") as ids_file, \
            open(workdir / "ends.i64", "wb") as ends_file:
        s = 0
        while s < len(raw_ends):
            first = int(raw_ends[s - 1]) if s else 0
            # Whole sentences, about BLOCK_TOKENS tokens (at least one sentence).
            t = max(s + 1, int(np.searchsorted(raw_ends, first + BLOCK_TOKENS, side="right")))
            raw = _read_at(raw_file, np.int32, first, int(raw_ends[t - 1]) - first)
            mapped = remap[raw]
            keep = mapped >= 0
            kept_per_sentence = np.add.reduceat(keep, raw_ends[s:t] - first - lengths_all[s:t])
            ends = n_tokens + np.cumsum(kept_per_sentence)
            ends = ends[kept_per_sentence > 0]
            mapped[keep].tofile(ids_file)
            ends.tofile(ends_file)
            n_tokens += int(keep.sum())
            n_sentences += len(ends)
            s = t
    raw_path.unlink()
    lengths_path.unlink()
    if n_tokens == 0:
        raise _none_kept(fixed_vocab)
    return vocab, n_tokens, n_sentences, raw_tokens


def _against(vocab: Vocab, words: Sequence[str], counts: np.ndarray, min_count: int,
             update: bool, known: np.ndarray | None = None) -> tuple[Vocab, np.ndarray]:
    """Map a corpus's distinct words onto an existing vocabulary, appending new ones if asked.

    ``known``: int32, each word's id in ``vocab`` or -1, if the caller has it already.
    """
    if known is None:
        known = np.fromiter((vocab.index.get(w, -1) for w in words), dtype=np.int32,
                            count=len(words))
    remap = known
    if not update:
        return vocab, remap
    new = np.flatnonzero((remap < 0) & (counts >= min_count))
    new = new[np.lexsort((new, -counts[new]))]
    remap[new] = np.arange(len(vocab), len(vocab) + len(new), dtype=np.int32)
    merged = Vocab(vocab.words + [words[i] for i in new],
                   np.concatenate((vocab.counts, counts[new])))
    return merged, remap
