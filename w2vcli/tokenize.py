"""Reading corpora and splitting them into sentences of tokens.

A corpus is one or more files (plain text, ``.gz``, ``.bz2``, ``.xz``) or ``-`` for standard
input; one line is one sentence. Files are read in blocks, never whole lines, so a single line of
hundreds of MB (text8 is one 100 MB line) streams in bounded memory. A line longer than
``max_sentence_length`` tokens is cut into consecutive pieces of at most that many tokens, and
nothing is dropped (gensim silently truncates such lines to 10,000 words; word2vec.c cuts them
into 1,000-word sentences, which is what we do too, at a length you choose).

Two tokenizers:

``words`` (default)
    lowercases (unless ``lowercase=False``) and keeps maximal runs of Unicode letters, digits and
    combining marks (text in NFC form), joined by single underscores so that phrases stay whole:
    ``"Troll2 is great!"`` gives ``["troll2", "is", "great"]``, ``"New_York rocks_"`` gives
    ``["new_york", "rocks"]`` and ``"हिन्दी भाषा"`` gives ``["हिन्दी", "भाषा"]``. A word starts
    with a letter or digit; the combining marks after it are part of it (``café`` with a
    combining acute accent is one word, the same as the composed ``café``), a mark with no
    letter before it (after a space, an emoji, punctuation) is dropped. Emoji, like other
    symbols and punctuation, separate words and are not words themselves: ``"I ❤️ pizza"``
    gives ``["i", "pizza"]`` (use ``whitespace`` to keep emoji). Invisible format characters
    (Unicode's default-ignorable code points: variation selectors, zero-width joiners, soft
    hyphens, bidirectional marks, tags, Hangul fillers) are removed before the text is split,
    so they neither split a word (``"hy\\u00adphen"`` is ``hyphen``) nor become one, except the
    zero-width space U+200B, which separates words (Thai and Khmer text marks word ends with it).
``whitespace``
    splits on whitespace and keeps tokens verbatim, like word2vec.c and gensim's LineSentence;
    it lowercases only if ``lowercase=True`` is asked for. A token made only of combining marks
    and default-ignorable code points (a lone variation selector or zero-width joiner between
    spaces) is dropped: it would be an invisible "word".

Neither tokenizer ever emits a token made only of combining marks (category M) and
default-ignorable code points (:func:`is_invisible`).

What is read, and what is refused (each refusal a one-line :class:`~w2vcli.errors.CorpusError`):

- Text is UTF-8; a UTF-8 byte-order mark at the start of a file is skipped. Bytes that are not
  valid UTF-8 become U+FFFD and are counted (:attr:`ReadStats.replaced_bytes`, which
  ``w2v train`` reports in a warning line); the count costs nothing for valid input.
- Control characters (:data:`CONTROL_CHARS`: NUL and the other C0 controls but tab, line feed,
  vertical tab, form feed and carriage return, and DEL) are read as spaces, i.e. they separate
  tokens and never end up inside a word, and are counted (:attr:`ReadStats.nul_chars`,
  :attr:`ReadStats.control_chars`, which ``w2v train`` and ``w2v phrases`` report in a warning
  line): a few stray bytes in a large text file (the zero-filled tail a crash can leave, a
  terminal escape) are not a reason to refuse it. Control bytes are ASCII, never part of a
  multi-byte UTF-8 character, so reading them as spaces before or after decoding is the same.
- The first :data:`SNIFF_BYTES` (64 KiB) of every file, after decompression, are checked before
  any of it is tokenized, and a file that is not text is refused with a message that says what it
  looks like and what to pass instead: a UTF-16 byte-order mark or every other byte NUL (UTF-16);
  the signature of a gzip / bzip2 / xz / zstd / zip file under a plain name; the signature of a
  known binary format (ELF, .npy, PNG, JPEG, GIF, PDF, HDF5, SQLite: :data:`BINARY_SIGNATURES`);
  mostly binary bytes, i.e. more than a quarter of the bytes checked are control bytes or invalid
  UTF-8 and at least 1 in 16 are control bytes (text in a legacy 8-bit encoding has none); or
  more than a quarter of them invalid UTF-8 (text that is not UTF-8).
- A missing file, a directory, an unreadable file, a compressed file that is corrupt or truncated:
  refused, naming the file.
- A line of any length streams in blocks of ``block_chars`` characters, cut at whitespace, so no
  token is split; only a single token of ``block_chars`` (262,144) characters or more can be cut
  into pieces (memory stays bounded even for a file with no whitespace at all).
"""

