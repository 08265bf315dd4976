"""Trained word vectors and the cosine queries on them (nearest neighbours, analogies).

:class:`KeyedVectors` mirrors the part of ``gensim.models.KeyedVectors`` that ``w2v`` needs:
``index_to_key``, ``key_to_index``, ``vectors``, ``most_similar``, ``similarity``. Rows are in
vocabulary order, most frequent word first, as word2vec.c and gensim write them; that order is
what ``restrict_vocab`` relies on.

:class:`SubwordKeyedVectors` adds fastText's character n-gram vectors (Bojanowski et al. 2017):
a word that is not in the vocabulary gets the mean of its n-gram vectors, so the query commands
accept it (:meth:`KeyedVectors.lookup` says so in a note).

This module imports only NumPy and the standard library, so ``w2v similar`` starts fast.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .errors import UnknownWordError
from .subwords import fnv1a, ngrams

__all__ = ["KeyedVectors", "SubwordKeyedVectors", "WordLookup", "first_nonfinite"]


def _query_words(words: Iterable[str]) -> list[str]:
    """``words`` as a list; TypeError for a non-string, UnknownWordError for an empty one."""
    words = list(words)
    for w in words:
        if not isinstance(w, str):
            raise TypeError(f"query words must be strings, got {type(w).__name__} {w!r}")
    if any(not w for w in words):
        raise UnknownWordError("an empty string was given as a query word; give a non-empty word")
    return words


@dataclass(frozen=True)
class WordLookup:
    """How query words were matched to a vocabulary, by :meth:`KeyedVectors.lookup`.

    ``found`` holds the words to use, in the order given, each once: vocabulary words, and
    for subword vectors also the words in ``composed`` (not in the vocabulary, their vectors
    composed from character n-grams); ``renamed`` the (given, used) pairs of words matched in
    another case (``KING`` -> ``king``); ``unknown`` the words that matched nothing, each once,
    with up to three close vocabulary words each in ``suggestions``.
    """

    found: tuple[str, ...]
    renamed: tuple[tuple[str, str], ...]
    unknown: tuple[str, ...]
    vocab_size: int
    suggestions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    composed: tuple[str, ...] = ()

    def notes(self) -> list[str]:
        """One-line notes for the user: the words matched in another case, the words skipped.

        E.g. ``note: KING -> king`` and ``note: not in the vocabulary (15,440 words), skipped:
        'directorate' (did you mean director, directory?); 'qwerty' (no close word)``.
        """
        notes = []
        if self.renamed:
            notes.append("note: " + ", ".join(f"{given} -> {used}" for given, used in self.renamed))
        if self.composed:
            names = ", ".join(repr(w) for w in self.composed)
            if len(self.composed) == 1:
                notes.append(f"note: {names} is not in the vocabulary; composed from its "
                             "character n-grams")
            else:
                notes.append(f"note: {names} are not in the vocabulary; composed from their "
                             "character n-grams")
        if self.unknown:
            parts = []
            for word in self.unknown:
                hints = self.suggestions.get(word, ())
                hint = f"did you mean {', '.join(hints)}?" if hints else "no close word"
                parts.append(f"{word!r} ({hint})")
            notes.append(f"note: not in the vocabulary ({self.vocab_size:,} words), skipped: "
                         + "; ".join(parts))
        return notes


def _stacked(rows: list[tuple[np.ndarray, int | None]], d: int) -> np.ndarray:
    """The vectors of :meth:`KeyedVectors._unit_query` results as one (n, d) float32 array."""
    if not rows:
        return np.zeros((0, d), dtype=np.float32)
    return np.stack([v for v, _ in rows])


#: Values :func:`first_nonfinite` tests at a time: bounds its temporary to 1 MiB.
_FINITE_BLOCK = 1 << 20


def first_nonfinite(a: np.ndarray) -> int | None:
    """Flat (C-order) index of the first NaN or infinite value of the float array ``a``, or None.

    ``a`` may have any shape (for a (V, d) matrix the value is at row ``i // d``, column
    ``i % d``) and may be memory-mapped. It is scanned ``_FINITE_BLOCK`` values at a time, so the
    boolean temporary stays 1 MiB however large ``a`` is, and the scan stops at the first block
    with a non-finite value. Readers use it to refuse vectors that would make every cosine NaN.
    """
    flat = np.asarray(a).reshape(-1)
    for start in range(0, flat.size, _FINITE_BLOCK):
        finite = np.isfinite(flat[start:start + _FINITE_BLOCK])
        if not finite.all():
            return start + int(np.argmin(finite))
    return None


class KeyedVectors:
    """Words and their vectors, with cosine-similarity queries.

    Parameters
    ----------
    words
        The V vocabulary words, most frequent first; no duplicates.
    vectors
        Array-like of shape (V, d); stored as C-contiguous float32 (copied only if needed). The
        vectors are treated as read-only after construction: :attr:`unit_vectors` is cached.
    counts
        Optional corpus counts, shape (V,), stored as int64; ``None`` when unknown (a loaded
        word2vec file carries no counts).

    Raises
    ------
    ValueError
        If ``vectors`` is not 2-D, its row count differs from ``len(words)``, ``counts`` has the
        wrong shape, or a word appears twice.
    """

    def __init__(
        self,
        words: Sequence[str],
        vectors: np.ndarray,
        counts: np.ndarray | None = None,
    ) -> None:
        self.index_to_key: list[str] = list(words)
        self.vectors: np.ndarray = np.ascontiguousarray(vectors, dtype=np.float32)
        if self.vectors.ndim != 2:
            raise ValueError(f"vectors must be a 2-D (V, d) array, got shape {self.vectors.shape}")
        n_words = len(self.index_to_key)
        if self.vectors.shape[0] != n_words:
            raise ValueError(
                f"{n_words} words but {self.vectors.shape[0]} vector rows; give one row per word"
            )
        self.key_to_index: dict[str, int] = {w: i for i, w in enumerate(self.index_to_key)}
        if len(self.key_to_index) != n_words:
            seen: set[str] = set()
            for i, w in enumerate(self.index_to_key):
                if w in seen:
                    raise ValueError(f"word {w!r} appears twice (second time at index {i})")
                seen.add(w)
        if counts is not None:
            counts = np.asarray(counts, dtype=np.int64)
            if counts.shape != (n_words,):
                raise ValueError(f"counts must have shape ({n_words},), got {counts.shape}")
        self.counts: np.ndarray | None = counts
        self._unit: np.ndarray | None = None
        self._case_indexes: dict[int, dict[str, int]] = {}

    # -- container protocol -------------------------------------------------------------------

    @property
    def vector_size(self) -> int:
        """Dimension d of the vectors."""
        return int(self.vectors.shape[1])

    def __len__(self) -> int:
        return len(self.index_to_key)

    def __contains__(self, word: object) -> bool:
        return word in self.key_to_index

    def __getitem__(self, word: str) -> np.ndarray:
        """Raw vector of ``word``, shape (d,) float32 (a view into :attr:`vectors`).

        Raises :class:`~w2vcli.errors.UnknownWordError` (a ``KeyError``) with suggestions.
        """
        if word not in self.key_to_index:
            self.check_words([word])
        return self.vectors[self.key_to_index[word]]

    def get_vector(self, word: str) -> np.ndarray:
        """``self[word]``, by gensim's name: float32 (d,); UnknownWordError as ``self[word]``."""
        return self[word]

    def __repr__(self) -> str:
        return f"KeyedVectors({len(self):,} words, {self.vector_size} dimensions)"

    # -- unit vectors, lookups ----------------------------------------------------------------

    @property
    def unit_vectors(self) -> np.ndarray:
        """Rows of :attr:`vectors` scaled to unit L2 norm, shape (V, d) float32, cached.

        Norms are computed in float64. An all-zero row stays zero (its cosine with anything is 0)
        instead of becoming NaN.
        """
        if self._unit is None:
            norms = np.sqrt(np.einsum("ij,ij->i", self.vectors, self.vectors, dtype=np.float64))
            norms[norms == 0.0] = 1.0
            self._unit = (self.vectors / norms[:, None]).astype(np.float32)
        return self._unit

    def suggest(self, word: str, n: int = 5) -> list[str]:
        """Up to ``n`` vocabulary words spelled like ``word``, best first.

        Case variants of ``word`` that are in the vocabulary come first (``Paris`` -> ``paris``),
        then :func:`difflib.get_close_matches` (ratio >= 0.6). Takes ~0.1-0.2 s on 100k words.
        """
        if n <= 0 or not word:
            return []
        variants = (word.lower(), word.capitalize(), word.upper())
        found = [w for w in variants if w != word and w in self]
        for w in difflib.get_close_matches(word, self.index_to_key, n=n + len(found)):
            if w != word and w not in found:
                found.append(w)
        return list(dict.fromkeys(found))[:n]

    def check_words(self, words: Iterable[str]) -> None:
        """Raise :class:`~w2vcli.errors.UnknownWordError` unless every word is in the vocabulary.

        The one-line message names every unknown word and suggests close vocabulary words, e.g.
        ``'trol2' is not in the vocabulary (12,345 words); did you mean: troll2, troll, trolls?``
        """
        words = _query_words(words)
        unknown = list(dict.fromkeys(w for w in words if w not in self.key_to_index))
        if unknown:
            raise UnknownWordError(self._unknown_message(unknown))

    def _unknown_message(self, unknown: Sequence[str]) -> str:
        """One line naming the unknown words, with close vocabulary words for each."""
        size = f"{len(self):,} words"
        if len(unknown) == 1:
            (w,) = unknown
            hints = self.suggest(w, 3)
            if hints:
                return f"{w!r} is not in the vocabulary ({size}); did you mean: {', '.join(hints)}?"
            return (
                f"{w!r} is not in the vocabulary ({size}) and no vocabulary word is close; "
                "check the spelling, or train with a lower min-count so rare words are kept"
            )
        names = ", ".join(repr(w) for w in unknown)
        parts = []
        for w in unknown:
            hints = self.suggest(w, 3)
            parts.append(f"{w!r} -> {', '.join(hints) if hints else '(no close word)'}")
        return f"{names} are not in the vocabulary ({size}); did you mean: {'; '.join(parts)}?"

    def can_compose(self, word: str) -> bool:
        """Whether a vector can be made for ``word`` although it is not in the vocabulary:
        never for word vectors (see :meth:`SubwordKeyedVectors.can_compose`)."""
        return False

    def resolve(self, word: str, limit: int | None = None) -> str | None:
        """The word to query with for ``word``: the vocabulary word :meth:`find` gives, else
        ``word`` itself where :meth:`can_compose` (subword vectors), else ``None``."""
        found = self.find(word, limit)
        if found is None and self.can_compose(word):
            return word
        return found

    def find(self, word: str, limit: int | None = None) -> str | None:
        """The vocabulary word that ``word`` stands for, or ``None``: the one lookup rule.

        ``word`` itself if it is in the vocabulary; else its only case variant there (``KING``
        -> ``king`` in a lowercased vocabulary; compared with :meth:`str.casefold`); else
        ``None`` (unknown, or several case variants and none exact). With ``limit`` only the
        first ``limit`` (most frequent) words count as the vocabulary. The ``w2v`` query and
        evaluation commands all match words this way.
        """
        n = len(self) if limit is None else max(0, min(int(limit), len(self)))
        i = self.key_to_index.get(word)
        if i is not None and i < n:
            return word
        j = self._case_index(n).get(word.casefold(), -1)
        return self.index_to_key[j] if j >= 0 else None

    def _case_index(self, n: int) -> dict[str, int]:
        """casefold -> index among the first ``n`` words, -1 where several words share it.

        Built on first use (about 0.1 s per 100,000 words) and cached per ``n``.
        """
        index = self._case_indexes.get(n)
        if index is None:
            index = {}
            for i, w in enumerate(self.index_to_key[:n]):
                key = w.casefold()
                index[key] = -1 if key in index else i
            self._case_indexes[n] = index
        return index

    def lookup(self, words: Iterable[str], suggest: bool = True) -> WordLookup:
        """Match query words to the vocabulary with :meth:`resolve`, skipping the unknown ones.

        Returns a :class:`WordLookup`: the words to use (each once, in order), those matched in
        another case, those composed from character n-grams (subword vectors only: a word not
        in the vocabulary in any case) and those not found, with close words for each (unless
        ``suggest`` is false; 0.1-0.2 s a word on 100,000 words). Callers decide what too few
        found words means; :meth:`unknown_error` gives the one-line error for the unknown ones.

        Raises :class:`~w2vcli.errors.UnknownWordError` for an empty word, ``TypeError`` for
        one that is not a string.
        """
        words = _query_words(words)
        found: dict[str, None] = {}
        renamed: dict[tuple[str, str], None] = {}
        unknown: dict[str, None] = {}
        composed: dict[str, None] = {}
        for w in words:
            used = self.resolve(w)
            if used is None:
                unknown[w] = None
                continue
            found[used] = None
            if used not in self.key_to_index:
                composed[used] = None
            elif used != w:
                renamed[(w, used)] = None
        hints = {w: tuple(self.suggest(w, 3)) for w in unknown} if suggest else {}
        return WordLookup(tuple(found), tuple(renamed), tuple(unknown), len(self), hints,
                          tuple(composed))

    def unknown_error(self, unknown: Sequence[str]) -> UnknownWordError:
        """The one-line error for query words that are not in the vocabulary, with suggestions."""
        return UnknownWordError(self._unknown_message(list(dict.fromkeys(unknown))))

    # -- cosine queries -----------------------------------------------------------------------

    def most_similar(
        self,
        positive: Sequence[str] | str,
        negative: Sequence[str] = (),
        topn: int = 10,
        restrict_vocab: int | None = None,
    ) -> list[tuple[str, float]]:
        """Nearest words by cosine similarity to a combination of query words.

        The query is the mean of the unit vectors of ``positive`` minus those of ``negative``,
        itself scaled to unit length (as gensim's ``KeyedVectors.most_similar``); the candidates
        are the first ``restrict_vocab`` words (all words if ``None``), and the query words
        themselves are excluded.

        Parameters
        ----------
        positive, negative
            Query words (a single string counts as one word). At least one word in total.
        topn
            Number of neighbours returned (fewer if the candidates run out).
        restrict_vocab
            Only consider the ``restrict_vocab`` most frequent words as answers.

        Returns
        -------
        list of (word, cosine) pairs, highest cosine first; cosines are Python floats in [-1, 1].

        Raises
        ------
        UnknownWordError
            If a query word is not in the vocabulary (message lists suggestions).
        ValueError
            If no query word is given or ``restrict_vocab < 1``.
        """
        if isinstance(positive, str):
            positive = [positive]
        if isinstance(negative, str):
            negative = [negative]
        positive, negative = list(positive), list(negative)
        if not positive and not negative:
            raise ValueError("most_similar needs at least one positive or negative word")
        self.check_words(positive + negative)
        n_cand = len(self) if restrict_vocab is None else int(restrict_vocab)
        if n_cand < 1:
            raise ValueError(f"restrict_vocab must be >= 1, got {restrict_vocab}")
        n_cand = min(n_cand, len(self))
        if topn <= 0:
            return []

        unit = self.unit_vectors
        pos = [self._unit_query(w) for w in positive]
        neg = [self._unit_query(w) for w in negative]
        query = (_stacked(pos, self.vector_size).sum(axis=0, dtype=np.float64)
                 - _stacked(neg, self.vector_size).sum(axis=0, dtype=np.float64))
        norm = np.linalg.norm(query)
        if norm > 0:
            query /= norm
        sims = unit[:n_cand] @ query.astype(np.float32)
        exclude = [i for i in {i for _, i in pos + neg if i is not None} if i < n_cand]
        sims[exclude] = -np.inf

        k = min(topn, n_cand - len(exclude))
        if k <= 0:
            return []
        top = np.argpartition(-sims, k - 1)[:k] if k < n_cand else np.arange(n_cand)
        top = np.sort(top)  # ties go to the more frequent word
        top = top[np.argsort(-sims[top], kind="stable")]
        return [(self.index_to_key[i], float(sims[i])) for i in top]

    def similarity(self, w1: str, w2: str) -> float:
        """Cosine similarity of two words' vectors, a float in [-1, 1] (0 if either is zero).

        Raises :class:`~w2vcli.errors.UnknownWordError` for an unknown word.
        """
        self.check_words([w1, w2])
        return float(np.dot(self._unit_query(w1)[0], self._unit_query(w2)[0]))

    def _unit_query(self, word: str) -> tuple[np.ndarray, int | None]:
        """``word``'s unit vector, float32 (d,), and its row (None for a composed vector);
        ``word`` has passed :meth:`check_words`."""
        i = self.key_to_index[word]
        return self.unit_vectors[i], i

    def analogy(self, a: str, b: str, c: str, topn: int = 10) -> list[tuple[str, float]]:
        """Answer "``a`` is to ``b`` as ``c`` is to ?" with the 3CosAdd rule.

        The answer is the word nearest (cosine) to unit(b) - unit(a) + unit(c), excluding a, b
        and c (Mikolov et al. 2013, "Linguistic Regularities in Continuous Space Word
        Representations"); same as ``most_similar(positive=[b, c], negative=[a])``.
        E.g. ``analogy("man", "king", "woman")`` -> ``queen`` first.

        Returns (word, cosine) pairs, best first. Raises
        :class:`~w2vcli.errors.UnknownWordError` for an unknown word.
        """
        return self.most_similar(positive=[b, c], negative=[a], topn=topn)

    # -- interchange --------------------------------------------------------------------------

    def save_word2vec_format(self, path, binary: bool = False) -> None:
        """Write the vectors to ``path`` in word2vec.c's text (default) or binary format,
        atomically (:func:`w2vcli.io.save_word2vec_format`).

        Raises :class:`~w2vcli.errors.W2VError` if a word cannot be written or the path is not
        writable.
        """
        from w2vcli.writing import save_word2vec_format

        save_word2vec_format(self, path, binary=binary)

    def to_gensim(self):
        """The same vectors as a gensim ``KeyedVectors`` (``gensim.models.KeyedVectors``), with
        the counts as its ``count`` attribute where known.

        Raises :class:`~w2vcli.errors.W2VError` if gensim is not installed.
        """
        try:
            from gensim.models import KeyedVectors as GensimKeyedVectors
        except ImportError:
            from w2vcli.errors import W2VError

            raise W2VError("to_gensim needs gensim: pip install gensim") from None
        kv = GensimKeyedVectors(self.vector_size, count=0, dtype=np.float32)
        kv.add_vectors(self.index_to_key, self.vectors)
        if self.counts is not None:
            for word, count in zip(self.index_to_key, self.counts):
                kv.set_vecattr(word, "count", int(count))
        return kv


