"""Recognising compressed files by their first bytes, and reading them decompressed.

Published vectors come gzipped (``cc.en.300.vec.gz``, ``GoogleNews-vectors-negative300.bin.gz``)
and files get renamed, so the readers of vectors and vocabulary files go by a file's signature,
never by its name: :func:`sniff` names the compression a file starts with and :func:`open_bytes`
opens a file decompressed if it is gzip, bzip2 or xz. zstd and zip are recognised too, so that a
reader can say what the file is and how to unpack it (:data:`UNPACK`), but not read.

Corpora are read by suffix instead (:mod:`w2vcli.tokenize`, which uses :func:`sniff` to explain a
compressed file under a plain name), because standard input and the compiled reader's raw file
reading need the kind before they see a byte.

Standard library only; nothing here prints or raises a user-facing error of its own: readers
turn what happens into their own one-line messages (see :func:`is_damage`).
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import lzma
import os
import re
import zlib
from collections.abc import Callable, Iterator
from typing import BinaryIO

__all__ = ["HEAD_BYTES", "READABLE", "READ_ERRORS", "UNPACK", "UnsupportedCompression",
           "describe", "is_damage", "open_bytes", "sniff"]

#: Bytes of a file's start that :func:`sniff` needs to see.
HEAD_BYTES = 16

#: Compressions read through a decompressor: kind -> ``open(fileobj, "rb")``.
READABLE: dict[str, Callable[..., BinaryIO]] = {"gzip": gzip.open, "bzip2": bz2.open,
                                                 "xz": lzma.open}

#: Packed formats recognised but not read: kind -> what to do with such a file.
UNPACK = {
    "zstd": "decompress it first (zstd -d), or recompress it with gzip, bzip2 or xz",
    "zip": "unzip it and pass the file inside",
}

#: What reading a (possibly decompressed) stream can raise: operating-system errors and damaged
#: or truncated compressed data (told apart by :func:`is_damage`).
READ_ERRORS = (OSError, EOFError, zlib.error, lzma.LZMAError)

_SIGNATURES = (
    (b"\x1f\x8b", "gzip"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"BZh", "bzip2"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"PK\x03\x04", "zip"),
)
# "BZh" alone could begin a word: a bzip2 stream goes on with a block size and the signature of
# a block (or of the end of an empty stream).
_BZIP2_RE = re.compile(rb"BZh[1-9](1AY&SY|\x17rE8P\x90)")


class UnsupportedCompression(Exception):
    """A file is zstd-compressed or a zip archive (``kind``): recognised, but not read."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def sniff(head: bytes) -> str | None:
    """The compression a file whose first bytes are ``head`` uses, from its signature.

    Returns ``"gzip"``, ``"bzip2"``, ``"xz"``, ``"zstd"``, ``"zip"``, or None for anything else
    (plain text, word2vec binary, ...). ``head`` should be the first :data:`HEAD_BYTES` bytes
    (fewer only if the file is shorter).
    """
    for magic, kind in _SIGNATURES:
        if head.startswith(magic) and (kind != "bzip2" or _BZIP2_RE.match(head)):
            return kind
    return None


def describe(kind: str) -> str:
    """What a file of that kind is, for messages: ``"gzip-compressed"``, ..., ``"a zip
    archive"``."""
    return "a zip archive" if kind == "zip" else f"{kind}-compressed"


def is_damage(exc: BaseException) -> bool:
    """Whether ``exc``, raised while reading a decompressed stream, means damaged or truncated
    compressed data (``EOFError``, ``zlib.error``, ``lzma.LZMAError``, or an ``OSError`` without
    an errno such as ``gzip.BadGzipFile`` and bz2's "Invalid data stream") rather than an
    operating-system error."""
    if isinstance(exc, (EOFError, zlib.error, lzma.LZMAError)):
        return True
    return isinstance(exc, OSError) and exc.errno is None


@contextlib.contextmanager
def open_bytes(path: str | os.PathLike) -> Iterator[tuple[BinaryIO, str | None]]:
    """Open ``path`` for reading bytes, decompressed if it starts with a gzip, bzip2 or xz
    signature.

    Yields ``(stream, kind)``: ``kind`` is ``"gzip"``, ``"bzip2"``, ``"xz"`` or None (a file
    read as it is). The stream is closed when the block ends.

    Raises:
        OSError: the file cannot be opened or read (``FileNotFoundError``,
            ``IsADirectoryError``, ...); also, from the reads in the block, damaged compressed
            data (see :func:`is_damage`).
        EOFError, zlib.error, lzma.LZMAError: from the reads in the block: truncated or damaged
            compressed data.
        UnsupportedCompression: the file is zstd-compressed or a zip archive.
    """
    with open(path, "rb") as raw:
        kind = sniff(raw.peek(HEAD_BYTES)[:HEAD_BYTES])  # peek: a pipe cannot seek back
        if kind is None:
            yield raw, None
            return
        if kind not in READABLE:
            raise UnsupportedCompression(kind)
        with READABLE[kind](raw, "rb") as stream:
            yield stream, kind