from __future__ import annotations

import bz2
import codecs
import functools
import gzip
import io
import lzma
import os
import re
import sys
import threading
import unicodedata
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, BinaryIO, NamedTuple

from w2vcli import compression
from w2vcli.errors import CorpusError

TOKENIZERS = ("words", "whitespace")

#: Characters read per block; bounds memory for files with very long lines.
BLOCK_CHARS = 1 << 18

# Runs of letters and digits, joined by single underscores (so phrases such as new_york that
# `w2v phrases` writes stay one token); stray underscores are separators.
_NOT_PLAIN_RE = re.compile(r"[^A-Za-z0-9 \t\n\r\f\v]")
# Default_Ignorable_Code_Point, from Unicode 15.1's DerivedCoreProperties.txt: characters that
# are not drawn where a renderer does not support them (format controls, variation selectors,
# fillers, tags). Stable across versions (180F joined in 14.0).
_DEFAULT_IGNORABLE = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5),
    (0x180B, 0x180F), (0x200B, 0x200B), (0x200C, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F),
    (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
)
_ZERO_WIDTH_SPACE = (0x200B, 0x200B)  # a word boundary, not removed by the words tokenizer
# The last whitespace character of a string (the fallback cut point of a long line).
_LAST_SPACE_RE = re.compile(r"\s(?=\S*\Z)")

#: Bytes at the start of every file (after decompression) checked for signs that it is not text.
SNIFF_BYTES = 1 << 16

#: Control characters, read as spaces and counted: the C0 controls but tab, line feed, vertical
#: tab, form feed and carriage return (which are whitespace), and DEL.
CONTROL_CHARS = "".join(map(chr, [*range(0x00, 0x09), *range(0x0E, 0x20), 0x7F]))
_CONTROL_BYTES = CONTROL_CHARS.encode("ascii")
_CONTROL_RE = re.compile(f"[{re.escape(CONTROL_CHARS)}]")


@dataclass
class ReadStats:
    """What :func:`iter_sentences` saw while reading, filled in as it reads (all files together).

    Attributes:
        chars: characters read (after decoding and newline translation).
        has_text: whether any character other than whitespace was read.
        replaced_bytes: bytes that were not valid UTF-8 and were read as U+FFFD.
        nul_chars: NUL characters, read as spaces.
        control_chars: the other :data:`CONTROL_CHARS`, read as spaces.
    """

    chars: int = 0
    has_text: bool = False
    replaced_bytes: int = 0
    nul_chars: int = 0
    control_chars: int = 0


def replace_controls(text: str, stats: ReadStats) -> str:
    """``text`` with its :data:`CONTROL_CHARS` read as spaces, counted in ``stats``.

    Text without them costs one fast (memchr-like) search per control character, a few percent
    of what tokenizing it costs.
    """
    if not any(c in text for c in CONTROL_CHARS):
        return text
    nul = text.count("\x00")
    text, n = _CONTROL_RE.subn(" ", text)
    stats.nul_chars += nul
    stats.control_chars += n - nul
    return text


# A codecs error handler that does what "replace" does and counts the bytes it replaces. The
# count is per thread (decoding happens in the thread that reads); readers take its difference
# around each read. It runs only on invalid input, so valid UTF-8 decodes at full speed.
_REPLACED = threading.local()
_ERRORS = "w2vcli-count-replace"


