"""Reading and writing word vectors in the word2vec.c text and binary formats.

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

Every problem with a file raises :class:`~w2vcli.errors.VectorsFormatError` with a one-line
message naming the file and the line (text) or record (binary), and all writes go through
:func:`w2vcli.atomic.atomic_output`, so an interrupted save never leaves a half-written vectors
file behind.

Entry points:

- :func:`load_vectors` reads whatever a user may point a command at: a text or binary vectors
  file (detected), or a saved model directory (:mod:`w2vcli.model`; its ``w_in`` and counts).
- :func:`read_header`, :func:`sniff_format` and :func:`inspect_vectors_file` describe a vectors
  file from its first megabyte or so (plus a few short reads), without loading the matrix.
- :func:`load_word2vec_format` / :func:`save_word2vec_format` are the file readers and writers.
"""

from __future__ import annotations

import codecs
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Literal

import numpy as np

from .atomic import _default_file_mode, atomic_output, check_writable  # noqa: F401 (re-exported)
from .errors import VectorsFormatError, W2VError
from .keyedvectors import KeyedVectors
from .model import is_model_dir, load_model
from .writing import save_word2vec_format, write_vectors  # noqa: F401 (re-exported)

__all__ = [
    "VectorsFileInfo",
    "atomic_output",
    "check_writable",
    "format_for_path",
    "inspect_vectors_file",
    "load_vectors",
    "load_word2vec_format",
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


def _is_printable_ascii(chunk: bytes) -> bool:
    return chunk.isascii() and not chunk.translate(None, _PRINTABLE)


def _parse_header(path: Path, data: bytes) -> tuple[int, int, int]:
    """Return (vocab size, dimension, offset of the first record)."""
    end = data.find(b"\n")
    if end < 0:
        end = len(data)
    tokens = data[:end].split()
    if len(tokens) != 2 or not all(t.isdigit() and int(t) > 0 for t in tokens):
        shown = data[:min(end, 60)].decode("utf-8", "backslashreplace")
        raise VectorsFormatError(
            f"{path}: line 1: bad header {shown!r}; a word2vec file starts with "
            "'VOCAB_SIZE DIMENSION' (two positive integers), then one word and its vector per line"
        )
    return int(tokens[0]), int(tokens[1]), end + 1


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


def _wrong_count(path: Path, lineno: int, d: int, found: int) -> VectorsFormatError:
    what = "an empty line" if found < 0 else f"{found} values"
    return VectorsFormatError(
        f"{path}: line {lineno}: expected a word and {d} values (the header's dimension), "
        f"found {what}; fix the row or the header"
    )


def _read_text(path: Path, body: bytes, n: int, d: int) -> tuple[list[str], np.ndarray]:
    lines = body.split(b"\n")
    while lines and not lines[-1].strip():  # trailing newline(s) / blank lines at the end
        lines.pop()
    raw_words: list[bytes] = []
    rests: list[bytes] = []
    for lineno, line in enumerate(lines[:n], start=2):
        parts = line.split(None, 1)
        found = _count_values(parts[1], d) if len(parts) == 2 else len(parts) - 1
        if found != d:
            raise _wrong_count(path, lineno, d, found)
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
        _raise_bad_value(path, rests, d)
    return _decode_words(raw_words), values.reshape(n, d)


def _raise_bad_value(path: Path, rests: list[bytes], d: int) -> None:
    """Find the first row whose values do not parse and raise an error naming it."""
    for lineno, rest in enumerate(rests, start=2):
        tokens = rest.split()
        if len(tokens) != d:
            raise _wrong_count(path, lineno, d, len(tokens))
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
    return _decode_words(raw_words), vectors


def load_word2vec_format(path: str | os.PathLike[str], binary: bool | None = None) -> KeyedVectors:
    """Read a word2vec.c text or binary vectors file.

    Parameters
    ----------
    path
        File written by ``w2v train``, word2vec.c or gensim's ``save_word2vec_format``.
    binary
        ``True``/``False`` to force the format; ``None`` (default) detects it from the first
        record. Text rows may end in ``\\r\\n`` or carry trailing spaces; binary records may or may
        not end in ``\\n``.

    Returns
    -------
    KeyedVectors
        Vectors as (V, d) float32 in file order; ``counts`` is ``None``.

    Raises
    ------
    VectorsFormatError
        Missing or empty file, a header that is not two positive integers, a row with the wrong
        number of values or a non-number, a duplicate word, fewer or more rows than the header
        says, or a truncated binary record. The message names the file and line (text: the header
        is line 1) or record (binary: word number, 1-based).
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _read_error(path, exc) from None
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    _check_not_empty(path, data)
    n, d, start = _parse_header(path, data)
    if binary is None:
        binary = not _looks_like_text(data[start:], d)
    if binary:
        words, vectors = _read_binary(path, data, start, n, d)
        _check_duplicates(path, words, "record", 1)
    else:
        body = data[start:]
        del data
        words, vectors = _read_text(path, body, n, d)
        _check_duplicates(path, words, "line", 2)
    return KeyedVectors(words, vectors)


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
        A word2vec.c text or binary file (:func:`load_word2vec_format` with detection), or a
        directory written by :func:`w2vcli.model.save_model` (``w2v train --save-model``), whose
        input vectors ``w_in.npy`` and ``vocab.tsv`` counts are used (``w_out`` is not read).

    Returns
    -------
    KeyedVectors
        (V, d) float32 vectors in file / vocabulary order; ``counts`` is int64 (V,) for a model
        directory and ``None`` for a vectors file.

    Raises
    ------
    W2VError
        ``path`` does not exist, or is a directory without ``model.json``; a
        :class:`~w2vcli.errors.VectorsFormatError` for a malformed vectors file, or a
        :class:`~w2vcli.model.ModelFormatError` for a broken model directory. One line each.
    """
    path = Path(path)
    if vectors_path_kind(path) == "model":
        saved = load_model(path, mmap=True)  # maps w_out without reading it
        return KeyedVectors(saved.words, np.array(saved.w_in, dtype=np.float32), saved.counts)
    return load_word2vec_format(path)


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
        V and d as the header states them (the rows are not counted).
    size_bytes
        File size on disk, in bytes.
    first_words
        Up to the requested number of words from the top of the file (most frequent first).
    """

    path: Path
    format: VectorsFormat
    vocab_size: int
    vector_size: int
    size_bytes: int
    first_words: list[str] = field(default_factory=list)


def _read_start(path: Path) -> tuple[bytes, int, int, int, int]:
    """Read the header and the start of the first record.

    Returns ``(data, n, d, start, offset)``: ``data`` is the file's first bytes without a UTF-8
    BOM (at least the header and ``_SNIFF_BYTES + 4 * d`` bytes more, or the whole file),
    ``start`` the offset in ``data`` of the first record, ``offset`` the BOM's length (the file
    offset of ``data[0]``).
    """
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            data = f.read(_HEADER_BYTES)
            offset = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
            data = data[offset:]
            if offset + len(data) >= size:  # the whole file is in hand
                _check_not_empty(path, data)
            n, d, start = _parse_header(path, data)
            want = min(size - offset, start + _SNIFF_BYTES + 4 * d + 1)
            if len(data) < want:
                data += f.read(want - len(data))
    except OSError as exc:
        raise _read_error(path, exc) from None
    return data, n, d, start, offset


def read_header(path: str | os.PathLike[str]) -> tuple[int, int]:
    """The ``(vocab size, dimension)`` a vectors file's header announces (two ints > 0).

    Reads only the start of the file. Raises
    :class:`~w2vcli.errors.VectorsFormatError` for a missing, empty or unreadable file or a
    malformed header (the same messages as :func:`load_word2vec_format`).
    """
    _, n, d, _, _ = _read_start(Path(path))
    return n, d


def sniff_format(path: str | os.PathLike[str]) -> VectorsFormat:
    """Whether a vectors file is word2vec ``"text"`` or ``"binary"``, from its first record.

    Uses the same rule as :func:`load_word2vec_format` with ``binary=None`` on at most the first
    ~1 MB (plus 4*d bytes) of the file. Raises
    :class:`~w2vcli.errors.VectorsFormatError` as :func:`read_header` does.
    """
    path = Path(path)
    data, _, d, start, _ = _read_start(path)
    return "text" if _looks_like_text(data[start:], d) else "binary"


def _next_binary_word(f: BinaryIO, limit: int = 1 << 16) -> bytes | None:
    """Read up to and past the next space; the bytes before it, or None at EOF / no space."""
    parts: list[bytes] = []
    total = 0
    while total <= limit:
        chunk = f.read(256)
        if not chunk:
            return None
        i = chunk.find(b" ")
        if i >= 0:
            parts.append(chunk[:i])
            f.seek(i + 1 - len(chunk), os.SEEK_CUR)
            return b"".join(parts)
        parts.append(chunk)
        total += len(chunk)
    return None


def inspect_vectors_file(path: str | os.PathLike[str], n_words: int = 10) -> VectorsFileInfo:
    """Describe a vectors file (format, V, d, size, first words) without loading its matrix.

    Reads the header, about 1 MB to detect the format, and then the first ``n_words`` records
    (text: their lines; binary: their words, seeking over the 4*d bytes of each vector). The
    rest of the file is not checked: a file that describes fine may still fail to load.

    Parameters
    ----------
    n_words
        How many words to list from the top (fewer if the file has fewer, or ends early).

    Raises
    ------
    VectorsFormatError
        Missing, empty or unreadable file, or a malformed header.
    """
    path = Path(path)
    data, n, d, start, offset = _read_start(path)
    fmt: VectorsFormat = "text" if _looks_like_text(data[start:], d) else "binary"
    del data
    raw: list[bytes] = []
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            f.seek(offset + start)
            for _ in range(min(n, max(n_words, 0))):
                if fmt == "text":
                    tokens = f.readline().split(None, 1)
                    word = tokens[0] if tokens else None
                else:
                    word = _next_binary_word(f)
                    if word is not None:
                        word = word.lstrip(b"\n")
                        f.seek(4 * d, os.SEEK_CUR)
                        if f.tell() > size:
                            word = None
                if not word:
                    break
                raw.append(word)
    except OSError as exc:
        raise _read_error(path, exc) from None
    words = _decode_words(raw) if raw else []
    return VectorsFileInfo(path, fmt, n, d, size, words)