#: Words whose vectors are composed at a time from the input matrix: bounds the temporaries to
#: about 40 MiB at dimension 300.
_COMPOSE_WORDS = 1 << 15


class SubwordKeyedVectors(KeyedVectors):
    """Word vectors with fastText's character n-gram vectors (Bojanowski et al. 2017,
    *Enriching Word Vectors with Subword Information*), which give a vector to any word.

    :attr:`vectors` holds the vocabulary's vectors as fastText's ``getWordVector`` makes them
    (the mean of a word's own input row and its n-gram rows; they are what the neighbour
    searches rank), :attr:`ngram_vectors` the n-gram buckets. ``self[word]`` is the
    vocabulary vector of a vocabulary word and, for any other word, the mean of the bucket
    rows of its character n-grams (:func:`w2vcli.subwords.ngrams`, hashed with
    :func:`w2vcli.subwords.fnv1a`): the same vector fastText and gensim give it. ``word in
    self`` still means "in the vocabulary"; :meth:`can_compose` says whether an unseen word has
    a vector.

    Parameters
    ----------
    words, vectors, counts
        As :class:`KeyedVectors`: the V words and their (V, d) composed vectors.
    ngram_vectors
        float32 (bucket, d): the rows after the V word rows of fastText's input matrix. Kept as
        given when it is C-contiguous float32 (a memory-mapped matrix stays mapped).
    minn, maxn
        n-gram lengths in characters, counting the ``<`` and ``>`` fastText puts around a word
        (``1 <= minn <= maxn``).
    bucket
        Number of buckets (rows of ``ngram_vectors``), at least 1.

    Raises
    ------
    ValueError
        As :class:`KeyedVectors`, or ``ngram_vectors``, ``minn``, ``maxn``, ``bucket`` that do
        not fit together.
    """

    def __init__(self, words: Sequence[str], vectors: np.ndarray, ngram_vectors: np.ndarray,
                 *, minn: int, maxn: int, bucket: int,
                 counts: np.ndarray | None = None) -> None:
        super().__init__(words, vectors, counts)
        if not (1 <= minn <= maxn) or bucket < 1:
            raise ValueError(f"need 1 <= minn <= maxn and bucket >= 1, got minn {minn}, maxn "
                             f"{maxn}, bucket {bucket}")
        ngram_vectors = np.asarray(ngram_vectors)
        if ngram_vectors.dtype != np.float32 or not ngram_vectors.flags.c_contiguous:
            ngram_vectors = np.ascontiguousarray(ngram_vectors, dtype=np.float32)
        if ngram_vectors.shape != (bucket, self.vector_size):
            raise ValueError(f"ngram_vectors must have shape ({bucket}, {self.vector_size}), got "
                             f"{ngram_vectors.shape}")
        self.ngram_vectors: np.ndarray = ngram_vectors
        self.minn, self.maxn, self.bucket = int(minn), int(maxn), int(bucket)

    @classmethod
    def from_input_matrix(cls, words: Sequence[str], input_matrix: np.ndarray, *, minn: int,
                          maxn: int, bucket: int,
                          counts: np.ndarray | None = None) -> "SubwordKeyedVectors":
        """Compose the vocabulary's vectors from a fastText-layout input matrix.

        Parameters
        ----------
        input_matrix
            float32 (V + bucket, d): the V words' own rows, then the buckets (``w_in.npy`` of a
            subword model, or fastText's input matrix). May be memory-mapped: it is read
            ``_COMPOSE_WORDS`` words at a time, and the bucket rows are kept as a view.

        Returns
        -------
        SubwordKeyedVectors
            Word ``i``'s vector is ``subwords.compose(words[i], ...)``: the float32 mean of
            its own row and its n-gram rows, summed in their order.

        Raises
        ------
        ValueError
            ``input_matrix`` is not (V + bucket, d), or as the constructor.
        """
        words = list(words)
        n_words = len(words)
        if input_matrix.ndim != 2 or input_matrix.shape[0] != n_words + bucket:
            raise ValueError(f"the input matrix has shape {input_matrix.shape}; expected "
                             f"{n_words} word rows + {bucket} buckets")
        if not (1 <= minn <= maxn) or bucket < 1:
            raise ValueError(f"need 1 <= minn <= maxn and bucket >= 1, got minn {minn}, maxn "
                             f"{maxn}, bucket {bucket}")
        vectors = np.empty((n_words, input_matrix.shape[1]), dtype=np.float32)
        for start in range(0, n_words, _COMPOSE_WORDS):
            stop = min(start + _COMPOSE_WORDS, n_words)
            lists = [[i, *(n_words + fnv1a(g) % bucket for g in ngrams(words[i], minn, maxn))]
                     for i in range(start, stop)]
            sizes = np.array([len(rows) for rows in lists], dtype=np.int64)
            table = np.full((stop - start, int(sizes.max())), -1, dtype=np.int64)
            for j, rows in enumerate(lists):
                table[j, :len(rows)] = rows
            # Added one position at a time, so each word's rows are summed in their order, as
            # fastText (and subwords.compose, and gensim) sum them: the same float32 bits.
            acc = np.asarray(input_matrix[table[:, 0]], dtype=np.float32)
            for k in range(1, table.shape[1]):
                has = np.flatnonzero(table[:, k] >= 0)
                acc[has] += input_matrix[table[has, k]]
            vectors[start:stop] = acc / sizes.astype(np.float32)[:, None]
        return cls(words, vectors, input_matrix[n_words:], minn=minn, maxn=maxn, bucket=bucket,
                   counts=counts)

    def __repr__(self) -> str:
        return (f"SubwordKeyedVectors({len(self):,} words, {self.vector_size} dimensions, "
                f"n-grams of {self.minn}-{self.maxn} characters in {self.bucket:,} buckets)")

    def ngram_buckets(self, word: str) -> list[int]:
        """Bucket numbers (rows of :attr:`ngram_vectors`) of ``word``'s character n-grams, in
        fastText's order, repeats kept; empty for a word too short to have one, or ``</s>``."""
        return [fnv1a(g) % self.bucket for g in ngrams(word, self.minn, self.maxn)]

    def can_compose(self, word: str) -> bool:
        """Whether ``word`` has at least one character n-gram (of ``minn`` to ``maxn``
        characters of ``<word>``): every word of at least ``minn - 2`` characters does."""
        return bool(word) and bool(ngrams(word, self.minn, self.maxn))

    def compose(self, word: str) -> np.ndarray:
        """fastText's ``getWordVector``: float32 (d,). A vocabulary word's row of
        :attr:`vectors` (its own row and its n-grams, averaged); any other word's mean n-gram
        vector, a new array.

        Raises :class:`~w2vcli.errors.UnknownWordError` naming ``word`` when it is not in the
        vocabulary and has no n-gram.
        """
        i = self.key_to_index.get(word)
        if i is not None:
            return self.vectors[i]
        buckets = self.ngram_buckets(word) if word else []
        if not buckets:
            self.check_words([word])  # raises, naming the word
        return np.asarray(self.ngram_vectors[np.asarray(buckets, dtype=np.int64)],
                          dtype=np.float32).mean(axis=0, dtype=np.float32)

    def __getitem__(self, word: str) -> np.ndarray:
        """:meth:`compose`: a vector for any word that has a character n-gram."""
        return self.compose(word)

    def check_words(self, words: Iterable[str]) -> None:
        """Raise :class:`~w2vcli.errors.UnknownWordError` unless every word is in the
        vocabulary or has a character n-gram (:meth:`can_compose`)."""
        words = _query_words(words)
        unknown = list(dict.fromkeys(w for w in words
                                     if w not in self.key_to_index and not self.can_compose(w)))
        if unknown:
            raise UnknownWordError(self._unknown_message(unknown))

    def _unknown_message(self, unknown: Sequence[str]) -> str:
        """As :class:`KeyedVectors`'s, saying that the words are too short for an n-gram."""
        why = (f"has no character n-gram of {self.minn} to {self.maxn} characters (with '<' "
               "and '>' around it) to compose a vector from")
        size = f"{len(self):,} words"
        if len(unknown) == 1:
            (w,) = unknown
            hints = self.suggest(w, 3)
            hint = f"; did you mean: {', '.join(hints)}?" if hints else ""
            return f"{w!r} is not in the vocabulary ({size}) and {why}{hint}"
        parts = []
        for w in unknown:
            hints = self.suggest(w, 3)
            parts.append(f"{w!r} -> {', '.join(hints) if hints else '(no close word)'}")
        names = ", ".join(repr(w) for w in unknown)
        return (f"{names} are not in the vocabulary ({size}) and each {why}; did you mean: "
                f"{'; '.join(parts)}?")

    def _unit_query(self, word: str) -> tuple[np.ndarray, int | None]:
        i = self.key_to_index.get(word)
        if i is not None:
            return self.unit_vectors[i], i
        vector = self.compose(word)
        norm = np.sqrt(np.dot(vector.astype(np.float64), vector.astype(np.float64)))
        return (vector / norm if norm > 0 else vector).astype(np.float32), None