def _count_and_replace(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    _REPLACED.n = getattr(_REPLACED, "n", 0) + (exc.end - exc.start)
    return "\ufffd", exc.end


codecs.register_error(_ERRORS, _count_and_replace)


def _replaced_so_far() -> int:
    return getattr(_REPLACED, "n", 0)


class _HeadFirst(io.BufferedIOBase):
    """A read-only binary stream: the bytes ``head`` (already read from ``stream``), then the rest
    of ``stream``. Lets the start of a pipe or a decompressed file be checked, then read again."""

    def __init__(self, head: bytes, stream: BinaryIO, close_stream: bool = True) -> None:
        super().__init__()
        self._head = head
        self._stream = stream
        self._close_stream = close_stream

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if self._head:
            if size is None or size < 0:
                out, self._head = self._head + self._stream.read(), b""
            else:
                out, self._head = self._head[:size], self._head[size:]
            return out
        return self._stream.read(-1 if size is None else size)

    def read1(self, size: int = -1) -> bytes:
        if self._head:
            return self.read(size)
        read1 = getattr(self._stream, "read1", self._stream.read)
        return read1(size)

    def close(self) -> None:
        if not self.closed:
            try:
                if self._close_stream:
                    self._stream.close()
            finally:
                super().close()


_COMPRESSED = {".gz": ("gzip", gzip.open), ".bz2": ("bzip2", bz2.open), ".xz": ("xz", lzma.open)}

# What to do with a compressed file or archive (recognised by :func:`w2vcli.compression.sniff`)
# under a plain name or on standard input: kind -> (the fix for a file, for standard input).
_UNPACK = {
    "gzip": ("rename it to end in .gz, or decompress it", "pipe it through zcat first"),
    "xz": ("rename it to end in .xz, or decompress it", "pipe it through xzcat first"),
    "bzip2": ("rename it to end in .bz2, or decompress it", "pipe it through bzcat first"),
    "zstd": ("decompress it (zstd -d), or recompress it with gzip, bzip2 or xz",
             "pipe it through zstdcat first"),
    "zip": ("unzip it and pass the text files inside", "unzip it and pass the text files inside"),
}

#: Signatures of binary formats that are never a corpus: (magic, what it is, what to pass).
BINARY_SIGNATURES = (
    (b"\x7fELF", "an ELF executable or library", "pass a text file"),
    (b"\x93NUMPY", "a NumPy array (.npy)", "pass a text file"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image", "pass a text file"),
    (b"\xff\xd8\xff", "a JPEG image", "pass a text file"),
    (b"GIF87a", "a GIF image", "pass a text file"),
    (b"GIF89a", "a GIF image", "pass a text file"),
    (b"%PDF-", "a PDF document", "extract its text first (e.g. with pdftotext)"),
    (b"\x89HDF\r\n\x1a\n", "an HDF5 file", "pass a text file"),
    (b"SQLite format 3\x00", "an SQLite database", "pass a text file"),
)
# word2vec.c's binary vectors format starts with a "V D" line (then words and raw float32s).
_VECTORS_HEADER_RE = re.compile(rb"\A[ \t]*\d+[ \t]+\d+[ \t]*\r?\n")


def _describe(name: str) -> str:
    return "standard input" if name == "-" else f"corpus file {name!r}"


def _not_text(head: bytes, name: str, decompressed: bool) -> str | None:
    """Why ``head`` (a file's first bytes) is not UTF-8 text, as a one-line message, or None."""
    what = _describe(name)
    kind = None if decompressed else compression.sniff(head)
    if kind is not None:
        fix, stdin_fix = _UNPACK[kind]
        return (f"{what} is {compression.describe(kind)}, not text; "
                f"{stdin_fix if name == '-' else fix}")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return (f"{what} is UTF-16 or UTF-32 text (it starts with a byte-order mark); convert it "
                "to UTF-8, e.g. with 'iconv -f UTF-16 -t UTF-8'")
    for magic, kind, fix in BINARY_SIGNATURES:
        if head.startswith(magic):
            if decompressed:
                return f"{what} is {kind} once decompressed, not text; pass compressed text"
            return f"{what} is {kind}, not text; {fix}"
    if b"\x00" in head:
        pairs = len(head) // 2
        even, odd = head[0:2 * pairs:2].count(0), head[1:2 * pairs:2].count(0)
        if pairs >= 8 and max(even, odd) >= 0.9 * pairs and min(even, odd) <= 0.1 * pairs:
            order = "LE" if odd > even else "BE"
            return (f"{what} looks like UTF-16{order} text (every other byte is NUL); convert it "
                    f"to UTF-8, e.g. with 'iconv -f UTF-16{order} -t UTF-8'")
    n = len(head)
    before = _replaced_so_far()
    codecs.utf_8_decode(head, _ERRORS, n < SNIFF_BYTES)  # a short head is the whole file
    invalid = _replaced_so_far() - before
    controls = n - len(head.translate(None, _CONTROL_BYTES))
    mostly_binary = (controls + invalid) * 4 > n
    counts = (f"{controls:,} of its first {n:,} bytes are NUL or other control bytes"
              + (f", {invalid:,} more are not valid UTF-8" if invalid else ""))
    if mostly_binary and _VECTORS_HEADER_RE.match(head):
        return (f"{what} looks like word2vec binary vectors, not a corpus (it starts with a "
                f"'V D' line and {counts}); pass the text to train on")
    if mostly_binary and controls * 16 > n:
        if decompressed:
            return f"{what} looks binary once decompressed ({counts}); pass compressed text"
        return (f"{what} looks binary ({counts}); pass a text file, or a .gz/.bz2/.xz one with "
                "that suffix")
    if invalid >= 16 and invalid * 4 > n:
        return (f"{what} is not UTF-8 text ({invalid:,} of its first {len(head):,} bytes are not "
                "valid UTF-8); convert it to UTF-8 (e.g. with iconv), or pass a text file")
    return None


def _read_problem(name: str, exc: BaseException, kind: str | None,
                  at_start: bool = True) -> CorpusError:
    """The one-line error for a failure while reading a corpus file.

    ``kind`` is the compression the file name promises (None: plain), ``at_start`` whether the
    failure came in the file's first read (a wrong format, rather than damage further on).
    """
    what = _describe(name)
    if isinstance(exc, EOFError):
        return CorpusError(f"{what} is truncated; re-create or re-download it")
    corrupt = isinstance(exc, (zlib.error, lzma.LZMAError)) or (
        isinstance(exc, OSError) and exc.errno is None)  # BadGzipFile, bz2's "Invalid data"
    if kind is not None and corrupt and not at_start:
        return CorpusError(f"{what} is corrupt ({exc}); re-create or re-download it")
    if kind is not None and corrupt:
        return CorpusError(
            f"{what} is not valid {kind} data ({exc}); re-create it, or if it is not "
            f"{kind}-compressed, rename it so that its name does not end in "
            f"{os.path.splitext(name)[1]}"
        )
    if isinstance(exc, OSError):
        return CorpusError(f"cannot read {what}: {exc.strerror or exc}")
    return CorpusError(f"cannot read {what}: {exc}")


class ByteRange(NamedTuple):
    """Bytes ``start`` to ``stop`` (exclusive) of a plain (uncompressed) corpus file: a part of
    a corpus that another reader reads the rest of (the cluster's shards, :mod:`w2vcli.cluster`).

    Wherever a corpus path goes (:func:`open_checked`, :func:`open_text`,
    :func:`iter_sentences`, :func:`w2vcli.encode.count_corpus`,
    :func:`w2vcli.corpus.read_corpus`), a range reads as the file would from ``start`` on,
    ending at ``stop``. A range that starts at byte 0 is checked as the whole file is (its first
    :data:`SNIFF_BYTES`, its byte-order mark skipped); one that starts later is not (the range
    before it holds the file's start). ``os.fspath`` gives the file's path, so messages name the
    file. Cut ranges just after a newline, so that lines are not split.
    """

    path: str
    start: int
    stop: int

    def __fspath__(self) -> str:
        return self.path


class _Bounded(io.RawIOBase):
    """A binary file read from its position for at most ``length`` bytes."""

    def __init__(self, handle: BinaryIO, length: int) -> None:
        super().__init__()
        self._handle = handle
        self._left = max(int(length), 0)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        view = memoryview(buffer).cast("B")
        n = min(len(view), self._left)
        if n <= 0:
            return 0
        got = self._handle.readinto(view[:n]) or 0
        self._left -= got
        return got

    def close(self) -> None:
        if not self.closed:
            try:
                self._handle.close()
            finally:
                super().close()


def open_checked(path: str | os.PathLike) -> tuple[str, str | None, BinaryIO, bytes]:
    """Open a corpus file as bytes, decompressing by file-name suffix, and check that it is text.

    The first step of :func:`open_text`, for readers that want the bytes: ``-`` is standard
    input, and the first :data:`SNIFF_BYTES` bytes (after decompression) are read and checked
    for signs that the file is not text (see the module docstring).

    Returns:
        ``(name, kind, stream, head)``: the path as a string, the compression its suffix names
        (``"gzip"``, ``"bzip2"``, ``"xz"``, or None for a plain file or standard input), the
        open binary stream positioned just after ``head``, and ``head``, the bytes already read
        from it (at most :data:`SNIFF_BYTES`). The caller closes ``stream`` unless it is
        standard input.

    Raises:
        CorpusError: the file is missing, is a directory, cannot be read, is corrupt compressed
            data, or is not text.
    """
    name = os.fspath(path)
    kind = None
    if name == "-":
        stream: BinaryIO = sys.stdin.buffer
    else:
        if os.path.isdir(name):
            raise CorpusError(f"corpus {name!r} is a directory; pass the text files inside it")
        kind, opener = _COMPRESSED.get(os.path.splitext(name)[1].lower(), (None, open))
        if isinstance(path, ByteRange) and kind is not None:
            raise ValueError(f"byte ranges of compressed files cannot be read: {name}")
        try:
            stream = opener(name, "rb")
            if isinstance(path, ByteRange):
                stream.seek(path.start)
                stream = io.BufferedReader(_Bounded(stream, path.stop - path.start))
        except FileNotFoundError:
            raise CorpusError(f"corpus file {name!r} does not exist; check the path") from None
        except PermissionError:
            raise CorpusError(
                f"corpus file {name!r} is not readable; check its permissions"
            ) from None
        except OSError as exc:
            raise CorpusError(f"cannot open corpus file {name!r}: {exc.strerror or exc}") from None
    try:
        head = stream.read(SNIFF_BYTES)
    except (OSError, EOFError, zlib.error, lzma.LZMAError) as exc:
        error = _read_problem(name, exc, kind)
    else:
        if isinstance(path, ByteRange) and path.start > 0:
            return name, kind, stream, head  # the file's start is checked by its own range
        problem = _not_text(head, name, decompressed=kind is not None)
        error = None if problem is None else CorpusError(problem)
    if error is not None:
        if name != "-":
            stream.close()
        raise error
    return name, kind, stream, head


def open_text(path: str | os.PathLike) -> IO[str]:
    """Open a corpus file for reading as UTF-8 text, decompressing by file-name suffix.

    ``-`` is standard input. The first :data:`SNIFF_BYTES` bytes (after decompression) are
    checked for signs that the file is not text (see the module docstring). Invalid UTF-8 is
    decoded with U+FFFD replacement characters rather than failing (counted by
    :func:`iter_sentences`). ``\\r\\n`` and ``\\r`` line ends are read as ``\\n`` (universal
    newlines); a UTF-8 byte-order mark at the start is skipped.

    Raises:
        CorpusError: the file is missing, is a directory, cannot be read, is corrupt compressed
            data, or is not text.
    """
    name, _, stream, head = open_checked(path)
    # A byte-order mark is skipped at a file's start only, not where a later range starts.
    encoding = "utf-8" if isinstance(path, ByteRange) and path.start > 0 else "utf-8-sig"
    return io.TextIOWrapper(_HeadFirst(head, stream, close_stream=name != "-"),
                            encoding=encoding, errors=_ERRORS)


def read_error(name: str, exc: BaseException) -> CorpusError:
    """The one-line error for ``exc``, raised while reading corpus file ``name`` past its start."""
    kind = _COMPRESSED.get(os.path.splitext(name)[1].lower(), (None,))[0]
    kind = None if name == "-" else kind
    return _read_problem(name, exc, kind, at_start=False)


#: What reading a corpus stream can raise (turned into a CorpusError by :func:`read_error`).
READ_ERRORS = (OSError, EOFError, zlib.error, lzma.LZMAError)


def _char_class(ranges: Sequence[tuple[int, int]]) -> str:
    """The inside of a regular-expression character class for code point ranges."""
    return "".join(f"\\U{a:08x}" + (f"-\\U{b:08x}" if b != a else "") for a, b in ranges)


def _ranges(code_points: Sequence[int]) -> list[tuple[int, int]]:
    """Sorted code points as (first, last) ranges of consecutive ones."""
    ranges: list[tuple[int, int]] = []
    for c in code_points:
        if ranges and c == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], c)
        else:
            ranges.append((c, c))
    return ranges


