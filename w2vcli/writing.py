"""Writing word vectors in word2vec.c's text and binary formats (Mikolov et al. 2013's
``word2vec.c``: a ``V d`` header line, then one record per word).

Kept apart from the readers in :mod:`w2vcli.io` so that :class:`w2vcli.keyedvectors.KeyedVectors`
can save itself without an import circle.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from w2vcli.atomic import atomic_output
from w2vcli.errors import W2VError

if TYPE_CHECKING:
    from w2vcli.keyedvectors import KeyedVectors

_WHITESPACE = (" ", "\t", "\n", "\r", "\x0b", "\x0c")  # what bytes.split() splits on
_CHUNK_ROWS = 1024  # at most this many rows formatted per write ...
_CHUNK_BYTES = 1 << 20  # ... and about this many bytes of text: bounds the transient memory

def _check_savable_words(words: Sequence[str]) -> None:
    for i, w in enumerate(words):
        if not w or any(ch in w for ch in _WHITESPACE):
            raise W2VError(
                f"cannot save word {w!r} (index {i}): a word2vec-format word must be non-empty "
                "and contain no spaces, tabs or line breaks; tokenize so words have none"
            )


def save_word2vec_format(
    kv: KeyedVectors, path: str | os.PathLike[str], binary: bool = False
) -> None:
    """Write ``kv`` to ``path`` in word2vec.c's text (default) or binary format.

    Same as :func:`write_vectors` with ``kv``'s words and vectors (see there).

    Raises
    ------
    W2VError
        If ``path`` cannot be written, or a word is empty or contains whitespace (it would
        corrupt the format).
    """
    write_vectors(path, kv.index_to_key, kv.vectors, binary=binary)


def write_vectors(
    path: str | os.PathLike[str], words: Sequence[str], vectors: np.ndarray,
    binary: bool = False,
) -> None:
    """Write ``words`` and their ``vectors`` to ``path`` in word2vec.c's text or binary format.

    Text values are ``%.9g`` (exact float32 round trip), formatted in compiled code
    (:mod:`w2vcli.textformat`); binary values are the float32 bytes,
    little-endian, each record ending in ``"\\n"`` as word2vec.c writes. Rows are written in
    the order given (a vocabulary's: most frequent first). The write is atomic
    (:func:`~w2vcli.atomic.atomic_output`). A 70,000 x 100 model takes about 1 s in text, well
    under that in binary.

    Unlike building a :class:`~w2vcli.keyedvectors.KeyedVectors` to save it, this makes no
    word index and no copy of the matrix (when it is C-contiguous float32, as training's is):
    beyond the arrays given it holds a few MiB at a time (about 1 MiB of formatted text, in
    up to three copies on its way to the file).

    Parameters
    ----------
    words
        The V words, row order; each non-empty and without whitespace.
    vectors
        float32 (or castable) array of shape (V, d).

    Raises
    ------
    W2VError
        If ``path`` cannot be written, or a word is empty or contains whitespace (it would
        corrupt the format).
    ValueError
        If ``vectors`` is not 2-D with one row per word.
    """
    vectors = np.asarray(vectors)
    if vectors.ndim != 2 or vectors.shape[0] != len(words):
        raise ValueError(
            f"{len(words)} words but vectors of shape {vectors.shape}; give one row per word"
        )
    _check_savable_words(words)
    n, d = vectors.shape
    chunk = max(1, min(_CHUNK_ROWS, _CHUNK_BYTES // max(1, d * 16)))
    with atomic_output(path, "wb") as f:
        f.write(f"{n} {d}\n".encode("ascii"))
        if binary:
            vectors = np.ascontiguousarray(vectors, dtype="<f4")
            for start in range(0, n, chunk):
                stop = min(start + chunk, n)
                f.write(
                    b"".join(
                        words[i].encode("utf-8") + b" " + vectors[i].tobytes() + b"\n"
                        for i in range(start, stop)
                    )
                )
        else:
            _write_text_rows(f, words, np.ascontiguousarray(vectors, dtype=np.float32), chunk)


def _write_text_rows(f, words: Sequence[str], vectors: np.ndarray, chunk: int) -> None:
    """The text records of ``vectors`` (float32, C-contiguous), ``chunk`` rows at a time.

    Values are formatted in compiled code (Python's ``'%.9g'`` costs about 250 ns a value), on
    every core: chunks are formatted by a pool of threads (the formatter releases the GIL), one
    per thread at a time, and written in order, so memory stays a few chunks of text.
    """
    from concurrent.futures import ThreadPoolExecutor

    from w2vcli.textformat import MAX_VALUE_BYTES, format_rows

    n, d = vectors.shape

    def text_of(start: int) -> bytes:
        stop = min(start + chunk, n)
        buffer = np.empty((stop - start) * d * MAX_VALUE_BYTES + 1, dtype=np.uint8)
        offsets = format_rows(vectors[start:stop], buffer).tolist()
        text = memoryview(buffer)
        return b"".join(part for i in range(start, stop) for part in (
            words[i].encode("utf-8"), text[offsets[i - start]:offsets[i - start + 1]]))

    starts = range(0, n, chunk)
    workers = min(os.cpu_count() or 1, len(starts)) or 1
    if workers == 1:
        for start in starts:
            f.write(text_of(start))
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="w2v-format") as pool:
        window = workers  # chunks in flight
        for lo in range(0, len(starts), window):
            for text in pool.map(text_of, starts[lo:lo + window]):
                f.write(text)
