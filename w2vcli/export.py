"""Exports of word vectors for tools outside the word2vec world: the Embedding Projector, NumPy.

- :func:`write_projector` writes a directory that the TensorBoard Embedding Projector loads,
  both the stand-alone one (projector.tensorflow.org: "Load", then choose the two ``.tsv``
  files) and TensorBoard's Projector tab (``tensorboard --logdir DIR``)::

      DIR/
        vectors.tsv             one row per word: its d values separated by tabs, no header
        metadata.tsv            the labels, row i for vector row i: with counts a header
                                ``word<TAB>count`` and ``word<TAB>count`` rows, without counts
                                one word per line and no header (the Projector takes a first
                                line without a tab as a label, with a tab as column names)
        projector_config.pbtxt  TensorBoard's config, naming the two files by relative path

  The layout is the one the Projector's loaders parse (``vz_projector/data-provider.ts`` in
  TensorBoard: lines split on ``"\\n"``, values on ``"\\t"``, blank lines skipped;
  ``projector_plugin.py``'s TSV reader for TensorBoard). Values are written as the text
  vectors format writes them (:mod:`w2vcli.textformat`: ``%.9g``, which reads back to the
  same float32). Checked by hand with TensorBoard 2.21 (``tensorboard --logdir DIR``, no
  TensorFlow): its plugin reads the config, and serves the tensor bit for bit and the labels.
- :func:`write_npy` writes ``NAME.npy``, the float32 (V, d) matrix (``numpy.load``,
  memory-mappable with ``mmap_mode="r"``), and ``NAME.vocab.txt``, its words one a line in row
  order, or ``word count`` lines (GloVe's ``vocab.txt`` layout) when counts are known.

Both refuse, before anything replaces an existing output, words the format cannot hold (they
would shift every later row) and, for the Projector, non-finite values (its parser does not read
``nan``/``inf``). All writes are atomic (:mod:`w2vcli.atomic`). Rows are written in the order
given: a vocabulary's, most frequent first, so keeping the first N rows keeps the N most frequent
words.

This module imports NumPy and w2v's leaves only; the value formatter (Numba) is imported when a
Projector export runs.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from w2vcli.atomic import atomic_directory, atomic_output
from w2vcli.errors import W2VError

__all__ = [
    "PROJECTOR_FILES",
    "PROJECTOR_SAMPLE_SIZES",
    "ProjectorExport",
    "check_projector_target",
    "npy_paths",
    "projector_tsv_rows",
    "write_npy",
    "write_projector",
]

VECTORS_TSV = "vectors.tsv"
METADATA_TSV = "metadata.tsv"
CONFIG_PBTXT = "projector_config.pbtxt"
#: The files :func:`write_projector` writes; a directory holding only these may be replaced.
PROJECTOR_FILES = (VECTORS_TSV, METADATA_TSV, CONFIG_PBTXT)
#: How many points the Projector's projections use at most (TensorBoard's ``vz_projector/data.ts``:
#: ``PCA_SAMPLE_SIZE``, ``TSNE_SAMPLE_SIZE``, ``UMAP_SAMPLE_SIZE``): beyond them it samples.
PROJECTOR_SAMPLE_SIZES = {"pca": 50_000, "tsne": 10_000, "umap": 5_000}

# TensorBoard's config: the file names are relative to the config's directory, so the export
# can be moved as a whole; without tensor_name the plugin names the tensor after tensor_path.
_CONFIG_TEXT = (
    "# TensorBoard Embedding Projector config, written by w2v convert --format projector.\n"
    "# Run: tensorboard --logdir <this directory>, and open the Projector tab.\n"
    "embeddings {\n"
    f'  tensor_path: "{VECTORS_TSV}"\n'
    f'  metadata_path: "{METADATA_TSV}"\n'
    "}\n"
)
# What JavaScript's String.prototype.trim removes (ECMAScript WhiteSpace and LineTerminator):
# a one-column metadata line made only of these is skipped by the Projector as blank.
_JS_BLANK = frozenset(
    "\t\n\v\f\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_TSV_BREAKERS = ("\t", "\n", "\r")  # split a TSV field or line (Python reads \r as a line end)
_SPACES = (" ", "\t", "\n", "\r", "\x0b", "\x0c")  # what bytes.split() splits on
_CHUNK_BYTES = 1 << 20  # about this much formatted text per write


@dataclass(frozen=True)
class ProjectorExport:
    """What :func:`write_projector` wrote.

    Attributes:
        directory: the export directory.
        files: the paths of ``vectors.tsv``, ``metadata.tsv`` and ``projector_config.pbtxt``.
        rows: number of words (rows of ``vectors.tsv``).
        with_counts: whether ``metadata.tsv`` has the ``word<TAB>count`` layout with a header.
    """

    directory: Path
    files: tuple[Path, ...]
    rows: int
    with_counts: bool


def _check_rows(words: Sequence[str], vectors: np.ndarray, counts) -> None:
    if vectors.ndim != 2 or vectors.shape[0] != len(words):
        raise ValueError(
            f"{len(words)} words but vectors of shape {vectors.shape}; give one row per word"
        )
    if counts is not None and np.shape(counts) != (len(words),):
        raise ValueError(f"counts must have shape ({len(words)},), got {np.shape(counts)}")


def _check_projector_words(words: Sequence[str], one_column: bool) -> None:
    """Raise W2VError naming the first word the metadata file cannot hold on its own line."""
    for i, word in enumerate(words):
        if any(ch in word for ch in _TSV_BREAKERS):
            raise W2VError(
                f"cannot export word {word!r} (row {i + 1}) for the Projector: a label cannot "
                "contain a tab, line feed or carriage return (it would split its row and shift "
                "every later label); tokenize so words have none"
            )
        if one_column and all(ch in _JS_BLANK for ch in word):
            raise W2VError(
                f"cannot export word {word!r} (row {i + 1}) for the Projector: a one-column "
                "metadata line that is empty or only whitespace is skipped as blank, which "
                "would shift every later label; export from a model directory (its counts make "
                "a second column) or remove the word"
            )


def check_projector_target(directory: str | os.PathLike[str]) -> Path:
    """Check that ``directory`` may be replaced by a Projector export, before any work is done.

    It may be missing (it is created), or an existing directory holding nothing but the files
    of an earlier export (:data:`PROJECTOR_FILES`): the export replaces the directory whole, so
    a directory with anything else in it (a model, the input itself, the current directory's
    files) is refused rather than deleted.

    Returns:
        ``directory`` as an absolute path.

    Raises:
        W2VError: ``directory`` is a file or a symbolic link, is the current directory, holds
            other files, or its parent directory does not exist (one line each, naming the path
            and the fix).
    """
    target = Path(os.path.abspath(directory))
    shown = os.fspath(directory)
    if os.path.islink(target):
        raise W2VError(
            f"'{shown}' is a symbolic link; give the directory it points to, or a new name"
        )
    if os.path.lexists(target) and not target.is_dir():
        raise W2VError(
            f"'{shown}' exists and is not a directory; a Projector export is a directory "
            f"({', '.join(PROJECTOR_FILES)}): give a new name such as '{shown}.projector'"
        )
    if target.is_dir():
        if target == Path(os.getcwd()):
            raise W2VError(
                "the output is the current directory; give a new directory name such as "
                "'projector'"
            )
        others = sorted(set(os.listdir(target)) - set(PROJECTOR_FILES))
        if others:
            shown_others = ", ".join(repr(name) for name in others[:3])
            more = f" and {len(others) - 3} more" if len(others) > 3 else ""
            raise W2VError(
                f"'{shown}' is a directory holding other files ({shown_others}{more}); the "
                "export replaces the whole directory, so give a new or empty directory, or one "
                "written by an earlier --format projector"
            )
    if not target.parent.is_dir():
        raise W2VError(
            f"cannot write '{shown}': directory '{target.parent}' does not exist; create it first"
        )
    return target


def _nonfinite_row(vectors: np.ndarray) -> int | None:
    """Index of the first row of ``vectors`` with a NaN or infinite value, or None."""
    finite = np.isfinite(vectors).all(axis=1)
    return None if finite.all() else int(np.argmin(finite))


def _tsv_text(vectors: np.ndarray) -> bytes:
    """:func:`projector_tsv_rows` without the check (``vectors`` float32, C-contiguous)."""
    from w2vcli.textformat import MAX_VALUE_BYTES, format_rows

    n, d = vectors.shape
    if n == 0:
        return b""
    buffer = np.empty(n * d * MAX_VALUE_BYTES + 1, dtype=np.uint8)
    text = buffer[: format_rows(vectors, buffer)[-1]]
    text[text == 32] = 9  # the separators: formatted values contain no spaces
    # Each row is "\tv1\tv2...\n": drop the tab before each row's first value.
    return text[1:].tobytes().replace(b"\n\t", b"\n")


def projector_tsv_rows(vectors: np.ndarray) -> bytes:
    """The ``vectors.tsv`` text of ``vectors``: one line per row, values separated by tabs.

    Values are formatted exactly as the word2vec text writer formats them
    (:func:`w2vcli.textformat.format_rows`, ``%.9g``), so each reads back to the same float32.

    Args:
        vectors: float32 (or castable) ``(n, d)``.

    Returns:
        ASCII bytes, ``n`` lines each ending in ``"\\n"``.

    Raises:
        W2VError: a value is NaN or infinite (the Projector's parser cannot read it); the
            message names the row (1-based).
    """
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    row = _nonfinite_row(vectors)
    if row is not None:
        raise W2VError(f"row {row + 1} has a NaN or infinite value, which the Projector cannot "
                       "read")
    return _tsv_text(vectors)


def write_projector(
    directory: str | os.PathLike[str],
    words: Sequence[str],
    vectors: np.ndarray,
    counts: np.ndarray | Sequence[int] | None = None,
) -> ProjectorExport:
    """Write ``words``, their ``vectors`` (and ``counts``) as an Embedding Projector directory.

    See the module docstring for the layout. The directory is written whole under a temporary
    name and swapped into place (:func:`w2vcli.atomic.atomic_directory`): ``directory`` holds
    the previous export or the new one, never part of one. Time and memory: the values are
    formatted about 1 MiB at a time; a 70,000 x 100 model takes about a second.

    Args:
        directory: the export directory; see :func:`check_projector_target` for what may be
            replaced.
        words: the V labels, row order; none may contain a tab, line feed or carriage return,
            and without counts none may be empty or only whitespace.
        vectors: float32 (or castable) ``(V, d)``, finite.
        counts: int ``(V,)`` corpus counts for a ``count`` column, or None for one column.

    Returns:
        :class:`ProjectorExport`.

    Raises:
        W2VError: a word the metadata cannot hold, a NaN or infinite value (names the word), or
            a target that may not be replaced or written (see :func:`check_projector_target`).
        ValueError: ``vectors`` is not 2-D with one row per word, or ``counts`` has the wrong
            shape.
        OSError: a write failed (the temporary directory is removed).
    """
    vectors = np.asarray(vectors)
    _check_rows(words, vectors, counts)
    _check_projector_words(words, one_column=counts is None)
    target = check_projector_target(directory)
    n, d = vectors.shape
    chunk = max(1, min(n, _CHUNK_BYTES // max(1, d * 12)))
    with atomic_directory(target) as tmp:
        with open(tmp / VECTORS_TSV, "wb") as f:
            for start in range(0, n, chunk):
                rows = np.ascontiguousarray(vectors[start:start + chunk], dtype=np.float32)
                bad = _nonfinite_row(rows)
                if bad is not None:
                    row = start + bad
                    raise W2VError(
                        f"cannot export word {words[row]!r} (row {row + 1}) for the Projector: "
                        "its vector has a NaN or infinite value, which the Projector cannot "
                        "read; retrain it (a lower --alpha) or leave the word out"
                    )
                f.write(_tsv_text(rows))
        with open(tmp / METADATA_TSV, "w", encoding="utf-8", newline="\n") as f:
            if counts is None:
                f.writelines(f"{w}\n" for w in words)
            else:
                f.write("word\tcount\n")
                f.writelines(f"{w}\t{int(c)}\n" for w, c in zip(words, counts))
        with open(tmp / CONFIG_PBTXT, "w", encoding="utf-8", newline="\n") as f:
            f.write(_CONFIG_TEXT)
    return ProjectorExport(target, tuple(target / name for name in PROJECTOR_FILES), n,
                           counts is not None)


def npy_paths(path: str | os.PathLike[str]) -> tuple[Path, Path]:
    """The two files of a NumPy export named ``path``: ``(matrix, vocabulary)``.

    ``vectors.npy`` and ``vectors`` both give ``(vectors.npy, vectors.vocab.txt)``.
    """
    text = os.fspath(path)
    stem = text[:-4] if text.endswith(".npy") else text
    return Path(stem + ".npy"), Path(stem + ".vocab.txt")


def write_npy(
    path: str | os.PathLike[str],
    words: Sequence[str],
    vectors: np.ndarray,
    counts: np.ndarray | Sequence[int] | None = None,
) -> tuple[Path, Path]:
    """Write ``vectors`` as a ``.npy`` matrix and ``words`` (with ``counts``) as a text file.

    Files (:func:`npy_paths`): ``STEM.npy``, float32 ``(V, d)`` C-order, NumPy's own format
    (``numpy.load``; ``mmap_mode="r"`` maps it without reading); ``STEM.vocab.txt``, UTF-8, line
    i naming row i: ``word`` or, with counts, ``word count`` (one space; GloVe's ``vocab.txt``
    layout). Both are written in full under temporary names before either replaces its file
    (:func:`w2vcli.atomic.atomic_output`).

    Args:
        path: ``STEM.npy`` or ``STEM``.
        words: the V words, row order; each non-empty and without whitespace (the word2vec
            formats' rule: one word, one line, one field).
        vectors: float32 (or castable) ``(V, d)``.
        counts: int ``(V,)`` corpus counts, or None.

    Returns:
        The paths of the matrix and the vocabulary file.

    Raises:
        W2VError: a word is empty or contains whitespace (names it), or a path cannot be
            written.
        ValueError: ``vectors`` is not 2-D with one row per word, or ``counts`` has the wrong
            shape.
    """
    vectors = np.asarray(vectors)
    _check_rows(words, vectors, counts)
    for i, word in enumerate(words):
        if not word or any(ch in word for ch in _SPACES):
            raise W2VError(
                f"cannot export word {word!r} (row {i + 1}) to a vocabulary file: a word must "
                "be non-empty and contain no spaces, tabs or line breaks; tokenize so words "
                "have none"
            )
    matrix_path, vocab_path = npy_paths(path)
    with atomic_output(matrix_path, "wb") as fm, atomic_output(vocab_path, "w") as fv:
        np.save(fm, np.ascontiguousarray(vectors, dtype=np.float32))
        if counts is None:
            fv.writelines(f"{w}\n" for w in words)
        else:
            fv.writelines(f"{w} {int(c)}\n" for w, c in zip(words, counts))
    return matrix_path, vocab_path