@functools.lru_cache(maxsize=1)
def _mark_ranges() -> list[tuple[int, int]]:
    """The combining marks (Unicode category M) of this Python's Unicode version that are not
    default-ignorable (variation selectors are marks too), as ranges."""
    ignorable = {c for a, b in _DEFAULT_IGNORABLE for c in range(a, b + 1)}
    return _ranges([c for c in range(sys.maxunicode + 1)
                    if unicodedata.category(chr(c))[0] == "M" and c not in ignorable])


def _ignorable_class(but_zero_width_space: bool = False) -> str:
    """Default-ignorable code points (all, or all but U+200B) for a character class."""
    return _char_class([r for r in _DEFAULT_IGNORABLE
                        if not (but_zero_width_space and r == _ZERO_WIDTH_SPACE)])


@functools.lru_cache(maxsize=1)
def _invisible_re() -> re.Pattern:
    """One or more combining marks and default-ignorable code points (for ``fullmatch``)."""
    return re.compile(f"[{_char_class(_mark_ranges())}{_ignorable_class()}]+")


@functools.lru_cache(maxsize=1)
def _removed_re() -> re.Pattern:
    """What the ``words`` tokenizer removes: default-ignorable code points but U+200B."""
    return re.compile(f"[{_ignorable_class(but_zero_width_space=True)}]+")


