"""Character n-grams of words, hashed into buckets exactly as fastText does (Bojanowski et al.
2017, *Enriching Word Vectors with Subword Information*; fastText's ``Dictionary``).

A word ``w`` is wrapped as ``<w>`` and its n-grams are the substrings of ``minn`` to ``maxn``
UTF-8 *characters* (a character is a lead byte and its continuation bytes), except the lone
``<`` and ``>``. An n-gram's row is ``nwords + fnv1a(ngram) % bucket``, where ``fnv1a`` is the
32-bit FNV-1a hash over the n-gram's bytes *as fastText casts them*: each byte goes through a
signed ``char`` before being widened to 32 bits, so a byte ``b >= 0x80`` contributes
``b | 0xFFFFFF00``. That quirk is what makes non-ASCII words hash as in fastText, and so what
makes a ``.bin`` written here give the same vectors in fastText and gensim.

The input representation of an in-vocabulary word is the mean of its own row and its n-gram
rows; of an out-of-vocabulary word, the mean of its n-gram rows (fastText's
``getWordVector``). fastText's end-of-sentence word ``</s>`` has no n-grams.

The tables here are plain arrays for the Numba kernels: :func:`subword_table` gives every word's
rows in CSR form (int32 ``offsets`` (V + 1,), int32 ``rows``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: fastText's defaults (``fasttext skipgram``): n-gram lengths and number of hash buckets.
DEFAULT_MINN = 3
DEFAULT_MAXN = 6
DEFAULT_BUCKET = 2_000_000
#: fastText's end-of-sentence token, which gets no n-grams.
EOS = "</s>"
BOW, EOW = "<", ">"

_FNV_OFFSET = 2166136261
_FNV_PRIME = 16777619


def fnv1a(data: bytes) -> int:
    """fastText's 32-bit FNV-1a hash of ``data`` (``Dictionary::hash``), as an ``int`` in
    ``[0, 2**32)``: each byte is sign-extended from a signed char before the XOR."""
    h = _FNV_OFFSET
    for b in data:
        h ^= (b | 0xFFFFFF00) if b >= 0x80 else b
        h = (h * _FNV_PRIME) & 0xFFFFFFFF
    return h


def ngrams(word: str, minn: int = DEFAULT_MINN, maxn: int = DEFAULT_MAXN) -> list[bytes]:
    """The character n-grams of ``<word>`` as fastText enumerates them (``computeSubwords``):
    by start character, then by length, ``minn`` to ``maxn`` characters, UTF-8 encoded; the
    single characters ``<`` and ``>`` are left out. Empty when ``maxn`` is 0 or ``word`` is
    ``</s>``."""
    if maxn <= 0 or word == EOS:
        return []
    data = (BOW + word + EOW).encode("utf-8")
    size = len(data)
    out: list[bytes] = []
    for i in range(size):
        if data[i] & 0xC0 == 0x80:  # a continuation byte does not start a character
            continue
        j, n = i, 1
        while j < size and n <= maxn:
            j += 1
            while j < size and data[j] & 0xC0 == 0x80:
                j += 1
            if n >= minn and not (n == 1 and (i == 0 or j == size)):
                out.append(data[i:j])
            n += 1
    return out


def ngram_rows(word: str, nwords: int, minn: int = DEFAULT_MINN, maxn: int = DEFAULT_MAXN,
               bucket: int = DEFAULT_BUCKET) -> list[int]:
    """Rows of ``word``'s n-grams in a ``(nwords + bucket, d)`` input matrix, in fastText's
    order (repeats kept, as fastText keeps them). Empty if ``bucket`` is 0."""
    if bucket <= 0:
        return []
    return [nwords + fnv1a(g) % bucket for g in ngrams(word, minn, maxn)]


def subword_table(words: Sequence[str], minn: int = DEFAULT_MINN, maxn: int = DEFAULT_MAXN,
                  bucket: int = DEFAULT_BUCKET) -> tuple[np.ndarray, np.ndarray]:
    """Every vocabulary word's input rows, its own row first, then its n-gram rows.

    Returns:
        ``(offsets, rows)``: int64 ``(V + 1,)`` and int32 ``(offsets[-1],)``; word ``i``'s
        rows are ``rows[offsets[i]:offsets[i + 1]]``, the first being ``i``.

    Raises:
        ValueError: ``minn`` or ``maxn`` out of order, or a negative ``bucket``.
    """
    if bucket < 0 or minn < 1 or (maxn and maxn < minn):
        raise ValueError(f"need 1 <= minn <= maxn (or maxn 0) and bucket >= 0, got minn {minn}, "
                         f"maxn {maxn}, bucket {bucket}")
    nwords = len(words)
    offsets = np.zeros(nwords + 1, dtype=np.int64)
    parts: list[list[int]] = []
    for i, word in enumerate(words):
        row = [i, *ngram_rows(word, nwords, minn, maxn, bucket)]
        parts.append(row)
        offsets[i + 1] = offsets[i] + len(row)
    rows = np.fromiter((r for part in parts for r in part), dtype=np.int32, count=offsets[-1])
    return offsets, rows


def mean_rows(matrix: np.ndarray, offsets: np.ndarray, rows: np.ndarray,
              block: int = 4096) -> np.ndarray:
    """Every word's vector in fastText's sense (``getWordVector``, and what its ``.vec`` holds
    for the vocabulary): the mean of the word's input rows, ``block`` words at a time.

    Args:
        matrix: float ``(nwords + bucket, d)`` input matrix.
        offsets, rows: the words' rows in CSR form (:func:`subword_table`); every word has at
            least one row.
        block: words per step (the temporary is their rows, float32).

    Returns:
        float32 ``(len(offsets) - 1, d)``.
    """
    offsets = np.asarray(offsets, dtype=np.int64)
    n = len(offsets) - 1
    out = np.empty((n, matrix.shape[1]), dtype=np.float32)
    for a in range(0, n, block):
        b = min(n, a + block)
        lo = offsets[a]
        gathered = np.asarray(matrix[rows[lo:offsets[b]]], dtype=np.float32)
        sums = np.add.reduceat(gathered, offsets[a:b] - lo, axis=0)
        out[a:b] = sums / np.diff(offsets[a:b + 1]).astype(np.float32)[:, None]
    return out


def word_vectors(words: Sequence[str], matrix: np.ndarray, minn: int = DEFAULT_MINN,
                 maxn: int = DEFAULT_MAXN, bucket: int = DEFAULT_BUCKET) -> np.ndarray:
    """The vectors of a subword model's vocabulary ``words`` (:func:`mean_rows` over
    :func:`subword_table`), from its ``(len(words) + bucket, d)`` input ``matrix``; with ``maxn``
    0 (a word model), ``matrix`` itself.

    Raises:
        ValueError: ``matrix`` has not ``len(words) + bucket`` rows (``len(words)`` for a word
            model).
    """
    extra = bucket if maxn > 0 else 0
    if matrix.shape[0] != len(words) + extra:
        raise ValueError(f"an input matrix of {matrix.shape[0]:,} rows does not fit "
                         f"{len(words):,} words and {extra:,} n-gram rows")
    if not extra:
        return matrix
    return mean_rows(matrix, *subword_table(words, minn, maxn, bucket))


def compose(word: str, index: dict[str, int], matrix: np.ndarray, minn: int = DEFAULT_MINN,
            maxn: int = DEFAULT_MAXN, bucket: int = DEFAULT_BUCKET) -> np.ndarray | None:
    """fastText's ``getWordVector``: the mean of ``word``'s own row (if it is in ``index``) and
    its n-gram rows, from an input ``matrix`` of shape ``(len(index) + bucket, d)``.

    Returns:
        float32 ``(d,)``, or ``None`` for an out-of-vocabulary word with no n-gram (a word
        shorter than ``minn`` characters with ``<`` and ``>``, or ``maxn`` 0).
    """
    rows = ngram_rows(word, len(index), minn, maxn, bucket)
    if word in index:
        rows = [index[word], *rows]
    if not rows:
        return None
    return np.asarray(matrix[np.asarray(rows)], dtype=np.float32).mean(axis=0, dtype=np.float32)
