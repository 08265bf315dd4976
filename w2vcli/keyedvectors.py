"""Trained word vectors and the cosine queries on them (nearest neighbours, analogies).

:class:`KeyedVectors` mirrors the part of ``gensim.models.KeyedVectors`` that ``w2v`` needs:
``index_to_key``, ``key_to_index``, ``vectors``, ``most_similar``, ``similarity``. Rows are in
vocabulary order, most frequent word first, as word2vec.c and gensim write them; that order is
what ``restrict_vocab`` relies on.

This module imports only NumPy and the standard library, so ``w2v similar`` starts fast.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .errors import UnknownWordError

__all__ = ["KeyedVectors", "WordLookup", "first_nonfinite"]


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

    ``found`` holds the vocabulary words to use, in the order given, each once; ``renamed``
    the (given, used) pairs of words matched in another case (``KING`` -> ``king``); ``unknown``
    the words that matched nothing, each once, with up to three close vocabulary words each in
    ``suggestions``.
    """

    found: tuple[str, ...]
    renamed: tuple[tuple[str, str], ...]
    unknown: tuple[str, ...]
    vocab_size: int
    suggestions: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def notes(self) -> list[str]:
        """One-line notes for the user: the words matched in another case, the words skipped.

        E.g. ``note: KING -> king`` and ``note: not in the vocabulary (15,440 words), skipped:
        'directorate' (did you mean director, directory?); 'qwerty' (no close word)``.
        """
        notes = []
        if self.renamed:
            notes.append("note: " + ", ".join(f"{given} -> {used}" for given, used in self.renamed))
        if self.unknown:
            parts = []
            for word in self.unknown:
                hints = self.suggestions.get(word, ())
                hint = f"did you mean {', '.join(hints)}?" if hints else "no close word"
                parts.append(f"{word!r} ({hint})")
            notes.append(f"note: not in the vocabulary ({self.vocab_size:,} words), skipped: "
                         + "; ".join(parts))
        return notes


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
        """Match query words to the vocabulary with :meth:`find`, skipping the unknown ones.

        Returns a :class:`WordLookup`: the words to use (each once, in order), those matched in
        another case and those not found, with close words for each (unless ``suggest`` is
        false; 0.1-0.2 s a word on 100,000 words). Callers decide what too few found words
        means; :meth:`unknown_error` gives the one-line error for the unknown ones.

        Raises :class:`~w2vcli.errors.UnknownWordError` for an empty word, ``TypeError`` for
        one that is not a string.
        """
        words = _query_words(words)
        found: dict[str, None] = {}
        renamed: dict[tuple[str, str], None] = {}
        unknown: dict[str, None] = {}
        for w in words:
            used = self.find(w)
            if used is None:
                unknown[w] = None
                continue
            found[used] = None
            if used != w:
                renamed[(w, used)] = None
        hints = {w: tuple(self.suggest(w, 3)) for w in unknown} if suggest else {}
        return WordLookup(tuple(found), tuple(renamed), tuple(unknown), len(self), hints)

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
        pos = [self.key_to_index[w] for w in positive]
        neg = [self.key_to_index[w] for w in negative]
        query = (unit[pos].sum(axis=0, dtype=np.float64) - unit[neg].sum(axis=0, dtype=np.float64))
        norm = np.linalg.norm(query)
        if norm > 0:
            query /= norm
        sims = unit[:n_cand] @ query.astype(np.float32)
        exclude = [i for i in set(pos + neg) if i < n_cand]
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
        unit = self.unit_vectors
        return float(np.dot(unit[self.key_to_index[w1]], unit[self.key_to_index[w2]]))

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