def is_invisible(token: str) -> bool:
    """Whether ``token`` is non-empty and made only of combining marks (Unicode category M) and
    default-ignorable code points (variation selectors, zero-width characters, format controls,
    fillers, tags): a string that draws as nothing, or as a mark on nothing. The tokenizers never
    emit one."""
    return _invisible_re().fullmatch(token) is not None


@functools.lru_cache(maxsize=1)
def word_pattern() -> re.Pattern:
    """The ``words`` tokenizer's token: a letter or digit and the letters, digits and combining
    marks after it, parts joined by single underscores.

    Combining marks (Unicode category M: Devanagari vowel signs, decomposed accents) belong to
    the word they sit in; Python's ``\\w`` leaves them out, which would cut ``हिन्दी`` into
    consonants. A mark with no letter or digit before it is no word. Default-ignorable code
    points (variation selectors are marks too) are no word characters here; the tokenizer
    removes all of them but U+200B before matching (see the module docstring), so that they do
    not cut words. Built once per process (about 0.3 s).
    """
    char = rf"[^\W_{_ignorable_class()}]"  # a letter or digit (Hangul fillers are letters too)
    more = rf"(?:{char}|[{_char_class(_mark_ranges())}])*"
    return re.compile(rf"{char}{more}(?:_{char}{more})*")


