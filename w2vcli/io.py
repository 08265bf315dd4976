"""Reading and writing word vectors in the word2vec.c text and binary formats (and reading GloVe).

Both formats start with a header line ``V d`` (vocabulary size, dimension), followed by one record
per word, most frequent word first:

- text: ``word v1 v2 ... vd\\n``, values as decimal numbers separated by single spaces;
- binary: ``word`` + ``b" "`` + d little-endian float32 (4*d bytes) + ``b"\\n"`` (word2vec.c
  writes the newline, gensim does not; the reader accepts both).

Files written here load with ``gensim.models.KeyedVectors.load_word2vec_format`` and word2vec.c's
``distance``; files written by those tools load here. Word counts are not part of the format:
loaded vectors have ``counts=None``.

Choices:

- Text values are written with ``%.9g``: 9 significant digits always round-trip a float32 exactly
  (``%.6g``/word2vec.c's ``%lf`` do not). Files are ~1.33x the size of word2vec.c's; numpy's
  shortest round-trip repr (gensim's choice) would be ~10% smaller but formats ~2x slower.
- Words are UTF-8. Bytes that are not valid UTF-8 (e.g. a Latin-1 corpus, or word2vec.c cutting a
  long word inside a multi-byte character) are decoded with ``errors="backslashreplace"``: the
  bytes ``caf\\xe9`` load as the word ``caf\\xe9`` spelled with a literal backslash, instead of
  failing; distinct byte strings stay distinct words. Saving such a word writes the escaped form.
- ``binary=None`` detects the format from the first record: text if everything after the word
  on the first line parses as numbers, or if the 4*d bytes after the first space are printable
  ASCII (a malformed text row, reported as such); binary otherwise.
- Compressed files are read as they are: gzip, bzip2 and xz are recognised by their first bytes
  (not by the file name), so ``vectors.txt.gz``, ``cc.en.300.vec.gz`` or a ``.bin`` that is
  really gzipped all load, text or binary inside. zstd and zip are recognised and refused with
  the command that unpacks them.
- A text file without a header line whose first line is a word and at least two numbers (not all
  of them integers, which would rather be a broken header) is GloVe's format: it is read as text
  with the first line's number of values as the dimension, and reported as such
  (:attr:`VectorsSource.header` is False), so that the command line can say so.
- Every value must be finite: ``nan``, ``inf`` and numbers beyond float32's range are refused,
  naming the line (text) or record and word (binary), since one such value makes every cosine
  with its word NaN. Vectors of a model directory are checked the same way
  (:func:`w2vcli.model.check_finite`).

Every problem with a file raises :class:`~w2vcli.errors.VectorsFormatError` with a one-line
message naming the file and the line (text) or record (binary), and all writes go through
:func:`w2vcli.atomic.atomic_output`, so an interrupted save never leaves a half-written vectors
file behind.

Entry points:

- :func:`load_vectors` reads whatever a user may point a command at: a text or binary vectors
  file (detected, compressed or not), a GloVe file, a fastText ``.bin`` (its magic number;
  :mod:`w2vcli.fasttext_format`) or a saved model directory (:mod:`w2vcli.model`; its ``w_in``
  and counts). A fastText ``.bin`` or a model directory with character n-grams gives
  :class:`~w2vcli.keyedvectors.SubwordKeyedVectors`, which compose vectors for unseen words.
  :func:`load_vectors_and_source` also says what it read (:class:`VectorsSource`).
- :func:`read_header`, :func:`sniff_format` and :func:`inspect_vectors_file` describe a vectors
  file from its first megabyte or so (plus a few short reads), without loading the matrix.
- :func:`load_word2vec_format` / :func:`save_word2vec_format` are the file readers and writers.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Literal

import numpy as np

from . import compression
from .atomic import _default_file_mode, atomic_output, check_writable  # noqa: F401 (re-exported)
from .errors import VectorsFormatError, W2VError
from .keyedvectors import KeyedVectors, SubwordKeyedVectors, first_nonfinite
from .model import ModelFormatError, check_finite, is_model_dir, load_model, subword_buckets
from .writing import save_word2vec_format, write_vectors  # noqa: F401 (re-exported)

__all__ = [
    "VectorsFileInfo",
    "VectorsSource",
    "atomic_output",
    "check_writable",
    "format_for_path",
    "inspect_vectors_file",
    "load_vectors",
    "load_vectors_and_source",
    "load_word2vec_format",
    "model_vectors",
    "read_header",
    "save_word2vec_format",
    "sniff_format",
    "vectors_path_kind",
    "write_vectors",
]

VectorsFormat = Literal["text", "binary"]

_PRINTABLE = bytes(range(32, 127)) + b"\t\n\r"
_SNIFF_BYTES = 1 << 20  # how much of the first record format detection looks at
_HEADER_BYTES = 1 << 16  # a header line longer than this is reported as a bad header


# -- compressed files -------------------------------------------------------------------------


@contextlib.contextmanager
def _open_vectors(path: Path) -> Iterator[tuple[BinaryIO, str | None]]:
    """Open a vectors file as bytes, decompressed if its first bytes say it is compressed
    (:func:`w2vcli.compression.open_bytes`).

    Yields ``(stream, compression)``: ``compression`` is ``"gzip"``, ``"bzip2"``, ``"xz"`` or
    None. An operating-system error, a zstd or zip file, or damaged compressed data met while
    opening or reading inside the block becomes a one-line
    :class:`~w2vcli.errors.VectorsFormatError`.
    """
    kind = None
    try:
        with compression.open_bytes(path) as (stream, kind):
            yield stream, kind
    except compression.UnsupportedCompression as exc:
        raise VectorsFormatError(
            f"{path}: the file is {compression.describe(exc.kind)}, not a vectors file; "
            f"{compression.UNPACK[exc.kind]}"
        ) from None
    except compression.READ_ERRORS as exc:
        if kind is not None and isinstance(exc, EOFError):
            raise VectorsFormatError(
                f"{path}: the {kind}-compressed data ends early (the file is truncated); "
                "download or create it again"
            ) from None
        if kind is not None and compression.is_damage(exc):
            raise VectorsFormatError(
                f"{path}: the {kind}-compressed data is damaged ({exc}); download or create "
                "it again"
            ) from None
        if isinstance(exc, OSError):
            raise _read_error(path, exc) from None
        raise


# -- reading ----------------------------------------------------------------------------------


def _is_number(token: bytes) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def _looks_like_text(body: bytes, d: int) -> bool:
    """Guess whether the records after the header are text (True) or binary (False).

    Text if everything after the word on the first line parses as numbers. A malformed first text
    row is still recognised as text (so the error names its problem) when the 4*d bytes after the
    first space are all printable ASCII; the float32 bytes of a binary record almost never are
    (checked only for d >= 4, where a false match is vanishingly unlikely).
    """
    end = body.find(b"\n", 0, 1 << 20)
    tokens = body[: end if end >= 0 else 1 << 20].split()
    if len(tokens) >= 2 and all(_is_number(t) for t in tokens[1:]):
        return True
    space = body.find(b" ")
    window = body[space + 1 : space + 1 + 4 * d]
    return d >= 4 and space >= 0 and len(window) > 0 and _is_printable_ascii(window)


def _is_binary_layout(data: bytes, start: int, n: int, d: int) -> bool:
    """Whether ``data[start:]`` is exactly ``n`` binary records: a word without whitespace, a
    space, ``4 * d`` bytes and a newline each, and nothing after the last."""
    pos = start
    for _ in range(n):
        space = data.find(b" ", pos)
        if space < 0 or space == pos or any(c in data[pos:space] for c in b"\t\n\r"):
            return False
        pos = space + 1 + 4 * d
        if data[pos:pos + 1] != b"\n":
            return False
        pos += 1
    return pos == len(data)


def _is_printable_ascii(chunk: bytes) -> bool:
    return chunk.isascii() and not chunk.translate(None, _PRINTABLE)


def _glove_dimension(tokens: list[bytes]) -> int | None:
    """The dimension of a headerless (GloVe) file whose first line splits into ``tokens``, or None.

    GloVe if the line is a word and at least two numbers, not all of the tokens integers (a line
    such as ``100 200 300`` is rather a header with a stray number, reported as a bad header).
    """
    if len(tokens) < 3 or not all(_is_number(t) for t in tokens[1:]):
        return None
    if all(t.isdigit() for t in tokens):
        return None
    return len(tokens) - 1


def _parse_header(path: Path, data: bytes, glove: bool = True) -> tuple[int | None, int, int]:
    """Return (vocab size, dimension, offset of the first record) from the start of a file.

    For a file without a header whose first line is a GloVe record (``glove=True`` allows it;
    see :func:`_glove_dimension`), the vocabulary size is None and the offset 0.
    """
    end = data.find(b"\n")
    if end < 0:
        end = len(data)
    tokens = data[:end].split()
    if len(tokens) == 2 and all(t.isdigit() and int(t) > 0 for t in tokens):
        return int(tokens[0]), int(tokens[1]), end + 1
    d = _glove_dimension(tokens) if glove else None
    if d is not None:
        return None, d, 0
    shown = data[:min(end, 60)].decode("utf-8", "backslashreplace")
    raise VectorsFormatError(
        f"{path}: line 1: bad header {shown!r}; a word2vec file starts with "
        "'VOCAB_SIZE DIMENSION' (two positive integers), then one word and its vector per line"
    )


def _decode_words(raw: list[bytes]) -> list[str]:
    # Words never contain b"\n", so one decode of the joined bytes keeps them apart.
    return b"\n".join(raw).decode("utf-8", "backslashreplace").split("\n")


def _check_duplicates(path: Path, words: list[str], unit: str, first: int) -> None:
    seen: dict[str, int] = {}
    for i, w in enumerate(words):
        if w in seen:
            raise VectorsFormatError(
                f"{path}: {unit} {first + i}: duplicate word {w!r} (first on {unit} "
                f"{first + seen[w]}); each word must appear once"
            )
        seen[w] = i


def _count_values(rest: bytes, expected: int) -> int:
    """Number of whitespace-separated values in ``rest`` (which has no leading whitespace).

    Counting single spaces is ~5x faster than splitting and is exact for the usual layout; it
    can only undercount when a CR, VT or FF sits between two values, and the bulk parse in
    :func:`_read_text` then finds more values than expected and rechecks every row.
    """
    rest = rest.rstrip()
    found = rest.count(b" ") + 1
    if found != expected or b"  " in rest or b"\t" in rest:
        found = len(rest.split())
    return found


# Where the dimension a row must have comes from, and what to fix, with and without a header.
_DIMENSION_FROM = {True: ("the header's dimension", "fix the row or the header"),
                   False: ("as on line 1: the file has no header line, so it is read as GloVe "
                           "text", "fix the row")}


def _wrong_count(path: Path, lineno: int, d: int, found: int,
                 header: bool = True) -> VectorsFormatError:
    what = "an empty line" if found < 0 else f"{found} values"
    source, fix = _DIMENSION_FROM[header]
    return VectorsFormatError(
        f"{path}: line {lineno}: expected a word and {d} values ({source}), found {what}; {fix}"
    )


# Why a non-finite value is refused, and how training that diverged is fixed.
_NONFINITE_WHY = "vectors must be finite numbers"
_RETRAIN = "retrain (training that diverged writes nan; use a smaller --alpha)"


def _nonfinite_text(path: Path, lineno: int, word: bytes, rest: bytes,
                    column: int) -> VectorsFormatError:
    """The error for the first non-finite value of a text row (value ``column``, 0-based)."""
    token = rest.split()[column]
    shown = token[:40].decode("utf-8", "backslashreplace")
    name = _decode_words([word])[0]
    if np.isfinite(float(token)):  # a finite number that float32 cannot hold
        return VectorsFormatError(
            f"{path}: line {lineno}: value {column + 1} of {name!r}, {shown}, is beyond "
            "float32's range (about 3.4e38); fix or delete the row"
        )
    return VectorsFormatError(
        f"{path}: line {lineno}: value {column + 1} of {name!r} is {shown}; {_NONFINITE_WHY}: "
        f"fix or delete the row, or {_RETRAIN}"
    )


def _read_text(path: Path, body: bytes, n: int | None, d: int,
               header: bool = True) -> tuple[list[str], np.ndarray]:
    """Parse text records: ``n`` of them after a header (line 2 on), or all of them (n None,
    ``header=False``: a GloVe file, line 1 on)."""
    first = 2 if header else 1
    lines = body.split(b"\n")
    while lines and not lines[-1].strip():  # trailing newline(s) / blank lines at the end
        lines.pop()
    if n is None:
        n = len(lines)
    raw_words: list[bytes] = []
    rests: list[bytes] = []
    for lineno, line in enumerate(lines[:n], start=first):
        parts = line.split(None, 1)
        found = _count_values(parts[1], d) if len(parts) == 2 else len(parts) - 1
        if found != d:
            raise _wrong_count(path, lineno, d, found, header)
        raw_words.append(parts[0])
        rests.append(parts[1])
    if len(lines) < n:
        raise VectorsFormatError(
            f"{path}: the header says {n} words but the file has only {len(lines)} rows "
            f"(it ends at line {len(lines) + 1}); the file is truncated or the header is wrong"
        )
    if len(lines) > n:
        raise VectorsFormatError(
            f"{path}: line {n + 2}: the header says {n} word{'' if n == 1 else 's'} but more rows follow; "
            "fix the header or remove the extra rows"
        )
    del lines

    values = None
    with warnings.catch_warnings():
        # numpy < 2 warns (and stops early) instead of raising on an unparsable value.
        warnings.simplefilter("error", DeprecationWarning)
        try:
            values = np.fromstring(b" ".join(rests), dtype=np.float32, sep=" ")
        except (ValueError, DeprecationWarning):
            values = None
    if values is None or values.size != n * d:
        _raise_bad_value(path, rests, d, first, header)
    bad = first_nonfinite(values)
    if bad is not None:
        row, column = divmod(bad, d)
        raise _nonfinite_text(path, first + row, raw_words[row], rests[row], column)
    return _decode_words(raw_words), values.reshape(n, d)


def _raise_bad_value(path: Path, rests: list[bytes], d: int, first: int = 2,
                     header: bool = True) -> None:
    """Find the first row whose values do not parse and raise an error naming it."""
    for lineno, rest in enumerate(rests, start=first):
        tokens = rest.split()
        if len(tokens) != d:
            raise _wrong_count(path, lineno, d, len(tokens), header)
        for token in tokens:
            if not _is_number(token):
                shown = token[:40].decode("utf-8", "backslashreplace")
                raise VectorsFormatError(
                    f"{path}: line {lineno}: {shown!r} is not a number; every value after the "
                    "word must be a decimal number (if this is a binary file, load it as binary)"
                )
        with warnings.catch_warnings():
            warnings.simplefilter("error", DeprecationWarning)
            try:
                np.fromstring(rest, dtype=np.float32, sep=" ")
            except (ValueError, DeprecationWarning):
                raise VectorsFormatError(
                    f"{path}: line {lineno}: cannot parse the values as numbers; "
                    "write them as plain decimals such as -0.125 or 1.5e-05"
                ) from None
    raise VectorsFormatError(f"{path}: cannot parse the vector values; re-save the file")


def _read_binary(
    path: Path, data: bytes, start: int, n: int, d: int
) -> tuple[list[str], np.ndarray]:
    width = 4 * d
    raw_words: list[bytes] = []
    rows: list[memoryview] = []
    view = memoryview(data)
    pos = start
    size = len(data)
    for i in range(n):
        record = i + 1
        space = data.find(b" ", pos)
        if space < 0 or space + 1 + width > size:
            raise VectorsFormatError(
                f"{path}: record {record} (of {n} the header announces): the file ends inside "
                f"it; expected a word, a space and {width} bytes ({d} float32); "
                "the file is truncated or not a binary word2vec file"
            )
        word = data[pos:space].lstrip(b"\n")
        if not word:
            raise VectorsFormatError(
                f"{path}: record {record}: empty word (two spaces in a row at byte {space}); "
                "the file is corrupt or not a binary word2vec file"
            )
        raw_words.append(word)
        pos = space + 1 + width
        rows.append(view[space + 1 : pos])
        if data[pos : pos + 1] == b"\n":
            pos += 1
    if data[pos:].strip():
        raise VectorsFormatError(
            f"{path}: data continues after the {n} records the header announces (byte {pos}); "
            "fix the header or remove the extra data"
        )
    vectors = np.frombuffer(b"".join(rows), dtype="<f4").reshape(n, d).astype(np.float32)
    bad = first_nonfinite(vectors)
    if bad is not None:
        row, column = divmod(bad, d)
        name = _decode_words([raw_words[row]])[0]
        raise VectorsFormatError(
            f"{path}: record {row + 1} ({name!r}): value {column + 1} is "
            f"{float(vectors[row, column])}; {_NONFINITE_WHY}: re-create the file, or {_RETRAIN}"
        )
    return _decode_words(raw_words), vectors


@dataclass(frozen=True)
class VectorsSource:
    """What :func:`load_vectors_and_source` read.

    Attributes
    ----------
    path
        The file or directory.
    format
        ``"text"``, ``"binary"``, ``"fasttext"`` (a fastText ``.bin``) or ``"model"`` (a model
        directory).
    compression
        ``"gzip"``, ``"bzip2"`` or ``"xz"`` for a compressed file (found from its first bytes),
        else None.
    header
        False for a text file without a header line, read as GloVe text; True otherwise.
    """

    path: Path
    format: Literal["text", "binary", "fasttext", "model"]
    compression: str | None = None
    header: bool = True

    @property
    def label(self) -> str:
        """A few words for messages: ``"text"``, ``"binary, gzip"``, ``"GloVe text, xz"``,
        ``"model directory"``, ``"fastText .bin"``."""
        return _label(self.format, self.compression, self.header)


def _label(fmt: str, compression: str | None, header: bool) -> str:
    if fmt == "model":
        return "model directory"
    if fmt == "fasttext":
        return "fastText .bin"
    name = fmt if header else f"GloVe {fmt}"
    return f"{name}, {compression}" if compression else name


def _load_file(path: Path, binary: bool | None) -> tuple[KeyedVectors, VectorsSource]:
    with _open_vectors(path) as (f, compression):
        data = f.read()
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    _check_not_empty(path, data)
    n, d, start = _parse_header(path, data, glove=binary is not True)
    detect = binary is None and n is not None
    if n is None:  # no header: GloVe, which is text
        binary = False
    elif binary is None:
        binary = not _looks_like_text(data[start:], d)
    if not binary:
        try:
            words, vectors = _read_text(path, data[start:], n, d, header=n is not None)
        except VectorsFormatError:
            # A binary record's float32 bytes can all be printable ASCII and pass for a broken
            # text row; a file laid out exactly as n binary records is binary.
            if not (detect and _is_binary_layout(data, start, n, d)):
                raise
            binary = True
        else:
            _check_duplicates(path, words, "line", 2 if n is not None else 1)
    if binary:
        words, vectors = _read_binary(path, data, start, n, d)
        _check_duplicates(path, words, "record", 1)
    source = VectorsSource(path, "binary" if binary else "text", compression, n is not None)
    return KeyedVectors(words, vectors), source


def load_word2vec_format(path: str | os.PathLike[str], binary: bool | None = None) -> KeyedVectors:
    """Read a word2vec.c text or binary vectors file, compressed or not, or a GloVe text file.

    Parameters
    ----------
    path
        File written by ``w2v train``, word2vec.c, gensim's ``save_word2vec_format``, fastText
        (``.vec``) or GloVe (no header line). gzip, bzip2 and xz files are decompressed as they
        are read, whatever their name (found from their first bytes).
    binary
        ``True``/``False`` to force the format; ``None`` (default) detects it from the first
        record. Text rows may end in ``\\r\\n`` or carry trailing spaces; binary records may or may
        not end in ``\\n``. A file without a header is read as GloVe text unless ``binary=True``.

    Returns
    -------
    KeyedVectors
        Vectors as (V, d) float32 in file order; ``counts`` is ``None``.

    Raises
    ------
    VectorsFormatError
        Missing or empty file, a header that is not two positive integers (and a first line that
        is not a GloVe record), a row with the wrong number of values or a non-number, a value
        that is not finite (``nan``, ``inf``, beyond float32's range), a duplicate word, fewer or
        more rows than the header says, a truncated binary record, damaged or truncated
        compressed data, or a zstd or zip file. The message names the file and line (text: the
        header is line 1) or record (binary: word number, 1-based).
    """
    return _load_file(Path(path), binary)[0]


def _read_error(path: Path, exc: OSError) -> VectorsFormatError:
    if isinstance(exc, FileNotFoundError):
        return VectorsFormatError(
            f"vectors file '{path}' not found; check the path, or train vectors first"
        )
    if isinstance(exc, IsADirectoryError):
        return VectorsFormatError(
            f"'{path}' is a directory, not a vectors file; give the file's path"
        )
    return VectorsFormatError(f"cannot read vectors file '{path}': {exc.strerror or exc}")


def _check_not_empty(path: Path, data: bytes) -> None:
    if not data or data.isspace():
        raise VectorsFormatError(
            f"{path}: the file is empty; expected a word2vec header 'VOCAB_SIZE DIMENSION' "
            "and vectors"
        )


# -- loading anything a command may be pointed at ---------------------------------------------


def load_vectors(path: str | os.PathLike[str]) -> KeyedVectors:
    """Read word vectors from a vectors file (text or binary, detected) or a model directory.

    Parameters
    ----------
    path
        A word2vec.c text or binary file, plain or compressed, or a GloVe text file
        (:func:`load_word2vec_format` with detection); a fastText ``.bin`` (found by its magic
        number, :func:`w2vcli.fasttext_format.read_fasttext_bin`); or a directory written by
        :func:`w2vcli.model.save_model` (``w2v train --save-model``), whose input vectors
        ``w_in.npy`` and ``vocab.tsv`` counts are used (``w_out`` is not read).

    Returns
    -------
    KeyedVectors
        (V, d) float32 vectors in file / vocabulary order; ``counts`` is int64 (V,) for a model
        directory or a fastText ``.bin`` and ``None`` for a vectors file. A ``.bin`` or model
        directory with character n-grams (``maxn`` > 0 and ``bucket`` > 0) gives a
        :class:`~w2vcli.keyedvectors.SubwordKeyedVectors`: its vectors are the words' composed
        vectors (fastText's ``getWordVector``), and it composes a vector for any other word
        with an n-gram.

    Raises
    ------
    W2VError
        ``path`` does not exist, or is a directory without ``model.json``; a
        :class:`~w2vcli.errors.VectorsFormatError` for a malformed vectors file, or a
        :class:`~w2vcli.model.ModelFormatError` for a broken model directory or one whose
        ``w_in`` holds NaN or infinity; a
        :class:`~w2vcli.fasttext_format.FastTextFormatError` for a ``.bin`` that is truncated,
        quantized (``.ftz``) or supervised. One line each.
    """
    return load_vectors_and_source(path)[0]


def load_vectors_and_source(
    path: str | os.PathLike[str],
) -> tuple[KeyedVectors, VectorsSource]:
    """:func:`load_vectors`, and what was read: format, compression, header or not.

    The command line uses the :class:`VectorsSource` to tell the user that a file without a
    header line was read as GloVe text (the library itself never prints).

    Raises
    ------
    W2VError
        As :func:`load_vectors`.
    """
    path = Path(path)
    if vectors_path_kind(path) == "model":
        saved = load_model(path, mmap=True)  # maps w_out without reading it
        check_finite(path, saved, ("w_in",))
        return model_vectors(path, saved), VectorsSource(path, "model")
    from .fasttext_format import is_fasttext_bin

    if is_fasttext_bin(path):
        return _load_fasttext(path), VectorsSource(path, "fasttext")
    return _load_file(path, None)


def model_vectors(path: str | os.PathLike[str], saved) -> KeyedVectors:
    """The query vectors of a saved model (:class:`w2vcli.model.SavedModel`): its ``w_in``
    word rows, or, for a model with character n-grams (``config`` ``maxn`` > 0 and ``bucket``
    > 0, and ``w_in`` of V + bucket rows), :class:`SubwordKeyedVectors` composed from them.

    Raises
    ------
    ModelFormatError
        A subword model whose ``w_in`` lacks the bucket rows, or whose ``minn`` / ``maxn`` do
        not fit together; ``path`` names the directory.
    """
    config = saved.meta.get("config") if isinstance(saved.meta.get("config"), dict) else {}
    n_words, bucket = len(saved.words), subword_buckets(saved.meta)
    maxn, minn = int(config.get("maxn") or 0), int(config.get("minn") or 0)
    if maxn > 0 and bucket > 0:
        if saved.w_in.shape[0] != n_words + bucket or not 1 <= minn <= maxn:
            raise ModelFormatError(
                f"{Path(path) / 'model.json'}: n-grams of {minn} to {maxn} characters in "
                f"{bucket:,} buckets, but w_in.npy has {saved.w_in.shape[0]:,} rows for "
                f"{n_words:,} words; the model is damaged: retrain it")
        return SubwordKeyedVectors.from_input_matrix(
            saved.words, np.asarray(saved.w_in), minn=minn, maxn=maxn, bucket=bucket,
            counts=saved.counts)
    return KeyedVectors(saved.words, np.array(saved.w_in[:n_words], dtype=np.float32),
                        saved.counts)


def _load_fasttext(path: Path) -> KeyedVectors:
    """A fastText ``.bin``'s vectors: :class:`SubwordKeyedVectors` if it has n-grams."""
    from .fasttext_format import FastTextFormatError, read_fasttext_bin

    model = read_fasttext_bin(path, output=False)
    try:
        if model.has_subwords:
            return SubwordKeyedVectors.from_input_matrix(
                model.words, model.input_matrix, minn=model.minn, maxn=model.maxn,
                bucket=model.bucket, counts=model.counts)
        return KeyedVectors(model.words, model.input_matrix[:len(model.words)], model.counts)
    except ValueError as exc:  # a duplicate word, minn > maxn
        raise FastTextFormatError(f"{path}: {exc}") from None


def vectors_path_kind(path: str | os.PathLike[str]) -> Literal["model", "file"]:
    """Whether ``path`` is a model directory (``"model"``) or something else (``"file"``).

    Only looks at the file system: a ``"file"`` may still be unreadable or malformed.

    Raises
    ------
    W2VError
        ``path`` does not exist, or is a directory without ``model.json`` (one line each,
        suggesting a fix).
    """
    path = Path(path)
    if path.is_dir():
        if not is_model_dir(path):
            raise W2VError(
                f"'{path}' is a directory but not a w2v model directory (no model.json in it); "
                "give a vectors file, or a directory written by 'w2v train --save-model DIR'"
            )
        return "model"
    if not path.exists():
        raise W2VError(
            f"'{path}' not found: no vectors file or model directory there; check the path, "
            "or train vectors with 'w2v train CORPUS'"
        )
    return "file"


def format_for_path(path: str | os.PathLike[str]) -> VectorsFormat:
    """Default output format for ``path``: ``"binary"`` if it ends in ``.bin``, else ``"text"``."""
    return "binary" if os.fspath(path).endswith(".bin") else "text"


# -- describing a vectors file without loading it ---------------------------------------------


@dataclass(frozen=True)
class VectorsFileInfo:
    """What :func:`inspect_vectors_file` learns from the start of a vectors file.

    Attributes
    ----------
    path
        The file.
    format
        ``"text"`` or ``"binary"``, detected as :func:`load_word2vec_format` detects it.
    vocab_size, vector_size
        V and d as the header states them (the rows are not counted), or for a file without a
        header (GloVe) the number of rows and the values on the first one.
    size_bytes
        File size on disk, in bytes (compressed, for a compressed file).
    first_words
        Up to the requested number of words from the top of the file (most frequent first).
    compression
        ``"gzip"``, ``"bzip2"`` or ``"xz"``, found from the file's first bytes, or None.
    header
        False for a file without a header line (read as GloVe text).
    """

    path: Path
    format: VectorsFormat
    vocab_size: int
    vector_size: int
    size_bytes: int
    first_words: list[str] = field(default_factory=list)
    compression: str | None = None
    header: bool = True

    @property
    def label(self) -> str:
        """The format in a few words, as :attr:`VectorsSource.label`."""
        return _label(self.format, self.compression, self.header)


@dataclass
class _Start:
    """The start of a vectors file (see :func:`_read_start`)."""

    data: bytes  # the first bytes, decompressed, without a UTF-8 BOM
    n: int | None  # the header's vocabulary size; None without a header (GloVe)
    d: int
    start: int  # offset of the first record in data
    whole: bool  # data is the whole file

    @property
    def format(self) -> VectorsFormat:
        return "text" if self.n is None or _looks_like_text(self.data[self.start:], self.d) \
            else "binary"


def _read_start(path: Path, f: BinaryIO) -> _Start:
    """Read the header and the start of the first record from ``f``, opened on ``path`` by
    :func:`_open_vectors`: at least the first line and ``_SNIFF_BYTES + 4 * d`` bytes more, or
    the whole file."""
    data = f.read(_HEADER_BYTES)
    whole = len(data) < _HEADER_BYTES
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    if whole:
        _check_not_empty(path, data)
    # A long first line (a GloVe record of thousands of values) is read to its end.
    while not whole and b"\n" not in data and len(data) < _SNIFF_BYTES:
        more = f.read(_HEADER_BYTES)
        whole = not more
        data += more
    n, d, start = _parse_header(path, data)
    want = start + _SNIFF_BYTES + 4 * d + 1
    if not whole and len(data) < want:
        more = f.read(want - len(data))
        whole = len(more) < want - len(data)
        data += more
    return _Start(data, n, d, start, whole)


def _count_rows(data: bytes, f: BinaryIO) -> int:
    """Rows of a file without a header: lines up to the last one with anything but whitespace
    on it, counted in ``data`` (the file so far) and the rest of ``f``, in bounded memory. The
    loader counts them the same way (a blank line before the last row is one, and an error)."""
    rows = 0  # line ends before the current chunk
    last = 0  # lines up to and including the last one with content
    chunk = data
    while chunk:
        content = len(chunk.rstrip())
        if content:
            last = rows + chunk.count(b"\n", 0, content) + 1
        rows += chunk.count(b"\n")
        chunk = f.read(1 << 20)
    return last


def read_header(path: str | os.PathLike[str]) -> tuple[int, int]:
    """The ``(vocab size, dimension)`` a vectors file's header announces (two ints > 0).

    Reads only the start of the file, decompressing it if it is compressed. For a file without
    a header (GloVe), the rows are counted (the whole file is read, in bounded memory) and the
    dimension is the number of values on the first line. Raises
    :class:`~w2vcli.errors.VectorsFormatError` for a missing, empty or unreadable file or a
    malformed header (the same messages as :func:`load_word2vec_format`).
    """
    path = Path(path)
    with _open_vectors(path) as (f, _):
        start = _read_start(path, f)
        n = start.n if start.n is not None else _count_rows(start.data, f)
    return n, start.d


def sniff_format(path: str | os.PathLike[str]) -> VectorsFormat:
    """Whether a vectors file is word2vec ``"text"`` or ``"binary"``, from its first record.

    Uses the same rule as :func:`load_word2vec_format` with ``binary=None`` on at most the first
    ~1 MB (plus 4*d bytes) of the file, decompressed if it is compressed; a file without a header
    (GloVe) is text. Raises :class:`~w2vcli.errors.VectorsFormatError` as :func:`read_header`
    does.
    """
    path = Path(path)
    with _open_vectors(path) as (f, _):
        return _read_start(path, f).format


def _first_words(data: bytes, start: int, f: BinaryIO, binary: bool, d: int,
                 count: int) -> tuple[list[bytes], bytes]:
    """The words of the first ``count`` records at ``data[start:]`` (reading on from ``f`` where
    ``data`` ends), fewer where the file ends or a record is cut short, and all the bytes read
    so far (``data`` and what was read from ``f``)."""
    buffer = bytearray(data)
    pos = start
    words: list[bytes] = []

    def more() -> bool:
        chunk = f.read(1 << 16)
        buffer.extend(chunk)
        return bool(chunk)

    while len(words) < count:
        if binary:
            space = buffer.find(b" ", pos)
            while space < 0:
                if len(buffer) - pos > (1 << 16) or not more():
                    return words, bytes(buffer)
                space = buffer.find(b" ", pos)
            end = space + 1 + 4 * d
            while len(buffer) < end:
                if not more():
                    return words, bytes(buffer)
            word = bytes(buffer[pos:space]).lstrip(b"\n")
            pos = end
        else:
            newline = buffer.find(b"\n", pos)
            while newline < 0:
                if not more():
                    newline = len(buffer)
                    break
                newline = buffer.find(b"\n", pos)
            tokens = bytes(buffer[pos:newline]).split(None, 1)
            word = tokens[0] if tokens else b""
            pos = newline + 1
        if not word:
            break
        words.append(word)
    return words, bytes(buffer)


def inspect_vectors_file(path: str | os.PathLike[str], n_words: int = 10) -> VectorsFileInfo:
    """Describe a vectors file (format, V, d, size, first words) without loading its matrix.

    Reads the header, about 1 MB to detect the format, and then the first ``n_words`` records
    (text: their lines; binary: their words, reading over the 4*d bytes of each vector), through
    the decompressor for a compressed file. The rest of the file is not checked (a file that
    describes fine may still fail to load) and not read, except for a file without a header
    (GloVe), whose rows are counted.

    Parameters
    ----------
    n_words
        How many words to list from the top (fewer if the file has fewer, or ends early).

    Raises
    ------
    VectorsFormatError
        Missing, empty or unreadable file, damaged compressed data, or a malformed header.
    """
    path = Path(path)
    with _open_vectors(path) as (f, compression):
        start = _read_start(path, f)
        fmt = start.format
        wanted = max(n_words, 0) if start.n is None else min(start.n, max(n_words, 0))
        raw, data = _first_words(start.data, start.start, f, fmt == "binary", start.d, wanted)
        n = start.n if start.n is not None else _count_rows(data, f)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise _read_error(path, exc) from None
    words = _decode_words(raw) if raw else []
    return VectorsFileInfo(path, fmt, n, start.d, size, words, compression, start.n is not None)
