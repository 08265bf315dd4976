"""Joining frequent word pairs into phrase tokens (``new york`` -> ``new_york``), as word2phrase.

The method is section 4 of Mikolov et al. 2013, *Distributed Representations of Words and Phrases
and their Compositionality*, as word2vec.c's ``word2phrase.c`` implements it. Every pair of
adjacent tokens within a sentence (a bigram) is scored

    score(a, b) = (c_ab - min_count) / (c_a * c_b) * N

where ``c_a``, ``c_b`` are the unigram counts, ``c_ab`` the bigram count and ``N`` the number of
tokens of the corpus (word2phrase's ``train_words``); ``min_count`` acts as a discount so that
pairs of rare words are not joined on a handful of occurrences. A pair where either word is seen
fewer than ``min_count`` times gets no score and is never joined. The corpus is then written back
with each pair whose score exceeds the threshold joined into one token ``a<delimiter>b``, scanning
each sentence left to right: a token joined to its left neighbour is not also joined to its right
one (``a b c`` with both pairs above the threshold gives ``a_b c``), exactly as word2phrase does.
Scores are float64 (word2phrase's are float32, which can only matter for a score within rounding
of the threshold); on text8_head and WikiText-103's validation split the output is, token for
token, that of ``word2phrase -threshold 200`` followed by ``word2phrase -threshold 100``.

Several passes build longer phrases: pass 2 runs on the output of pass 1, so ``new_york`` +
``city`` can become ``new_york_city``. **The threshold halves from pass to pass and ``threshold``
is the last pass's**: with ``passes=P``, pass ``k`` (1-based) uses ``threshold * 2**(P - k)``.
The defaults (``threshold=100, passes=2``) thus give 200 then 100, the recipe of word2vec.c's
``demo-phrases.sh`` and the paper's advice ("2-4 passes over the training data with decreasing
threshold value, allowing longer phrases that consists of several words to be formed"): the
first pass joins only the strongest pairs, the later ones extend them and catch weaker pairs.
Making ``--threshold`` the last pass's means it is the loosest cut applied, the number to tune
when the output has too few or too many phrases, whatever the number of passes.

Streaming and memory: the corpus is read and tokenized once (so standard input works), each token
stored as an int32 id in a temporary file (4 bytes per token, in ``TMPDIR`` or ``tmp_dir``, in a
directory ``w2v-phrases-<pid>-<random>`` removed at the end, also on errors; see
:func:`w2vcli.corpus.temporary_directory`). Every pass then works on these ids a block of whole
sentences at a time: count (unigram counts by ``bincount``; bigram counts as sorted int64 keys
``id_a * V + id_b`` with int64 counts, 16 bytes per distinct pair), score, join into the next
id file. Memory is bounded by the word table (every distinct word, as ``w2v train``), the pair
table (merging block counts into it briefly takes about three times its size) and one block,
never by the corpus: text8_head (1.17M tokens, 494k distinct pairs) peaks at about 100 MB.
``max_vocab_size`` bounds the pair table: whenever it holds more than that many distinct pairs,
the pairs seen at most ``r`` times so far are dropped, ``r`` starting at 1 and growing by one on
each pruning, as word2phrase's ``ReduceVocab``; a pair that comes back is counted from zero, so
counts are then underestimates and fewer pairs may pass the threshold (``PassStats.pruned_at``
reports the last ``r``). Unlike word2phrase, word counts are never pruned.

Output: one sentence per line, tokens separated by single spaces, UTF-8, written atomically
(:func:`w2vcli.atomic.atomic_output`). Sentences are what :func:`w2vcli.tokenize.iter_sentences`
gives: a line longer than ``max_sentence_length`` tokens is cut into pieces, each written as a
line of its own (no pair is joined across a cut), and lines without tokens are left out. Because
the whole corpus is read before the output is opened, the output may replace an input file.
Train on the output as it is: both tokenizers keep ``new_york`` whole (``words`` keeps single
underscores between letters and digits).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from w2vcli.corpus import temporary_directory
from w2vcli.errors import CorpusError, W2VError
from w2vcli.atomic import atomic_output, check_writable
from w2vcli.tokenize import ReadStats, iter_sentences, make_tokenizer

__all__ = ["Phrase", "PassStats", "PhraseStats", "PhrasesError", "find_phrases",
           "pass_thresholds", "phrase_scores"]

#: Tokens (ids) per block read from the id files; a block is extended to whole sentences.
BLOCK_TOKENS = 1 << 18
#: Distinct pairs gathered from blocks before they are merged into the pair table (at least).
MERGE_PAIRS = 1 << 20
_SENTINEL = -1  # id written after every sentence


class PhrasesError(W2VError):
    """An option of :func:`find_phrases` makes no sense (threshold, passes, delimiter, ...)."""


@dataclass(frozen=True)
class Phrase:
    """One phrase formed in a pass.

    Attributes:
        text: the joined token, e.g. ``"new_york"`` (``"new_york_city"`` in pass 2).
        count: ``c_ab``, occurrences of the pair in the pass's input (before joining).
        score: the pair's score (dimensionless; see the module docstring).
    """

    text: str
    count: int
    score: float


@dataclass
class PassStats:
    """What one pass counted and joined.

    Attributes:
        index: pass number, 1-based.
        threshold: the score a pair had to exceed in this pass.
        tokens_in: ``N``, tokens read by the pass.
        tokens_out: tokens written (``tokens_in - joined``).
        pairs: distinct adjacent pairs counted (after any pruning).
        scored: distinct pairs whose two words both reach ``min_count``.
        phrases: distinct pairs above the threshold (phrase types formed).
        joined: pairs joined in the output (phrase tokens written).
        pruned_at: the largest pair count pruned away by ``max_vocab_size`` (0: no pruning).
        top_by_count: the most frequent phrases formed, by ``count`` then ``score``, descending.
        top_by_score: the highest-scoring phrases formed, by ``score`` then ``count``.
    """

    index: int
    threshold: float
    tokens_in: int
    tokens_out: int
    pairs: int
    scored: int
    phrases: int
    joined: int
    pruned_at: int
    top_by_count: list[Phrase] = field(default_factory=list)
    top_by_score: list[Phrase] = field(default_factory=list)


@dataclass
class PhraseStats:
    """Result of :func:`find_phrases`.

    Attributes:
        passes: one :class:`PassStats` per pass, in order.
        sentences: sentences (output lines) written.
        tokens_in: tokens read from the corpus.
        tokens_out: tokens written.
        words: distinct words in the corpus.
        seconds: wall time of the whole run.
        read: what the reader saw: bytes of invalid UTF-8 replaced, control characters read
            as spaces.
    """

    passes: list[PassStats]
    sentences: int
    tokens_in: int
    tokens_out: int
    words: int
    seconds: float
    read: ReadStats = field(default_factory=ReadStats)


def pass_thresholds(threshold: float, passes: int) -> list[float]:
    """Threshold of each pass: ``threshold`` for the last, doubled for each earlier one.

    ``pass_thresholds(100, 2) == [200.0, 100.0]`` (word2vec.c's demo-phrases.sh recipe).
    """
    return [float(threshold) * 2.0 ** (passes - k) for k in range(1, passes + 1)]


def phrase_scores(
    pair_counts: np.ndarray, count_a: np.ndarray, count_b: np.ndarray, n_tokens: int,
    min_count: int,
) -> np.ndarray:
    """word2phrase's bigram score, ``(c_ab - min_count) / c_a / c_b * N``, element-wise.

    Args:
        pair_counts: ``c_ab``, int ``(P,)``.
        count_a, count_b: ``c_a``, ``c_b``, int ``(P,)``, all positive.
        n_tokens: ``N``, tokens in the corpus.
        min_count: the discount (and the count each word must reach to be scored).

    Returns:
        float64 ``(P,)``; ``-inf`` where ``c_a`` or ``c_b`` is below ``min_count`` (never joined).
    """
    ca = np.asarray(count_a, dtype=np.float64)
    cb = np.asarray(count_b, dtype=np.float64)
    score = (np.asarray(pair_counts, dtype=np.float64) - min_count) / ca / cb * float(n_tokens)
    return np.where((ca >= min_count) & (cb >= min_count), score, -np.inf)


def _check_options(threshold: float, min_count: int, passes: int, delimiter: str,
                   max_vocab_size: int | None, max_sentence_length: int) -> None:
    if not (isinstance(threshold, (int, float)) and math.isfinite(threshold) and threshold > 0):
        raise PhrasesError(
            f"threshold must be a positive number, got {threshold!r}; word2phrase uses 100"
        )
    if min_count < 1:
        raise PhrasesError(f"min_count must be at least 1, got {min_count}")
    if passes < 1:
        raise PhrasesError(f"passes must be at least 1, got {passes}")
    if not delimiter or any(ch.isspace() for ch in delimiter):
        raise PhrasesError(
            f"delimiter {delimiter!r} must be non-empty and contain no whitespace; "
            "the default is '_'"
        )
    if max_vocab_size is not None and max_vocab_size < 1:
        raise PhrasesError(f"max_vocab_size must be at least 1, got {max_vocab_size}")
    if max_sentence_length < 1:
        raise PhrasesError(f"max_sentence_length must be at least 1, got {max_sentence_length}")


def _blocks(path: Path) -> Iterator[np.ndarray]:
    """Yield int32 blocks of an id file, each made of whole sentences (ending in the sentinel)."""
    carry = np.empty(0, dtype=np.int32)
    with open(path, "rb") as handle:
        while True:
            chunk = np.fromfile(handle, dtype=np.int32, count=BLOCK_TOKENS)
            if chunk.size == 0:
                break
            if carry.size:
                chunk = np.concatenate((carry, chunk))
            ends = np.flatnonzero(chunk == _SENTINEL)
            if ends.size == 0:  # a sentence longer than a block: read on
                carry = chunk
                continue
            cut = int(ends[-1]) + 1
            yield chunk[:cut]
            carry = chunk[cut:]
    if carry.size:  # cannot happen for files written here (they end in the sentinel)
        yield np.concatenate((carry, np.array([_SENTINEL], dtype=np.int32)))


def _pair_keys(block: np.ndarray, n_words: int) -> tuple[np.ndarray, np.ndarray]:
    """Keys ``a * V + b`` (int64, ``(n - 1,)``, -1 across sentence ends) and their validity."""
    a = block[:-1].astype(np.int64)
    b = block[1:]
    valid = (a >= 0) & (b >= 0)
    return np.where(valid, a * n_words + b, -1), valid


class _PairTable:
    """Counts of distinct int64 keys, merged from blocks; optionally pruned as word2phrase."""

    def __init__(self, max_size: int | None) -> None:
        self.keys = np.empty(0, dtype=np.int64)  # sorted, distinct
        self.counts = np.empty(0, dtype=np.int64)
        self.max_size = max_size
        self.min_reduce = 1
        self.pruned_at = 0
        self._pending: list[tuple[np.ndarray, np.ndarray]] = []
        self._pending_size = 0

    def add(self, keys: np.ndarray) -> None:
        uniq, counts = np.unique(keys, return_counts=True)
        self._pending.append((uniq, counts.astype(np.int64)))
        self._pending_size += len(uniq)
        limit = max(len(self.keys), MERGE_PAIRS)
        if self.max_size is not None:
            limit = min(limit, self.max_size)
        if self._pending_size >= limit:
            self._merge()

    def _merge(self) -> None:
        if not self._pending:
            return
        keys = np.concatenate([self.keys] + [k for k, _ in self._pending])
        counts = np.concatenate([self.counts] + [c for _, c in self._pending])
        self._pending.clear()
        self._pending_size = 0
        if len(keys) == 0:
            return
        order = np.argsort(keys)
        keys = keys[order]
        counts = counts[order]
        del order
        starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
        self.keys = keys[starts]
        self.counts = np.add.reduceat(counts, starts)
        while self.max_size is not None and len(self.keys) > self.max_size:
            keep = self.counts > self.min_reduce
            self.keys = self.keys[keep]
            self.counts = self.counts[keep]
            self.pruned_at = self.min_reduce
            self.min_reduce += 1

    def finish(self) -> tuple[np.ndarray, np.ndarray]:
        self._merge()
        return self.keys, self.counts


def _encode(paths: Sequence[str | os.PathLike], tokenizer: Callable[[str], list[str]],
            max_sentence_length: int, out: Path, stats: ReadStats,
            ) -> tuple[list[str], dict[str, int], int, int]:
    """Tokenize the corpus once into an id file; returns (words, index, tokens, sentences)."""
    index: dict[str, int] = {}
    setdefault = index.setdefault
    n_tokens = 0
    n_sentences = 0
    buffer: list[int] = []
    with open(out, "wb") as handle:
        for tokens in iter_sentences(paths, tokenizer, max_sentence_length, stats=stats):
            buffer.extend([setdefault(t, len(index)) for t in tokens])
            buffer.append(_SENTINEL)
            n_tokens += len(tokens)
            n_sentences += 1
            if len(buffer) >= BLOCK_TOKENS:
                np.array(buffer, dtype=np.int32).tofile(handle)
                buffer.clear()
        np.array(buffer, dtype=np.int32).tofile(handle)
    if n_tokens == 0:
        names = ", ".join(os.fspath(p) for p in paths)
        raise CorpusError(
            f"the corpus ({names}) has no tokens; check the file, "
            "or try --tokenizer whitespace if it is not made of letters and digits"
        )
    return list(index), index, n_tokens, n_sentences


def _count(path: Path, n_words: int, max_pairs: int | None
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Unigram counts int64 ``(V,)``, sorted pair keys and counts, and the pruning level."""
    unigrams = np.zeros(n_words, dtype=np.int64)
    table = _PairTable(max_pairs)
    for block in _blocks(path):
        unigrams += np.bincount(block[block >= 0], minlength=n_words)
        keys, valid = _pair_keys(block, n_words)
        table.add(keys[valid])
    keys, counts = table.finish()
    return unigrams, keys, counts, table.pruned_at


def _join(block: np.ndarray, n_words: int, phrase_keys: np.ndarray, phrase_ids: np.ndarray
          ) -> tuple[np.ndarray, int]:
    """Join the phrase pairs of a block, greedily left to right; returns (new block, joined)."""
    if len(phrase_keys) == 0 or len(block) < 2:
        return block, 0
    keys, valid = _pair_keys(block, n_words)
    pos = np.minimum(np.searchsorted(phrase_keys, keys), len(phrase_keys) - 1)
    hit = valid & (phrase_keys[pos] == keys)
    # In a run of consecutive joinable pairs, the scan joins the 1st, 3rd, 5th, ... pair: after
    # joining (a, b) it goes on with the token after b (word2phrase sets b's count to 0).
    idx = np.arange(len(hit))
    run_start = np.maximum.accumulate(
        np.where(hit & ~np.concatenate(([False], hit[:-1])), idx, 0)
    )
    chosen = hit & ((idx - run_start) % 2 == 0)
    out = block.copy()
    out[:-1][chosen] = phrase_ids[pos[chosen]]
    keep = np.ones(len(block), dtype=bool)
    keep[1:][chosen] = False
    return out[keep], int(chosen.sum())


def _select(words: list[str], index: dict[str, int], unigrams: np.ndarray, keys: np.ndarray,
            counts: np.ndarray, min_count: int, threshold: float, delimiter: str, top_n: int,
            ) -> tuple[np.ndarray, np.ndarray, int, list[Phrase], list[Phrase]]:
    """Score the pairs and pick the phrases; new phrase words are appended to ``words``.

    Returns sorted phrase keys, their token ids, the number of pairs scored and the top lists.
    """
    n_words = len(unigrams)
    a = keys // n_words
    b = keys % n_words
    scores = phrase_scores(counts, unigrams[a], unigrams[b], int(unigrams.sum()), min_count)
    scored = int(np.count_nonzero(np.isfinite(scores)))
    chosen = np.flatnonzero(scores > threshold)
    phrase_ids = np.empty(len(chosen), dtype=np.int32)
    texts = []
    for j, (ia, ib) in enumerate(zip(a[chosen].tolist(), b[chosen].tolist())):
        text = words[ia] + delimiter + words[ib]
        texts.append(text)
        pid = index.get(text)
        if pid is None:  # an existing word with the same spelling is the same token
            pid = index[text] = len(words)
            words.append(text)
        phrase_ids[j] = pid

    def top(order: np.ndarray) -> list[Phrase]:
        return [Phrase(texts[j], int(counts[chosen[j]]), float(scores[chosen[j]]))
                for j in order[:top_n].tolist()]

    c = counts[chosen]
    s = scores[chosen]
    by_count = top(np.lexsort((-s, -c)))
    by_score = top(np.lexsort((-c, -s)))
    return keys[chosen], phrase_ids, scored, by_count, by_score


def _write_text(handle, block: np.ndarray, spaced: np.ndarray, ended: np.ndarray) -> None:
    """Write a block of ids (whole sentences) as text lines."""
    sentinels = np.flatnonzero(block == _SENTINEL)
    tokens = block[block >= 0]
    last = sentinels - np.arange(1, len(sentinels) + 1)  # last token of each sentence
    parts = spaced[tokens]
    parts[last] = ended[tokens[last]]
    handle.write("".join(parts.tolist()))


def find_phrases(
    paths: Sequence[str | os.PathLike],
    out_path: str | os.PathLike,
    threshold: float = 100.0,
    min_count: int = 5,
    passes: int = 2,
    delimiter: str = "_",
    tokenizer: Callable[[str], list[str]] | None = None,
    max_sentence_length: int = 10000,
    max_vocab_size: int | None = None,
    top_n: int = 10,
    tmp_dir: str | os.PathLike | None = None,
    progress: Callable[[str], None] | None = None,
) -> PhraseStats:
    """Write the corpus with frequent word pairs joined into phrases (word2phrase).

    Args:
        paths: corpus files (plain, ``.gz``, ``.bz2``, ``.xz``) or ``"-"`` for standard input.
        out_path: text file to write (one sentence per line, tokens separated by single spaces).
        threshold: score a pair must exceed in the **last** pass; pass ``k`` of ``P`` uses
            ``threshold * 2**(P - k)`` (see :func:`pass_thresholds`). Higher: fewer phrases.
        min_count: words seen fewer times are never joined; also the score's discount.
        passes: rounds of joining; ``P`` passes can build phrases of up to ``2**P`` words.
        delimiter: put between the joined tokens (non-empty, no whitespace).
        tokenizer: string -> tokens; default :func:`~w2vcli.tokenize.make_tokenizer`'s
            ``words`` (lowercased runs of letters and digits), as ``w2v train``.
        max_sentence_length: longer lines are cut into pieces of this many tokens, each written
            as its own line.
        max_vocab_size: prune the pair table to at most this many distinct pairs (``None``: no
            limit; see the module docstring).
        top_n: length of the top lists in each :class:`PassStats`.
        tmp_dir: directory for the temporary id files, about 4 bytes per token, twice over
            (default: the system's, ``TMPDIR``).
        progress: called with a short message (``"pass 1/2: counting"``) as each stage begins.

    Returns:
        :class:`PhraseStats` with per-pass statistics and top phrases.

    Raises:
        PhrasesError: a nonsensical option (threshold not a positive number, ``passes < 1``, ...).
        CorpusError: a corpus file is missing or unreadable, or the corpus has no tokens.
        W2VError: ``out_path`` cannot be written (checked before the corpus is read).
    """
    _check_options(threshold, min_count, passes, delimiter, max_vocab_size, max_sentence_length)
    check_writable(out_path)
    if tokenizer is None:
        tokenizer = make_tokenizer("words")
    report = progress or (lambda message: None)
    started = time.perf_counter()
    thresholds = pass_thresholds(threshold, passes)
    stats: list[PassStats] = []
    with temporary_directory("phrases", tmp_dir) as tmp:
        current = Path(tmp) / "pass0.i32"
        report("reading the corpus")
        read = ReadStats()
        words, index, n_tokens, n_sentences = _encode(
            paths, tokenizer, max_sentence_length, current, read
        )
        n_distinct = len(words)
        for k, pass_threshold in enumerate(thresholds, start=1):
            report(f"pass {k}/{passes}: counting")
            n_words = len(words)
            unigrams, keys, counts, pruned_at = _count(current, n_words, max_vocab_size)
            phrase_keys, phrase_ids, scored, by_count, by_score = _select(
                words, index, unigrams, keys, counts, min_count, pass_threshold, delimiter,
                top_n,
            )
            n_pairs = len(keys)
            del keys, counts
            report(f"pass {k}/{passes}: joining")
            joined = 0
            if k < passes:
                following = Path(tmp) / f"pass{k}.i32"
                with open(following, "wb") as handle:
                    for block in _blocks(current):
                        block, n = _join(block, n_words, phrase_keys, phrase_ids)
                        joined += n
                        block.tofile(handle)
                current.unlink()
                current = following
            else:
                spaced = np.array([w + " " for w in words], dtype=object)
                ended = np.array([w + "\n" for w in words], dtype=object)
                with atomic_output(out_path) as handle:
                    for block in _blocks(current):
                        block, n = _join(block, n_words, phrase_keys, phrase_ids)
                        joined += n
                        _write_text(handle, block, spaced, ended)
            tokens_in = int(unigrams.sum())
            stats.append(PassStats(
                index=k, threshold=pass_threshold, tokens_in=tokens_in,
                tokens_out=tokens_in - joined, pairs=n_pairs,
                scored=scored, phrases=len(phrase_keys), joined=joined, pruned_at=pruned_at,
                top_by_count=by_count, top_by_score=by_score,
            ))
    return PhraseStats(passes=stats, sentences=n_sentences, tokens_in=n_tokens,
                       tokens_out=stats[-1].tokens_out, words=n_distinct,
                       seconds=time.perf_counter() - started, read=read)