def make_tokenizer(kind: str = "words", lowercase: bool | None = None) -> Callable[[str], list[str]]:
    """Return a function that maps a string to its list of tokens.

    Args:
        kind: ``"words"`` or ``"whitespace"`` (see the module docstring).
        lowercase: fold case; ``None`` means the tokenizer's default (``words``: yes,
            ``whitespace``: no).

    Raises:
        ValueError: unknown tokenizer kind.
    """
    if kind not in TOKENIZERS:
        raise ValueError(f"unknown tokenizer {kind!r}; choose one of {', '.join(TOKENIZERS)}")
    if lowercase is None:
        lowercase = kind == "words"
    if kind == "words":
        findall = word_pattern().findall
        search_other = _NOT_PLAIN_RE.search
        remove = _removed_re().sub
        normalize = unicodedata.normalize

        def words(text: str) -> list[str]:
            if lowercase:
                text = text.lower()
            # Fast path: plain ASCII letters, digits and spaces split the same way, 2.5x faster.
            if not search_other(text):
                return text.split()
            # Invisible format characters out, then the composed form, so that a decomposed
            # "naïve" and a composed one are one word.
            return findall(normalize("NFC", remove("", text)))

        words.spec = ("words", lowercase)  # type: ignore[attr-defined]
        return words

    def whitespace(text: str) -> list[str]:
        if lowercase:
            text = text.lower()
        tokens = text.split()
        if text.isascii():  # no marks, no default-ignorables: the common case, at split's speed
            return tokens
        invisible = _invisible_re()
        if not invisible.search(text):
            return tokens
        return [t for t in tokens if not invisible.fullmatch(t)]

    whitespace.spec = ("whitespace", lowercase)  # type: ignore[attr-defined]
    return whitespace


def tokenizer_spec(tokenizer: Callable[[str], list[str]]) -> tuple[str, bool] | None:
    """``(kind, lowercase)`` of a tokenizer made by :func:`make_tokenizer`, None for any other.

    Lets a reader that tokenizes bytes itself (:mod:`w2vcli.encode`) do exactly what the
    function would do on pure-ASCII text (it hands every other line to the function itself);
    an unknown function is only ever called. ``str.split`` counts as ``("whitespace", False)``.
    """
    if tokenizer is str.split:
        return ("whitespace", False)
    spec = getattr(tokenizer, "spec", None)
    return spec if isinstance(spec, tuple) else None


