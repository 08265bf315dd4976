"""Reading corpora and splitting them into sentences of tokens.

A corpus is one or more files (plain text, ``.gz``, ``.bz2``, ``.xz``) or ``-`` for standard
input; one line is one sentence. Files are read in blocks, never whole lines, so a single line of
hundreds of MB (text8 is one 100 MB line) streams in bounded memory. A line longer than
``max_sentence_length`` tokens is cut into consecutive pieces of at most that many tokens, and
nothing is dropped (gensim silently truncates such lines to 10,000 words; word2vec.c cuts them
into 1,000-word sentences, which is what we do too, at a length you choose).

Two tokenizers:

``words`` (default)
    lowercases (unless ``lowercase=False``) and keeps maximal runs of Unicode letters and digits,
    joined by single underscores so that phrases stay whole: ``"Troll2 is great!"`` gives
    ``["troll2", "is", "great"]`` and ``"New_York rocks_"`` gives ``["new_york", "rocks"]``.
``whitespace``
    splits on whitespace and keeps tokens verbatim, like word2vec.c and gensim's LineSentence;
    it lowercases only if ``lowercase=True`` is asked for.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import IO

from w2vcli.errors import CorpusError

TOKENIZERS = ("words", "whitespace")

#: Characters read per block; bounds memory for files with very long lines.
BLOCK_CHARS = 1 << 18

# Runs of letters and digits, joined by single underscores (so phrases such as new_york that
# `w2v phrases` writes stay one token); stray underscores are separators.
_WORD_RE = re.compile(r"[^\W_]+(?:_[^\W_]+)*")
_NOT_PLAIN_RE = re.compile(r"[^A-Za-z0-9 \t\n\r\f\v]")


def open_text(path: str | os.PathLike) -> IO[str]:
    """Open a corpus file for reading as UTF-8 text, decompressing by file-name suffix.

    ``-`` is standard input. Invalid UTF-8 is decoded with U+FFFD replacement characters rather
    than failing. ``\\r\\n`` and ``\\r`` line ends are read as ``\\n`` (universal newlines).

    Raises:
        CorpusError: the file is missing, is a directory, or cannot be read.
    """
    name = os.fspath(path)
    if name == "-":
        return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace")
    if os.path.isdir(name):
        raise CorpusError(f"corpus {name!r} is a directory; pass the text files inside it")
    openers: dict[str, Callable[..., IO[str]]] = {
        ".gz": gzip.open,
        ".bz2": bz2.open,
        ".xz": lzma.open,
    }
    opener = openers.get(os.path.splitext(name)[1].lower(), open)
    try:
        return opener(name, "rt", encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise CorpusError(f"corpus file {name!r} does not exist; check the path") from None
    except PermissionError:
        raise CorpusError(f"corpus file {name!r} is not readable; check its permissions") from None
    except OSError as exc:
        raise CorpusError(f"cannot open corpus file {name!r}: {exc.strerror or exc}") from None


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
        findall = _WORD_RE.findall
        search_other = _NOT_PLAIN_RE.search

        def words(text: str) -> list[str]:
            if lowercase:
                text = text.lower()
            # Fast path: plain ASCII letters, digits and spaces split the same way, 2.5x faster.
            return findall(text) if search_other(text) else text.split()

        return words
    if lowercase:
        return lambda text: text.lower().split()
    return str.split


def _read_blocks(handle: IO[str], block_chars: int) -> Iterator[tuple[str, bool]]:
    """Yield ``(text, line_complete)`` pieces of a stream in bounded memory.

    Each complete line is yielded on its own with ``line_complete=True`` (without its newline). A
    line longer than ``block_chars`` comes as several pieces, each but the last with
    ``line_complete=False``; pieces break at whitespace where possible so no token is split.
    """
    tail = ""
    while True:
        block = handle.read(block_chars)
        if not block:
            break
        block = tail + block
        lines = block.split("\n")
        tail = lines.pop()
        for line in lines:
            yield line, True
        if len(tail) >= block_chars:
            cut = max(tail.rfind(" "), tail.rfind("\t"))
            if cut <= 0:
                cut = len(tail)
            yield tail[:cut], False
            tail = tail[cut:]
    if tail:
        yield tail, True


def iter_sentences(
    paths: Sequence[str | os.PathLike],
    tokenizer: Callable[[str], list[str]],
    max_sentence_length: int = 10000,
    block_chars: int = BLOCK_CHARS,
) -> Iterator[list[str]]:
    """Stream the sentences of one or more corpus files as lists of tokens.

    Every line gives one or more sentences: its tokens cut into consecutive pieces of at most
    ``max_sentence_length`` tokens. Lines with no tokens give nothing.

    Raises:
        CorpusError: a file cannot be opened or read (see :func:`open_text`).
        ValueError: ``max_sentence_length < 1``.
    """
    if max_sentence_length < 1:
        raise ValueError("max_sentence_length must be at least 1")
    for path in paths:
        handle = open_text(path)
        try:
            pending: list[str] = []
            for text, complete in _read_blocks(handle, block_chars):
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
        except OSError as exc:
            raise CorpusError(f"cannot read corpus file {os.fspath(path)!r}: {exc}") from None
        except EOFError:
            raise CorpusError(
                f"corpus file {os.fspath(path)!r} is truncated; re-create or re-download it"
            ) from None
        finally:
            if os.fspath(path) != "-":
                handle.close()


def count_tokens(sentences: Iterable[Sequence[str]]) -> int:
    """Total number of tokens in an iterable of sentences."""
    return sum(len(s) for s in sentences)
