"""The vocabulary: words, their counts, and the tables training draws from.

Words are sorted by count, most frequent first, ties broken by first appearance in the corpus
(so the order is deterministic and matches what word2vec.c writes). Id ``i`` is the row of the
word in every matrix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from w2vcli.atomic import atomic_output
from w2vcli.errors import CorpusError


@dataclass
class Vocab:
    """Words sorted by descending count.

    Attributes:
        words: ``V`` words; ``words[i]`` has id ``i``.
        counts: int64 ``(V,)`` corpus counts, non-increasing.
        index: word -> id.
    """

    words: list[str]
    counts: np.ndarray
    index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.counts = np.ascontiguousarray(self.counts, dtype=np.int64)
        if len(self.words) != len(self.counts):
            raise ValueError(f"{len(self.words)} words but {len(self.counts)} counts")
        self.index = {w: i for i, w in enumerate(self.words)}
        if len(self.index) != len(self.words):
            raise ValueError("duplicate words in vocabulary")

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: object) -> bool:
        return word in self.index

    @property
    def total(self) -> int:
        """Sum of the counts of all vocabulary words (word2vec.c's ``train_words``)."""
        return int(self.counts.sum())

    @classmethod
    def from_counts(
        cls,
        words: Sequence[str],
        counts: np.ndarray,
        min_count: int = 5,
        max_vocab: int | None = None,
    ) -> tuple["Vocab", np.ndarray]:
        """Build the vocabulary from every distinct word of a corpus.

        Args:
            words: distinct words in order of first appearance.
            counts: int64 ``(n,)`` count of each of ``words``.
            min_count: words seen fewer times are dropped.
            max_vocab: keep at most this many of the most frequent words (``None``: no limit).

        Returns:
            ``(vocab, remap)`` where ``remap`` is int32 ``(n,)`` giving each input word's id in
            the vocabulary, or -1 for dropped words.

        Raises:
            CorpusError: no word is left (the message says what ``--min-count`` would keep some).
        """
        counts = np.asarray(counts, dtype=np.int64)
        n = len(words)
        if n == 0:
            raise CorpusError(
                "the corpus has no tokens; check the file, or try --tokenizer whitespace"
            )
        # Descending count, then first appearance: lexsort's last key is the primary one.
        order = np.lexsort((np.arange(n), -counts))
        keep = order[counts[order] >= min_count]
        if max_vocab is not None:
            keep = keep[:max_vocab]
        if len(keep) == 0:
            top = int(counts.max())
            raise CorpusError(
                f"no word occurs at least --min-count {min_count} times "
                f"({n:,} distinct words, the most frequent seen {top:,} times); "
                f"use --min-count {top} or lower"
            )
        remap = np.full(n, -1, dtype=np.int32)
        remap[keep] = np.arange(len(keep), dtype=np.int32)
        return cls([words[i] for i in keep], counts[keep]), remap

    def keep_probabilities(self, sample: float) -> np.ndarray:
        """Probability of keeping each occurrence of a word under frequent-word subsampling.

        ``p = min(1, sqrt(t / f) + t / f)`` with ``f = count / total`` and ``t = sample``: the
        formula of word2vec.c (and gensim, fastText); Mikolov et al. 2013, "Distributed
        Representations of Words and Phrases", section 2.3, give the simpler ``1 - sqrt(t/f)``
        discard probability that this refines. ``sample <= 0`` keeps everything.

        Returns:
            float32 ``(V,)`` in ``(0, 1]``.
        """
        if sample <= 0:
            return np.ones(len(self), dtype=np.float32)
        ratio = sample * self.total / self.counts.astype(np.float64)
        return np.minimum(1.0, np.sqrt(ratio) + ratio).astype(np.float32)

    def noise_distribution(self, exponent: float = 0.75) -> np.ndarray:
        """The unigram noise distribution raised to ``exponent``, normalised.

        Negative samples are drawn with ``P(w) ∝ count(w) ** 0.75`` (Mikolov et al. 2013,
        section 2.2; word2vec.c's ``InitUnigramTable``).

        Returns:
            float64 ``(V,)`` summing to 1.
        """
        weights = self.counts.astype(np.float64) ** exponent
        return weights / weights.sum()


def alias_table(probabilities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Walker's alias table for O(1) sampling from a discrete distribution (Vose's method).

    To draw: pick a column ``i`` uniformly in ``[0, V)`` and a uniform 32-bit ``u``; the sample
    is ``i`` if ``u < threshold[i]`` else ``alias[i]``. This replaces word2vec.c's 1e8-entry
    unigram table (400 MB) with two ``V``-entry arrays, and is exact up to 2**-32.

    Args:
        probabilities: float ``(V,)``, non-negative, summing to 1.

    Returns:
        ``(threshold, alias)``: uint32 ``(V,)`` acceptance thresholds scaled to 2**32 (a column
        that always accepts has threshold 2**32 - 1 and alias equal to itself), and int32
        ``(V,)`` alias ids.
    """
    p = np.asarray(probabilities, dtype=np.float64)
    n = len(p)
    scaled = p * n
    alias = np.arange(n, dtype=np.int32)
    accept = np.ones(n, dtype=np.float64)
    small = [i for i in range(n) if scaled[i] < 1.0]
    large = [i for i in range(n) if scaled[i] >= 1.0]
    while small and large:
        s = small.pop()
        g = large[-1]
        accept[s] = scaled[s]
        alias[s] = g
        scaled[g] -= 1.0 - scaled[s]
        if scaled[g] < 1.0:
            large.pop()
            small.append(g)
    # Whatever is left has probability 1 up to rounding.
    threshold = np.minimum(accept * 2.0**32, 2.0**32 - 1).astype(np.uint32)
    return threshold, alias


#: Longest Huffman code accepted (word2vec.c's MAX_CODE_LENGTH).
MAX_CODE_LENGTH = 40


def huffman_tree(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Huffman codes and paths of every word, for hierarchical softmax.

    word2vec.c's ``CreateBinaryTree`` (Mikolov et al. 2013, section 2.1; Morin and Bengio 2005):
    with counts sorted in descending order, the two least frequent nodes are merged ``V - 1``
    times in O(V) with two queues; inner node ``i`` (0-based, root ``V - 2``) is row ``i`` of
    the output matrix. A word's path runs from the root to its leaf; at each inner node the code
    bit is 0 for one child and 1 for the other, and training pushes ``sigmoid(u_node . v)``
    towards ``1 - code`` (word2vec.c's convention).

    Args:
        counts: int ``(V,)`` word counts, non-increasing, ``V >= 2``.

    Returns:
        ``(codes, points, lengths)``: uint8 ``(V, L)`` code bits, int32 ``(V, L)`` inner-node
        ids along the path (root first), int32 ``(V,)`` path lengths; ``L`` is the longest
        path. Entries past a word's length are 0.

    Raises:
        ValueError: fewer than two words, or a path longer than :data:`MAX_CODE_LENGTH`
            (counts that grow faster than the Fibonacci numbers).
    """
    counts = np.asarray(counts, dtype=np.int64)
    n = len(counts)
    if n < 2:
        raise ValueError("hierarchical softmax needs at least two words in the vocabulary")
    weight = np.concatenate((counts, np.full(n - 1, np.iinfo(np.int64).max // 4)))
    parent = np.zeros(2 * n - 1, dtype=np.int64)
    bit = np.zeros(2 * n - 1, dtype=np.uint8)
    pos1, pos2 = n - 1, n  # next leaf (from the rarest), next inner node
    w = weight.tolist()
    for a in range(n - 1):
        picked = []
        for _ in range(2):
            if pos1 >= 0 and w[pos1] < w[pos2]:
                picked.append(pos1)
                pos1 -= 1
            else:
                picked.append(pos2)
                pos2 += 1
        w[n + a] = w[picked[0]] + w[picked[1]]
        parent[picked[0]] = parent[picked[1]] = n + a
        bit[picked[1]] = 1
    root = 2 * n - 2
    paths_codes: list[list[int]] = []
    paths_points: list[list[int]] = []
    for leaf in range(n):
        codes, points = [], []
        node = leaf
        while node != root:
            codes.append(int(bit[node]))
            node = int(parent[node])
            points.append(node - n)
        if len(codes) > MAX_CODE_LENGTH:
            raise ValueError(
                f"Huffman code of {len(codes)} bits exceeds {MAX_CODE_LENGTH}; the word counts "
                "are too skewed for hierarchical softmax, use --loss ns"
            )
        paths_codes.append(codes[::-1])
        paths_points.append(points[::-1])
    longest = max(len(c) for c in paths_codes)
    code_arr = np.zeros((n, longest), dtype=np.uint8)
    point_arr = np.zeros((n, longest), dtype=np.int32)
    lengths = np.zeros(n, dtype=np.int32)
    for i, (c, p) in enumerate(zip(paths_codes, paths_points)):
        code_arr[i, : len(c)] = c
        point_arr[i, : len(p)] = p
        lengths[i] = len(c)
    return code_arr, point_arr, lengths


def save_vocab(path, vocab: Vocab) -> None:
    """Write ``word count`` lines, most frequent first (word2vec.c's ``-save-vocab`` format).

    Written atomically (see :func:`w2vcli.atomic.atomic_output`).
    """
    with atomic_output(path, "w") as fh:
        fh.writelines(f"{w} {int(c)}\n" for w, c in zip(vocab.words, vocab.counts))


def read_vocab(path, min_count: int = 1, max_vocab: int | None = None) -> Vocab:
    """Read a ``word count`` file (word2vec.c's ``-read-vocab`` format; tabs work too).

    The file may be gzip, bzip2 or xz compressed (recognised from its first bytes, whatever its
    name: :mod:`w2vcli.compression`). Words are re-sorted by count (ties in file order) and
    ``min_count`` / ``max_vocab`` applied, as word2vec.c does after reading.

    Raises:
        CorpusError: the file is missing or unreadable, zstd or zip, damaged compressed data, a
            line is not ``word count`` (names the line), a word repeats, or no word reaches
            ``min_count``.
    """
    import io

    from w2vcli import compression

    words: list[str] = []
    counts: list[int] = []
    seen: dict[str, int] = {}
    kind = None
    try:
        with compression.open_bytes(path) as (stream, kind), \
                io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace") as fh:
            for number, line in enumerate(fh, start=1):
                parts = line.split()
                if not parts:
                    continue
                if len(parts) != 2 or not (parts[1].isascii() and parts[1].isdigit()):
                    raise CorpusError(
                        f"{path}, line {number}: expected 'word count', got {line.strip()[:60]!r}"
                    )
                if parts[0] in seen:
                    raise CorpusError(
                        f"{path}, line {number}: {parts[0]!r} repeats line {seen[parts[0]]}"
                    )
                seen[parts[0]] = number
                words.append(parts[0])
                counts.append(int(parts[1]))
    except FileNotFoundError:
        raise CorpusError(f"vocabulary file {path} does not exist; check the path") from None
    except IsADirectoryError:
        raise CorpusError(
            f"vocabulary file {path} is a directory; give a 'word count' file "
            "such as one written by --save-vocab"
        ) from None
    except compression.UnsupportedCompression as exc:
        raise CorpusError(f"vocabulary file {path} is {compression.describe(exc.kind)}; "
                          f"{compression.UNPACK[exc.kind]}") from None
    except compression.READ_ERRORS as exc:
        if kind is not None and compression.is_damage(exc):
            raise CorpusError(f"vocabulary file {path}: the {kind}-compressed data is damaged or "
                              f"truncated ({exc}); create it again") from None
        if isinstance(exc, OSError):
            raise CorpusError(
                f"cannot read vocabulary file {path}: {exc.strerror or exc}") from None
        raise
    if not words:
        raise CorpusError(f"vocabulary file {path} has no words")
    vocab, _ = Vocab.from_counts(words, np.asarray(counts, dtype=np.int64), min_count, max_vocab)
    return vocab