def read_batches(handle: IO[str], block_chars: int = BLOCK_CHARS,
                 stats: ReadStats | None = None) -> Iterator[tuple[str, bool]]:
    """Yield ``(text, last_complete)`` batches of lines of a text stream, in bounded memory.

    ``handle`` is read ``block_chars`` characters at a time and each read gives one batch:
    ``text.split("\\n")`` are its lines, every one complete except the last, which is a complete
    line if ``last_complete`` and otherwise a piece of a line that goes on in the next batch (an
    empty last element, when ``text`` ends with a newline, is no line). A line grows over several
    reads until it is ``block_chars`` characters or longer; then it is cut at its last space or
    tab (else at its last whitespace character, else where the read ended), so no token is
    split unless a single run of non-whitespace is ``block_chars`` characters or longer. Control
    characters (:data:`CONTROL_CHARS`) are read as spaces. ``stats``, if given, is updated as
    blocks are read.

    This is the one place where a stream is cut into lines and pieces: :func:`_read_blocks`
    (line by line) and the compiled reader in :mod:`w2vcli.encode` (batch by batch) both use it.
    """
    if stats is None:
        stats = ReadStats()
    tail = ""
    while True:
        before = _replaced_so_far()
        block = handle.read(block_chars)
        stats.replaced_bytes += _replaced_so_far() - before
        if not block:
            break
        block = replace_controls(block, stats)
        stats.chars += len(block)
        if not stats.has_text and not block.isspace():
            stats.has_text = True
        block = tail + block
        end = block.rfind("\n") + 1
        head, tail = block[:end], block[end:]
        if len(tail) >= block_chars:
            cut = max(tail.rfind(" "), tail.rfind("\t"))
            if cut <= 0:
                found = _LAST_SPACE_RE.search(tail)
                cut = found.start() if found is not None else 0
            if cut <= 0:
                cut = len(tail)
            yield head + tail[:cut], False
            tail = tail[cut:]
        elif head:
            yield head, True
    if tail:
        yield tail, True


def _read_blocks(handle: IO[str], block_chars: int,
                 stats: ReadStats | None = None) -> Iterator[tuple[str, bool]]:
    """Yield ``(text, line_complete)`` pieces of a stream in bounded memory.

    Each complete line is yielded on its own with ``line_complete=True`` (without its newline). A
    line longer than ``block_chars`` comes as several pieces, each but the last with
    ``line_complete=False``; pieces break at whitespace, so no token is split unless a single run
    of non-whitespace is ``block_chars`` characters or longer (see :func:`read_batches`).
    Control characters are read as spaces. ``stats``, if given, is updated as blocks are read.
    """
    for text, last_complete in read_batches(handle, block_chars, stats):
        lines = text.split("\n")
        last = lines.pop()
        for line in lines:
            yield line, True
        if last:
            yield last, last_complete


def iter_sentences(
    paths: Sequence[str | os.PathLike],
    tokenizer: Callable[[str], list[str]],
    max_sentence_length: int = 10000,
    block_chars: int = BLOCK_CHARS,
    stats: ReadStats | None = None,
) -> Iterator[list[str]]:
    """Stream the sentences of one or more corpus files as lists of tokens.

    Every line gives one or more sentences: its tokens cut into consecutive pieces of at most
    ``max_sentence_length`` tokens. Lines with no tokens give nothing.

    Args:
        stats: if given, filled in while reading (characters read, bytes of invalid UTF-8
            replaced, control characters read as spaces); complete once the iterator is
            exhausted.

    Raises:
        CorpusError: a file cannot be opened or read, is corrupt or truncated compressed data, or
            is not text (see :func:`open_text`).
        ValueError: ``max_sentence_length < 1``.
    """
    if max_sentence_length < 1:
        raise ValueError("max_sentence_length must be at least 1")
    if block_chars < 1:
        raise ValueError("block_chars must be at least 1")
    if stats is None:
        stats = ReadStats()
    for path in paths:
        name = os.fspath(path)
        handle = open_text(path)
        try:
            pending: list[str] = []
            for text, complete in _read_blocks(handle, block_chars, stats):
                tokens = tokenizer(text)
                if pending:
                    tokens = pending + tokens
                    pending = []
                start = 0
                while len(tokens) - start > max_sentence_length:
                    yield tokens[start : start + max_sentence_length]
                    start += max_sentence_length
                rest = tokens[start:] if start else tokens
                if complete:
                    if rest:
                        yield rest
                else:
                    pending = rest
            if pending:
                yield pending
        except READ_ERRORS as exc:
            raise read_error(name, exc) from None
        finally:
            handle.close()
