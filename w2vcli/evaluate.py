"""Intrinsic evaluation of word vectors: analogy accuracy and word-similarity correlation.

- :func:`evaluate_analogies` scores Mikolov et al.'s (2013) ``questions-words.txt`` the way
  word2vec.c's ``compute-accuracy`` and gensim's ``KeyedVectors.evaluate_word_analogies`` do.
- :func:`evaluate_word_pairs` correlates cosine similarities with human judgements
  (WordSim353-style files), reporting Spearman's rho as gensim's ``evaluate_word_pairs`` does.

Both take ``subwords=True`` for :class:`~w2vcli.keyedvectors.SubwordKeyedVectors`: a word
that is not in the (restricted) vocabulary then gets a vector too, composed from its character
n-grams as fastText's ``getWordVector`` does (Bojanowski et al. 2017 score their OOV words this
way), so more of the items are scored; the default scores vocabulary words only, as
word2vec.c and gensim do.

Imports only NumPy and the standard library, so ``w2v eval`` starts fast.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import W2VError
from .keyedvectors import KeyedVectors

__all__ = [
    "AnalogyResult",
    "SectionScore",
    "SimilarityResult",
    "evaluate_analogies",
    "evaluate_word_pairs",
    "in_vocabulary_pairs",
    "pearson",
    "spearman",
]

_BATCH = 512  # questions scored per matrix product: 512 x 30,000 float32 scores = 61 MB


# -- result types -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SectionScore:
    """Analogy score of one section (or an aggregate of sections).

    ``total`` questions were read, ``answered`` had all four words in the (restricted)
    vocabulary, and ``correct`` of those were predicted exactly. Of the others, ``oov`` have a
    word that is not in the vocabulary at all and :attr:`restricted` the rest: all their words
    are in the vocabulary, but one is not among the ``restrict_vocab`` most frequent.
    """

    name: str
    correct: int
    answered: int
    total: int
    oov: int = 0

    @property
    def accuracy(self) -> float:
        """correct / answered, in [0, 1]; 0.0 when nothing was answered."""
        return self.correct / self.answered if self.answered else 0.0

    @property
    def coverage(self) -> float:
        """answered / total, in [0, 1]; 0.0 for an empty section."""
        return self.answered / self.total if self.total else 0.0

    @property
    def restricted(self) -> int:
        """Questions not answered only because a word is beyond ``restrict_vocab``."""
        return self.total - self.answered - self.oov


def _aggregate(name: str, sections: list[SectionScore]) -> SectionScore:
    return SectionScore(
        name,
        sum(s.correct for s in sections),
        sum(s.answered for s in sections),
        sum(s.total for s in sections),
        sum(s.oov for s in sections),
    )


def _share(part: int, whole: int) -> str:
    """'219 of 19,544 (1.1%)'."""
    return f"{part:,} of {whole:,} ({100.0 * part / whole:.1f}%)" if whole else f"{part} of 0"


@dataclass(frozen=True)
class AnalogyResult:
    """Per-section analogy scores, in file order, with totals.

    ``semantic`` and ``syntactic`` aggregate the sections as word2vec.c's compute-accuracy does:
    a section whose name starts with ``gram`` is syntactic, every other one semantic.
    ``restrict_vocab`` is the number of most frequent words used (``None``: all), ``oov_words``
    the distinct question words not in the vocabulary, ``restricted_words`` those in it but
    beyond ``restrict_vocab``, and ``case_matched`` the (as written, as used) pairs of words
    found in another case (see :func:`evaluate_analogies`). With ``subwords`` (scored with
    subword vectors), ``composed_words`` are the question words not in the vocabulary whose
    vectors were composed from character n-grams, and ``oov_words`` only those that have no
    n-gram.
    """

    sections: list[SectionScore]
    restrict_vocab: int | None = None
    oov_words: tuple[str, ...] = ()
    restricted_words: tuple[str, ...] = ()
    case_matched: tuple[tuple[str, str], ...] = ()
    subwords: bool = False
    composed_words: tuple[str, ...] = ()

    @property
    def overall(self) -> SectionScore:
        """All sections together."""
        return _aggregate("overall", self.sections)

    @property
    def correct(self) -> int:
        return self.overall.correct

    @property
    def answered(self) -> int:
        return self.overall.answered

    @property
    def total(self) -> int:
        return self.overall.total

    @property
    def accuracy(self) -> float:
        """Overall correct / answered (0.0 if nothing was answered)."""
        return self.overall.accuracy

    @property
    def coverage(self) -> float:
        """Overall answered / total."""
        return self.overall.coverage

    @property
    def semantic(self) -> SectionScore:
        return _aggregate("semantic", [s for s in self.sections if not s.name.startswith("gram")])

    @property
    def syntactic(self) -> SectionScore:
        return _aggregate("syntactic", [s for s in self.sections if s.name.startswith("gram")])

    def coverage_warning(self) -> str | None:
        """A one-line warning when fewer than half of the questions were answered, else None.

        It says how many were answered and why the others were not: a word out of the
        vocabulary, or beyond the ``restrict_vocab`` most frequent words.
        """
        overall = self.overall
        if overall.total == 0 or 2 * overall.answered >= overall.total:
            return None
        reasons = []
        if overall.oov:
            reasons.append(f"{overall.oov:,} have a word not in the vocabulary")
        if overall.restricted:
            reasons.append(f"{overall.restricted:,} a word beyond the {self.restrict_vocab:,} "
                           "most frequent (restrict-vocab)")
        return (f"Warning: only {_share(overall.answered, overall.total)} analogy questions were "
                f"scored: {' and '.join(reasons)}; the accuracy is over the scored ones only")


@dataclass(frozen=True)
class SimilarityResult:
    """Correlation of model cosine similarities with human similarity scores.

    ``spearman`` and ``pearson`` are computed over the ``pairs_used`` pairs whose two words are
    in the vocabulary; ``oov_ratio`` = (pairs_total - pairs_used) / pairs_total is a fraction in
    [0, 1] (gensim reports the same quantity as a percentage). ``oov_words`` are the distinct
    words not in the vocabulary, ``case_matched`` the (as written, as used) pairs of words found
    in another case (see :func:`evaluate_word_pairs`). With ``subwords``, ``composed_words``
    are the words not in the vocabulary whose vectors were composed from character n-grams, and
    ``oov_words`` only those without an n-gram.
    """

    spearman: float
    pearson: float
    pairs_used: int
    pairs_total: int
    oov_ratio: float
    oov_words: tuple[str, ...] = ()
    case_matched: tuple[tuple[str, str], ...] = ()
    subwords: bool = False
    composed_words: tuple[str, ...] = ()

    @property
    def oov_pairs(self) -> int:
        """Pairs left out because a word is not in the vocabulary."""
        return self.pairs_total - self.pairs_used

    def coverage_warning(self, vocab_size: int | None = None) -> str | None:
        """A one-line warning when fewer than half of the pairs were scored, else None."""
        if 2 * self.pairs_used >= self.pairs_total:
            return None
        size = f" ({vocab_size:,} words)" if vocab_size is not None else ""
        return (f"Warning: only {_share(self.pairs_used, self.pairs_total)} word pairs were "
                f"scored: {self.oov_pairs:,} have a word not in the vocabulary{size}; the "
                "correlations are over the scored pairs only")


# -- statistics -------------------------------------------------------------------------------


def _average_ranks(x: np.ndarray) -> np.ndarray:
    """Ranks 1..n of ``x`` (float64), ties sharing the mean of the ranks they span."""
    order = np.argsort(x, kind="stable")
    xs = x[order]
    starts_group = np.r_[True, xs[1:] != xs[:-1]]
    group = np.cumsum(starts_group) - 1
    starts = np.flatnonzero(starts_group)
    ends = np.r_[starts[1:], len(x)]  # exclusive
    ranks = np.empty(len(x), dtype=np.float64)
    ranks[order] = ((starts + 1 + ends) / 2.0)[group]
    return ranks


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson correlation of two 1-D samples of equal length n >= 2, in float64.

    Returns NaN when either sample is constant (the correlation is undefined).
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1 or len(x) < 2:
        raise ValueError(f"need two 1-D samples of equal length >= 2, got {x.shape}, {y.shape}")
    xc = x - x.mean()
    yc = y - y.mean()
    denom = np.sqrt((xc @ xc) * (yc @ yc))
    if denom == 0.0:
        return float("nan")
    return float(np.clip((xc @ yc) / denom, -1.0, 1.0))


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman rank correlation rho: Pearson correlation of the average ranks (ties averaged).

    Same definition as ``scipy.stats.spearmanr``; NaN when either sample is constant.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1 or len(x) < 2:
        raise ValueError(f"need two 1-D samples of equal length >= 2, got {x.shape}, {y.shape}")
    return pearson(_average_ranks(x), _average_ranks(y))


# -- file reading -----------------------------------------------------------------------------


def _read_lines(path: Path, what: str) -> list[str]:
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise W2VError(f"{what} file '{path}' not found; check the path") from None
    except IsADirectoryError:
        raise W2VError(
            f"'{path}' is a directory, not a {what} file; give the file's path"
        ) from None
    except OSError as exc:
        raise W2VError(f"cannot read {what} file '{path}': {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise W2VError(
            f"{path}: not UTF-8 text (bad byte at offset {exc.start}); save the file as UTF-8"
        ) from None
    return text.splitlines()


def _read_questions(path: Path) -> list[tuple[str, list[tuple[str, str, str, str]]]]:
    """Sections of questions-words.txt: [(name, [(a, b, c, d), ...]), ...] in file order."""
    sections: list[tuple[str, list[tuple[str, str, str, str]]]] = []
    for lineno, line in enumerate(_read_lines(path, "analogy"), start=1):
        if not line.strip():
            continue
        if line.startswith(":"):
            name = line[1:].strip()
            if not name:
                raise W2VError(
                    f"{path}: line {lineno}: section header ':' has no name; write ': name'"
                )
            sections.append((name, []))
            continue
        words = line.split()
        if len(words) != 4:
            raise W2VError(
                f"{path}: line {lineno}: expected 4 words 'A B C D' or a ': section' header, "
                f"found {len(words)} words; fix the line"
            )
        if not sections:
            raise W2VError(
                f"{path}: line {lineno}: question before any ': section' header; "
                "start the file with a header line such as ': capital-common-countries'"
            )
        sections[-1][1].append((words[0], words[1], words[2], words[3]))
    if not any(questions for _, questions in sections):
        raise W2VError(
            f"{path}: no analogy questions found; expected ': section' headers and 'A B C D' lines"
        )
    return sections


def _read_pairs(path: Path) -> list[tuple[str, str, float]]:
    pairs = []
    for lineno, line in enumerate(_read_lines(path, "word-pair"), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = line.split()
        score = None
        if len(fields) == 3:
            try:
                score = float(fields[2])
            except ValueError:
                pass
        if score is None or not np.isfinite(score):
            raise W2VError(
                f"{path}: line {lineno}: expected 'word1 word2 score' (tab- or space-separated, "
                f"score a number), found {line.strip()[:60]!r}; fix it or comment it out with '#'"
            )
        pairs.append((fields[0], fields[1], score))
    if not pairs:
        raise W2VError(f"{path}: no word pairs found; expected lines 'word1 word2 score'")
    return pairs


# -- evaluation -------------------------------------------------------------------------------


class _WordMatcher:
    """Words of an evaluation file -> vocabulary indices, each distinct word looked up once.

    With ``case_insensitive`` a word is matched as the query commands match it
    (:meth:`KeyedVectors.find`: as written, else its only case variant), otherwise exactly;
    either way only among the first ``limit`` words. Records the words matched in another case,
    those not in the vocabulary at all and those in it but beyond ``limit``.

    With ``subwords`` a word not found among the first ``limit`` gets a vector all the same,
    at index ``limit``, ``limit + 1``, ... (:meth:`unit_vectors` appends them): a vocabulary
    word beyond ``limit`` its own vector, any other word one composed from its character
    n-grams (:meth:`w2vcli.keyedvectors.SubwordKeyedVectors.compose`, as written).
    """

    def __init__(self, kv: KeyedVectors, limit: int, case_insensitive: bool,
                 subwords: bool = False) -> None:
        self.kv, self.limit, self.case_insensitive = kv, limit, case_insensitive
        self.subwords = subwords
        self.indices: dict[str, int | None] = {}
        self.case_matched: dict[str, str] = {}
        self.oov: dict[str, None] = {}
        self.restricted: dict[str, None] = {}
        self.composed: dict[str, None] = {}
        self.extra: list[np.ndarray] = []  # vectors of the words given indices limit, ...

    def _extra_vector(self, word: str) -> np.ndarray | None:
        """With ``subwords``, a vector for ``word``, not found among the first ``limit``:
        its vocabulary vector beyond ``limit``, else its composed one; None if it has none."""
        found = self._find(word, len(self.kv))
        if found is not None:
            if found != word:
                self.case_matched[word] = found
            return np.asarray(self.kv.vectors[self.kv.key_to_index[found]])
        if self.kv.can_compose(word):
            self.composed[word] = None
            return np.asarray(self.kv[word])
        return None

    def _find(self, word: str, limit: int) -> str | None:
        if self.case_insensitive:
            return self.kv.find(word, limit)
        i = self.kv.key_to_index.get(word)
        return word if i is not None and i < limit else None

    def __call__(self, word: str) -> int | None:
        if word in self.indices:
            return self.indices[word]
        found = self._find(word, self.limit)
        index = None
        if found is None and self.subwords:
            vector = self._extra_vector(word)
            if vector is not None:
                index = self.limit + len(self.extra)
                self.extra.append(vector)
                self.indices[word] = index
                return index
        if found is None:
            elsewhere = self.limit < len(self.kv) and self._find(word, len(self.kv)) is not None
            (self.restricted if elsewhere else self.oov)[word] = None
        else:
            index = self.kv.key_to_index[found]
            if found != word:
                self.case_matched[word] = found
        self.indices[word] = index
        return index

    def canon(self) -> np.ndarray:
        """For each of the first ``limit`` indices, the index of its case class's most frequent
        spelling (with ``case_insensitive``; else the identity), then for each extra vector its
        own index: shape (limit + extras,) int64."""
        keys = self.kv.index_to_key[: self.limit]
        extras = np.arange(self.limit, self.limit + len(self.extra), dtype=np.int64)
        if not self.case_insensitive:
            return np.arange(len(keys) + len(self.extra), dtype=np.int64)
        first: dict[str, int] = {}
        base = np.fromiter((first.setdefault(w.casefold(), i) for i, w in enumerate(keys)),
                           dtype=np.int64, count=len(keys))
        return np.concatenate([base, extras])

    def unit_vectors(self) -> np.ndarray:
        """Unit vectors of the first ``limit`` words, then of the extra vectors (normalised as
        :attr:`KeyedVectors.unit_vectors`: float64 norms, a zero vector stays zero)."""
        unit = self.kv.unit_vectors[: self.limit]
        if not self.extra:
            return unit
        extra = np.stack(self.extra).astype(np.float32)
        norms = np.sqrt(np.einsum("ij,ij->i", extra, extra, dtype=np.float64))
        norms[norms == 0.0] = 1.0
        return np.concatenate([unit, (extra / norms[:, None]).astype(np.float32)])


def _predict_correct(unit: np.ndarray, ids: np.ndarray, canon: np.ndarray) -> np.ndarray:
    """For questions ``ids`` (Q, 4) = (a, b, c, d) indices, whether 3CosAdd predicts d.

    The prediction is the row of ``unit`` (R, d) with the highest dot product with
    unit[b] - unit[a] + unit[c], skipping every spelling of a, b and c; it is correct if it is
    a spelling of d (spellings: the same ``canon`` entry). Returns a bool array of shape (Q,).
    """
    correct = np.zeros(len(ids), dtype=bool)
    for start in range(0, len(ids), _BATCH):
        a, b, c, d = ids[start : start + _BATCH].T
        scores = (unit[b] - unit[a] + unit[c]) @ unit.T  # (q, R) float32
        rows = np.arange(len(a))
        for col in (a, b, c):
            scores[rows, col] = -np.inf
        pred = scores.argmax(axis=1)
        ca, cb, cc = canon[a], canon[b], canon[c]
        while True:  # another spelling of a, b or c (case-insensitive) is not an answer
            hit = canon[pred]
            retry = ((hit == ca) | (hit == cb) | (hit == cc)) & np.isfinite(scores[rows, pred])
            if not retry.any():
                break
            scores[rows[retry], pred[retry]] = -np.inf
            pred[retry] = scores[retry].argmax(axis=1)
        correct[start : start + _BATCH] = ((canon[pred] == canon[d])
                                           & np.isfinite(scores[rows, pred]))
    return correct


def evaluate_analogies(
    kv: KeyedVectors,
    path: str | os.PathLike[str],
    restrict_vocab: int | None = 30000,
    case_insensitive: bool = True,
    subwords: bool = False,
) -> AnalogyResult:
    """Score word analogies "a is to b as c is to d" from a questions-words.txt file.

    Semantics of word2vec.c's compute-accuracy and gensim's ``evaluate_word_analogies``
    (Mikolov et al. 2013, "Efficient Estimation of Word Representations in Vector Space"):

    - only the first ``restrict_vocab`` words of ``kv`` (the most frequent; all if ``None``) are
      used, both as question words and as answers;
    - a question is answered only if all four words are in that vocabulary; with
      ``case_insensitive`` a word is matched as ``w2v similar`` matches a query word
      (:meth:`KeyedVectors.find`: as written, else its only case variant, so a lowercased
      model answers ``Athens Greece ...`` with ``athens``, ``greece``), otherwise exactly;
    - the prediction is the word whose unit vector is nearest (cosine) to
      unit(b) - unit(a) + unit(c), excluding a, b and c (3CosAdd); it is correct if it is d.
      With ``case_insensitive`` answers are compared ignoring case, as in word2vec.c and
      gensim: another spelling of a, b or c is skipped, and any spelling of d is correct.

    On a lowercased model this is exactly gensim's ``evaluate_word_analogies``; on a mixed-case
    one gensim instead takes every question word's most frequent spelling (``Paris`` for
    ``paris`` if ``Paris`` is more frequent), where this takes the spelling as written.

    With ``subwords`` (for :class:`~w2vcli.keyedvectors.SubwordKeyedVectors`), a question word
    that is not among the ``restrict_vocab`` most frequent words gets a vector all the same: a
    vocabulary word its own, any other word the mean of its character n-gram vectors (as
    written; fastText's ``getWordVector``). These words join the candidate answers, so a
    question whose answer was never seen can still be answered right; only a word without an
    n-gram (shorter than ``minn`` - 2 characters) leaves its question out.

    Questions are scored in (512 x d) @ (d x R) float32 batches: the 19,544 questions against
    30,000 words take about a second.

    Parameters
    ----------
    path
        Text file of ``: section`` header lines followed by ``A B C D`` question lines.

    Returns
    -------
    AnalogyResult
        One :class:`SectionScore` per section in file order (with the questions left out for
        words out of the vocabulary or beyond ``restrict_vocab``), plus totals, the
        semantic/syntactic split and the words behind them (and the words composed from
        n-grams, with ``subwords``).

    Raises
    ------
    W2VError
        Missing or unreadable file, a malformed line (the message names file and line), a
        question before the first section header, no questions at all, or ``restrict_vocab < 1``.
    """
    path = Path(path)
    if restrict_vocab is not None and restrict_vocab < 1:
        raise W2VError(f"restrict_vocab must be a positive number of words, got {restrict_vocab}")
    sections = _read_questions(path)
    limit = len(kv) if restrict_vocab is None else min(int(restrict_vocab), len(kv))
    match = _WordMatcher(kv, limit, case_insensitive, subwords)

    ids: list[list[int]] = []
    owner: list[int] = []  # section number of each answered question
    oov = [0] * len(sections)  # questions with a word not in the vocabulary at all
    for s, (_, questions) in enumerate(sections):
        for question in questions:
            idx = [match(w) for w in question]
            if None not in idx:
                ids.append(idx)
                owner.append(s)
            elif any(w in match.oov for w in question):
                oov[s] += 1
    ids_array = np.array(ids, dtype=np.int64).reshape(-1, 4)
    correct = _predict_correct(match.unit_vectors(), ids_array, match.canon())

    owner_array = np.array(owner, dtype=np.int64)
    n_sections = len(sections)
    answered = np.bincount(owner_array, minlength=n_sections)
    right = np.bincount(owner_array, weights=correct, minlength=n_sections)
    return AnalogyResult(
        [
            SectionScore(name, int(right[s]), int(answered[s]), len(questions), oov[s])
            for s, (name, questions) in enumerate(sections)
        ],
        restrict_vocab=None if restrict_vocab is None else limit,
        oov_words=tuple(match.oov),
        restricted_words=tuple(match.restricted),
        case_matched=tuple(match.case_matched.items()),
        subwords=subwords,
        composed_words=tuple(match.composed),
    )


def evaluate_word_pairs(
    kv: KeyedVectors, path: str | os.PathLike[str], case_insensitive: bool = True,
    subwords: bool = False,
) -> SimilarityResult:
    """Correlate cosine similarity with human similarity scores (WordSim353, MEN, ...).

    Each line is ``word1 word2 score`` separated by tabs or spaces; blank lines and lines starting
    with ``#`` are skipped. Pairs with a word outside the vocabulary are left out (counted in
    ``oov_ratio``), as gensim's ``evaluate_word_pairs`` does. With ``case_insensitive`` a word
    is matched as ``w2v similar`` matches a query word (:meth:`KeyedVectors.find`: as written,
    else its only case variant; on a lowercased model the same as gensim's case-insensitive
    matching), otherwise exactly. With ``subwords`` (for
    :class:`~w2vcli.keyedvectors.SubwordKeyedVectors`), a word not in the vocabulary gets the
    mean of its character n-gram vectors (as written; fastText's ``getWordVector``), and only a
    pair with a word that has no n-gram is left out.

    Returns
    -------
    SimilarityResult
        Spearman's rho (average ranks for ties) and Pearson's r between model cosines and human
        scores over the pairs used; NaN if either side is constant.

    Raises
    ------
    W2VError
        Missing or unreadable file, a malformed line (names file and line), or fewer than two
        pairs with both words in the vocabulary.
    """
    path = Path(path)
    pairs = _read_pairs(path)
    match = _WordMatcher(kv, len(kv), case_insensitive, subwords)

    first, second, human = [], [], []
    for w1, w2, score in pairs:
        i, j = match(w1), match(w2)
        if i is not None and j is not None:
            first.append(i)
            second.append(j)
            human.append(score)
    used = len(human)
    if used < 2:
        raise W2VError(
            f"{path}: only {used} of {len(pairs)} pairs have both words in the vocabulary "
            f"({len(kv):,} words); need at least 2 — check that the vectors match the file's "
            "language and casing"
        )
    unit = match.unit_vectors()
    cosines = np.einsum("ij,ij->i", unit[first], unit[second], dtype=np.float64)
    return SimilarityResult(
        spearman=spearman(cosines, np.array(human)),
        pearson=pearson(cosines, np.array(human)),
        pairs_used=used,
        pairs_total=len(pairs),
        oov_ratio=(len(pairs) - used) / len(pairs),
        oov_words=tuple(match.oov),
        case_matched=tuple(match.case_matched.items()),
        subwords=subwords,
        composed_words=tuple(match.composed),
    )


#: The evaluation sets that ship inside the package (``w2vcli/data``, see its README for
#: sources and licences): name -> file name.
STANDARD_SETS = {"analogy": "questions-words.txt", "wordsim353": "wordsim353.tsv"}


def standard_set(name: str) -> Path:
    """Path of a shipped evaluation set: ``"analogy"`` (Mikolov et al. 2013's
    questions-words.txt) or ``"wordsim353"`` (Finkelstein et al. 2002).

    Raises:
        KeyError: another name.
    """
    from importlib.resources import files

    return Path(str(files("w2vcli") / "data" / STANDARD_SETS[name]))


@dataclass(frozen=True)
class QualityReport:
    """What ``w2v eval`` with no file reports: the shipped analogy set (accuracy, semantic and
    syntactic split, coverage) and WordSim353 (Spearman's rho, coverage)."""

    analogy: AnalogyResult
    wordsim353: SimilarityResult
    #: The same sets scored with subword vectors (``subwords=True``), else None.
    analogy_subwords: AnalogyResult | None = None
    wordsim353_subwords: SimilarityResult | None = None


def quality_report(kv, restrict_vocab: int | None = 30000,
                   subwords: bool = False) -> QualityReport:
    """Score ``kv`` (a :class:`w2vcli.keyedvectors.KeyedVectors`) on the shipped standard sets,
    as :func:`evaluate_analogies` (with ``restrict_vocab``, as word2vec.c's compute-accuracy)
    and :func:`evaluate_word_pairs` do; with ``subwords`` (subword vectors), also with the
    words outside the vocabulary composed from their n-grams, so that the coverage is reported
    both ways.

    Raises:
        W2VError: the vectors are unusable (see those functions); with ``subwords``, fewer than
            two WordSim353 pairs in the vocabulary is not an error (its row is NaN).
    """
    questions, pairs = standard_set("analogy"), standard_set("wordsim353")
    analogy = evaluate_analogies(kv, questions, restrict_vocab=restrict_vocab)
    if not subwords:
        return QualityReport(analogy, evaluate_word_pairs(kv, pairs))
    with_subwords = evaluate_word_pairs(kv, pairs, subwords=True)
    return QualityReport(
        analogy, in_vocabulary_pairs(kv, pairs),
        evaluate_analogies(kv, questions, restrict_vocab=restrict_vocab, subwords=True),
        with_subwords)


def in_vocabulary_pairs(kv, path: str | os.PathLike[str]) -> SimilarityResult:
    """:func:`evaluate_word_pairs` over vocabulary words only, for a report that also scores
    the pairs with subwords: fewer than two pairs in the vocabulary gives NaN correlations
    (with the counts) instead of an error.

    Raises:
        W2VError: the file cannot be read (see :func:`evaluate_word_pairs`).
    """
    try:
        return evaluate_word_pairs(kv, path)
    except W2VError:
        pairs = _read_pairs(Path(path))
        match = _WordMatcher(kv, len(kv), True)
        used = sum(1 for w1, w2, _ in pairs if match(w1) is not None and match(w2) is not None)
        nan = float("nan")
        return SimilarityResult(nan, nan, used, len(pairs), (len(pairs) - used) / len(pairs),
                                tuple(match.oov), tuple(match.case_matched.items()))
