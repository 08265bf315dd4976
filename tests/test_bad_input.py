"""Bad input never crashes and never loses work: one line naming the problem and the fix, exit 1.

Corpus files (missing, empty, unreadable, a directory, no tokens, binary, not UTF-8, corrupt
compressed data), invalid UTF-8 (replaced and counted), line ends, very long lines and tokens,
malformed vectors files and bad query words, through the library and through ``w2v`` (click's
CliRunner), with the exact message texts.
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import io
import lzma
import os
import random
import sys
import tracemalloc

import numpy as np
import pytest
from conftest import assert_one_line_error, random_text, run_cli as run, write_vectors
from w2vcli.corpus import read_corpus
from w2vcli.errors import CorpusError
from w2vcli.io import load_word2vec_format
from w2vcli.tokenize import (SNIFF_BYTES, ReadStats, iter_sentences, make_tokenizer,
                             open_text)

WORDS = "cat dog horse cow sheep red green blue yellow purple".split()


def sentences(path, kind="words", **kwargs):
    return list(iter_sentences([path], make_tokenizer(kind), **kwargs))


def text_corpus(n_lines: int = 200, seed: int = 0) -> str:
    return random_text(WORDS, n_lines, seed=seed)


def train_args(corpus, out, *extra):
    return ("train", corpus, "-o", out, "--dim", "8", "--min-count", "1", "--epochs", "1",
            "--threads", "1", "--sample", "0", "--neg", "2", *extra)


# -- corpus files that cannot be read or are not text: the CLI message, exactly -----------------


RANDOM_BYTES = random.Random(0).randbytes(3000)
HIGH_BYTES = bytes(random.Random(1).randrange(0x80, 0x100) for _ in range(1000))
#: The control bytes, listed here independently of w2vcli.tokenize.CONTROL_CHARS: C0 but tab,
#: line feed, vertical tab, form feed and carriage return, and DEL.
CONTROL = bytes([*range(0x00, 0x09), *range(0x0E, 0x20), 0x7F])
#: word2vec.c binary vectors: a "V D" line, then each word, a space and D raw float32s.
BINARY_VECTORS = b"3 5\n" + b"".join(
    w + b" " + np.random.default_rng(2).standard_normal(5).astype(np.float32).tobytes()
    for w in (b"cat", b"dog", b"cow"))


def controls(data: bytes) -> int:
    return sum(b in CONTROL for b in data)


def invalid_utf8(data: bytes) -> int:
    """Bytes a one-shot decode replaces."""
    replaced = []

    def count(exc):
        replaced.append(exc.end - exc.start)
        return "\ufffd", exc.end

    codecs.register_error("test-bad-input-count", count)
    data.decode("utf-8", "test-bad-input-count")
    return sum(replaced)


def looks_binary(data: bytes, fix: str = "pass a text file, or a .gz/.bz2/.xz one with that "
                 "suffix", what: str = "looks binary") -> str:
    """The message for mostly binary ``data``, with its counts."""
    invalid = invalid_utf8(data)
    more = f", {invalid:,} more are not valid UTF-8" if invalid else ""
    return (f"{what} ({controls(data):,} of its first {len(data):,} bytes are NUL or other "
            f"control bytes{more}); {fix}")


def _gzip_name(path):
    return path.with_suffix(".gz")


BAD_CORPORA = [
    # (id, file name, bytes, message with {path} for the path as given)
    ("empty", "e.txt", b"",
     "the corpus ({path}) is empty; pass a text file with one sentence per line"),
    ("whitespace-only", "w.txt", b"  \n\t\n\r\n \x0b\n",
     "the corpus ({path}) has no tokens, only whitespace; pass a text file with one sentence per "
     "line"),
    ("punctuation-only", "p.txt", b"!!! ... ?\n-- ,;\n",
     "the corpus ({path}) has no tokens; check the file, or try --tokenizer whitespace if it is "
     "not made of letters and digits"),
    ("random-bytes", "r.bin", RANDOM_BYTES, "corpus file '{path}' " + looks_binary(RANDOM_BYTES)),
    ("zeros", "z.txt", bytes(5000),
     "corpus file '{path}' looks binary (5,000 of its first 5,000 bytes are NUL or other control "
     "bytes); pass a text file, or a .gz/.bz2/.xz one with that suffix"),
    ("text-with-a-zero-filled-tail", "t.txt", b"hello world\n" * 10 + bytes(400),
     "corpus file '{path}' looks binary (400 of its first 520 bytes are NUL or other control "
     "bytes); pass a text file, or a .gz/.bz2/.xz one with that suffix"),
    ("over-a-quarter-control", "q.txt", b"ab\x01" * 100,
     "corpus file '{path}' looks binary (100 of its first 300 bytes are NUL or other control "
     "bytes); pass a text file, or a .gz/.bz2/.xz one with that suffix"),
    ("word2vec-binary-vectors", "vectors.bin", BINARY_VECTORS,
     "corpus file '{path}' " + looks_binary(
         BINARY_VECTORS, "pass the text to train on",
         "looks like word2vec binary vectors, not a corpus").replace(
             " (", " (it starts with a 'V D' line and ", 1)),
    ("elf", "a.txt", b"\x7fELF\x02\x01\x01\x00" + bytes(100),
     "corpus file '{path}' is an ELF executable or library, not text; pass a text file"),
    ("npy", "a.txt", b"\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False}",
     "corpus file '{path}' is a NumPy array (.npy), not text; pass a text file"),
    ("png", "a.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
     "corpus file '{path}' is a PNG image, not text; pass a text file"),
    ("pdf", "a.txt", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n",
     "corpus file '{path}' is a PDF document, not text; extract its text first (e.g. with "
     "pdftotext)"),
    ("not-utf8", "latin.txt", HIGH_BYTES,
     "corpus file '{path}' is not UTF-8 text (1,000 of its first 1,000 bytes are not valid "
     "UTF-8); convert it to UTF-8 (e.g. with iconv), or pass a text file"),
    ("utf16-bom", "u16.txt", "hello world\n".encode("utf-16"),
     "corpus file '{path}' is UTF-16 or UTF-32 text (it starts with a byte-order mark); convert "
     "it to UTF-8, e.g. with 'iconv -f UTF-16 -t UTF-8'"),
    ("utf16le-no-bom", "u16le.txt", "hello world, hello\n".encode("utf-16-le"),
     "corpus file '{path}' looks like UTF-16LE text (every other byte is NUL); convert it to "
     "UTF-8, e.g. with 'iconv -f UTF-16LE -t UTF-8'"),
    ("gzip-as-txt", "g.txt", gzip.compress(b"hello world\n"),
     "corpus file '{path}' is gzip-compressed, not text; rename it to end in .gz, or decompress "
     "it"),
    ("xz-as-txt", "x.txt", lzma.compress(b"hello world\n"),
     "corpus file '{path}' is xz-compressed, not text; rename it to end in .xz, or decompress it"),
    ("bz2-as-txt", "b.txt", bz2.compress(b"hello world\n"),
     "corpus file '{path}' is bzip2-compressed, not text; rename it to end in .bz2, or "
     "decompress it"),
    ("zip", "z.txt", b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(20),
     "corpus file '{path}' is a zip archive, not text; unzip it and pass the text files inside"),
    ("text-as-gz", "t.gz", b"hello world\n",
     "corpus file '{path}' is not valid gzip data (Not a gzipped file (b'he')); re-create it, or "
     "if it is not gzip-compressed, rename it so that its name does not end in .gz"),
    ("text-as-xz", "t.xz", b"hello world\n",
     "corpus file '{path}' is not valid xz data (Input format not supported by decoder); "
     "re-create it, or if it is not xz-compressed, rename it so that its name does not end in "
     ".xz"),
    ("text-as-bz2", "t.bz2", b"hello world\n",
     "corpus file '{path}' is not valid bzip2 data (Invalid data stream); re-create it, or if it "
     "is not bzip2-compressed, rename it so that its name does not end in .bz2"),
    ("truncated-gz", "cut.gz", gzip.compress(text_corpus().encode())[:200],
     "corpus file '{path}' is truncated; re-create or re-download it"),
    ("binary-in-gz", "bin.gz", gzip.compress(b"\x7fELF\x02\x01\x01\x00" + bytes(100)),
     "corpus file '{path}' is an ELF executable or library once decompressed, not text; pass "
     "compressed text"),
    ("controls-in-gz", "ctl.gz", gzip.compress(bytes(range(32)) * 10),
     "corpus file '{path}' looks binary once decompressed (270 of its first 320 bytes are NUL "
     "or other control bytes); pass compressed text"),
]


@pytest.mark.parametrize("name,data,message", [c[1:] for c in BAD_CORPORA],
                         ids=[c[0] for c in BAD_CORPORA])
def test_bad_corpus_file_cli(tmp_path, monkeypatch, name, data, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / name).write_bytes(data)
    result = run("train", name, "-o", "v.txt")
    assert_one_line_error(result, message.format(path=name))
    assert os.listdir(tmp_path) == [name]  # no vectors file, no temporary file left behind


@pytest.mark.parametrize("name,data,message", [c[1:] for c in BAD_CORPORA],
                         ids=[c[0] for c in BAD_CORPORA])
def test_bad_corpus_file_library(tmp_path, name, data, message):
    path = tmp_path / name
    path.write_bytes(data)
    (tmp_path / "work").mkdir()
    with pytest.raises(CorpusError) as info:
        read_corpus([path], make_tokenizer(), min_count=1, directory=tmp_path / "work")
    assert str(info.value) == message.format(path=path)
    assert os.listdir(tmp_path / "work") == []


def test_missing_corpus_and_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert_one_line_error(run("train", "nope.txt"),
                          "corpus file 'nope.txt' does not exist; check the path")
    os.mkdir("texts")
    assert_one_line_error(run("train", "texts"),
                          "corpus 'texts' is a directory; pass the text files inside it")
    assert sorted(os.listdir(tmp_path)) == ["texts"]


def test_compressed_file_damaged_further_on(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = bytearray(gzip.compress(text_corpus(60000).encode()))
    assert len(data) > 4 * SNIFF_BYTES
    data[len(data) // 2 : len(data) // 2 + 40] = bytes(40)
    (tmp_path / "c.gz").write_bytes(bytes(data))
    result = run("train", "c.gz", "-o", "v.txt")
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert result.output.startswith("Error: corpus file 'c.gz' is corrupt (")
    assert result.output.endswith("); re-create or re-download it\n")
    assert result.output.count("\n") == 1
    assert os.listdir(tmp_path) == ["c.gz"]


def test_one_bad_file_among_good_ones_names_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "good.txt").write_text(text_corpus())
    (tmp_path / "bad.txt").write_bytes(b"\x00\x01\x02")
    assert_one_line_error(
        run("train", "good.txt", "bad.txt", "-o", "v.txt"),
        "corpus file 'bad.txt' looks binary (3 of its first 3 bytes are NUL or other control "
        "bytes); pass a text file, or a .gz/.bz2/.xz one with that suffix",
    )
    assert not (tmp_path / "v.txt").exists()


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="running as root: chmod 000 does not stop root from reading")
def test_unreadable_corpus_chmod_000(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "secret.txt").write_text(text_corpus())
    os.chmod(tmp_path / "secret.txt", 0)
    try:
        assert_one_line_error(run("train", "secret.txt"),
                              "corpus file 'secret.txt' is not readable; check its permissions")
    finally:
        os.chmod(tmp_path / "secret.txt", 0o644)


def test_unreadable_corpus_simulated(tmp_path, monkeypatch):
    """The same as chmod 000, for a run as root: opening the file raises PermissionError."""
    import w2vcli.tokenize

    monkeypatch.chdir(tmp_path)
    (tmp_path / "secret.txt").write_text(text_corpus())

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(w2vcli.tokenize, "open", refuse, raising=False)
    assert_one_line_error(run("train", "secret.txt"),
                          "corpus file 'secret.txt' is not readable; check its permissions")


def test_read_error_midway_is_one_line(tmp_path, monkeypatch):
    """An I/O error after the start of the file (a failing disk, a vanished network share)."""
    import w2vcli.tokenize

    path = tmp_path / "c.txt"
    path.write_text(text_corpus(20000))

    class Failing(io.FileIO):
        def readinto(self, b):
            if self.tell() >= 1 << 17:
                raise OSError(5, "Input/output error")
            return super().readinto(b)

    def flaky(name, mode="r", *args, **kwargs):
        assert mode == "rb"
        return io.BufferedReader(Failing(name, "rb"))

    monkeypatch.setattr(w2vcli.tokenize, "open", flaky, raising=False)
    with pytest.raises(CorpusError) as info:
        read_corpus([path], make_tokenizer(), min_count=1)
    assert str(info.value) == f"cannot read corpus file '{path}': Input/output error"


def test_binary_stdin(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert_one_line_error(
        run("train", "-", "-o", "v.txt", input=bytes(range(9)) * 10),
        "standard input looks binary (90 of its first 90 bytes are NUL or other control bytes); "
        "pass a text file, or a .gz/.bz2/.xz one with that suffix",
    )
    assert_one_line_error(
        run("train", "-", "-o", "v.txt", input=gzip.compress(b"hello world\n")),
        "standard input is gzip-compressed, not text; pipe it through zcat first",
    )
    assert_one_line_error(run("train", "-", "-o", "v.txt", input=b""),
                          "the corpus (-) is empty; pass a text file with one sentence per line")
    assert os.listdir(tmp_path) == []


# -- what is read, and how -----------------------------------------------------------------------


def test_digits_are_tokens(tmp_path):
    assert make_tokenizer("words")("Route 66, 1984! 3.14 2nd") == ["route", "66", "1984", "3",
                                                                     "14", "2nd"]
    path = tmp_path / "digits.txt"
    path.write_text("1 22 333 1 22 1\n")
    vocab, corpus = read_corpus([path], make_tokenizer("words"), min_count=1)
    assert vocab.words == ["1", "22", "333"] and corpus.raw_tokens == 6


@pytest.mark.parametrize("suffix,compress", [(".gz", gzip.compress), (".bz2", bz2.compress),
                                             (".xz", lzma.compress)])
def test_compressed_files_larger_than_the_sniffed_head(tmp_path, suffix, compress):
    """Decompression comes before the text check, and the checked head is read again whole."""
    text = text_corpus(5000)
    assert len(text.encode()) > 2 * SNIFF_BYTES
    plain = tmp_path / "c.txt"
    plain.write_text(text)
    packed = tmp_path / f"c.txt{suffix}"
    packed.write_bytes(compress(text.encode()))
    expected = sentences(plain)
    assert len(expected) == 5000
    assert sentences(packed) == expected


def test_stdin_larger_than_the_sniffed_head(monkeypatch):
    text = text_corpus(3000)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    got = list(iter_sentences(["-"], make_tokenizer()))
    assert got == [line.split() for line in text.splitlines()]


def test_utf8_bom_is_skipped(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbfhello world\nbye\n")
    assert sentences(path, "whitespace") == [["hello", "world"], ["bye"]]


def test_invalid_utf8_is_replaced_and_counted(tmp_path):
    path = tmp_path / "bad.txt"
    # \xff and \xfe: one byte each; \xe2\x82 is a cut 3-byte sequence (one U+FFFD, 2 bytes).
    path.write_bytes(b"good \xff\xfe word\ncaf\xe9 ok \xe2\x82\n")
    stats = ReadStats()
    got = list(iter_sentences([path], make_tokenizer("whitespace"), stats=stats))
    assert got == [["good", "\ufffd\ufffd", "word"], ["caf\ufffd", "ok", "\ufffd"]]
    assert stats.replaced_bytes == 5
    _, corpus = read_corpus([path], make_tokenizer("whitespace"), min_count=1)
    assert corpus.replaced_bytes == 5


def test_replaced_bytes_are_counted_exactly_across_blocks_and_files(tmp_path):
    rng = random.Random(3)
    paths, total = [], 0
    for k in range(3):
        chunks = []
        for _ in range(400):
            if rng.random() < 0.1:
                chunks.append(b"\xff" * rng.randrange(1, 4))
                total += len(chunks[-1])
            chunks.append(rng.choice(WORDS).encode() + b" \xc3\xa9t\xc3\xa9 ")
        paths.append(tmp_path / f"{k}.txt")
        paths[-1].write_bytes(b"".join(chunks))
    for block_chars in (7, 100, 1 << 18):
        stats = ReadStats()
        list(iter_sentences(paths, make_tokenizer("whitespace"), block_chars=block_chars,
                            stats=stats))
        assert stats.replaced_bytes == total


def test_valid_input_counts_nothing(tmp_path):
    path = tmp_path / "ok.txt"
    path.write_text("naïve café Ünïcode 日本語 ok\n" * 100)
    _, corpus = read_corpus([path], make_tokenizer(), min_count=1)
    assert corpus.replaced_bytes == 0 and corpus.nul_chars == 0


def test_invalid_utf8_warning_after_the_vocabulary_line(tmp_path):
    path = tmp_path / "c.txt"
    path.write_bytes(text_corpus().encode() + b"caf\xe9 \xff\xfe cat\n")
    result = run(*train_args(path, tmp_path / "v.txt"))
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    at = [i for i, line in enumerate(lines) if line.startswith("Vocabulary: ")]
    assert at and lines[at[0] + 1] == (
        "Warning: 3 invalid UTF-8 bytes in the corpus were replaced with U+FFFD (if it is not "
        "UTF-8, convert it first, e.g. iconv -f latin1 -t utf-8)"
    )
    assert (tmp_path / "v.txt").exists()


def test_no_warning_for_valid_utf8(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text(text_corpus() + "café naïve\n")
    result = run(*train_args(path, tmp_path / "v.txt"))
    assert result.exit_code == 0, result.output
    assert "Warning: " not in result.stderr.replace("Warning: no (centre", "")


def test_stray_nuls_after_the_head_are_spaces_and_counted(tmp_path):
    """A NUL anywhere, past the 64 KiB checked for binary content too, separates tokens."""
    text = text_corpus(2000)
    assert len(text) > SNIFF_BYTES
    path = tmp_path / "c.txt"
    path.write_bytes(text.encode() + b"cat\x00dog\n\x00\x00\x00\n")
    stats = ReadStats()
    got = list(iter_sentences([path], make_tokenizer("whitespace"), stats=stats))
    assert got[-1] == ["cat", "dog"] and len(got) == 2001
    assert stats.nul_chars == 4
    result = run(*train_args(path, tmp_path / "v.txt"))
    assert result.exit_code == 0, result.output
    assert "Warning: 4 NUL bytes in the corpus were read as spaces\n" in result.stderr


STRAY = [(5, b"\x00"), (2000, b"\x01"), (40_000, b"\x07"), (70_000, b"\x1b"), (90_000, b"\x7f"),
         (95_000, b"\x1f")]


def _with_stray_bytes(text: str) -> bytes:
    """``text`` with the STRAY bytes written over the characters at their offsets."""
    data = bytearray(text.encode())
    assert len(data) > STRAY[-1][0] > SNIFF_BYTES > STRAY[0][0]
    for offset, byte in STRAY:
        data[offset : offset + 1] = byte
    return bytes(data)


@pytest.mark.parametrize("kind", ["words", "whitespace"])
def test_stray_control_bytes_are_spaces_and_counted(tmp_path, kind):
    """A few control bytes in a large text file, one in the head: read as spaces, counted, in
    both readers (compiled and reference), and never inside a word."""
    text = text_corpus(3000)
    data = _with_stray_bytes(text)
    path = tmp_path / "c.txt"
    path.write_bytes(data)
    expected_text = text
    for offset, _ in STRAY:
        expected_text = expected_text[:offset] + " " + expected_text[offset + 1:]
    tok = make_tokenizer(kind)
    stats = ReadStats()
    got = list(iter_sentences([path], tok, stats=stats))
    assert got == [tok(line) for line in expected_text.splitlines()]
    assert (stats.nul_chars, stats.control_chars) == (1, 5)
    for threads in (1, 2):
        vocab, corpus = read_corpus([path], tok, min_count=1, threads=threads)
        assert (corpus.nul_chars, corpus.control_chars) == (1, 5)
        assert not any(set(word) & set(CONTROL.decode()) for word in vocab.words)
        corpus.close()


def test_stray_control_bytes_warn_in_train_and_phrases(tmp_path):
    path = tmp_path / "c.txt"
    path.write_bytes(_with_stray_bytes(text_corpus(3000)))
    warning = ("Warning: 1 NUL byte and 5 other control characters in the corpus were read as "
               "spaces\n")
    result = run(*train_args(path, tmp_path / "v.txt"))
    assert result.exit_code == 0, result.output
    assert warning in result.stderr
    result = run("phrases", path, "-o", tmp_path / "p.txt")
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(warning)


def test_a_quarter_control_bytes_is_still_text(tmp_path):
    """The rule's edge: exactly a quarter of the bytes checked is read (with a warning)."""
    path = tmp_path / "c.txt"
    path.write_bytes(b"abc\x01" * 100)
    result = run(*train_args(path, tmp_path / "v.txt", "--neg", "1"))
    assert result.exit_code == 0, result.output
    assert "Warning: 100 control characters in the corpus were read as spaces\n" in result.stderr
    path.write_bytes(b"abc\x01" * 100 + b"\x01")
    assert run(*train_args(path, tmp_path / "v.txt")).output.startswith(
        "Error: corpus file '" + str(path) + "' looks binary (101 of its first 401 bytes")


def test_crlf_and_lone_cr_line_ends(tmp_path):
    path = tmp_path / "c.txt"
    path.write_bytes(b"one two\r\nthree\rfour five\nsix\r\r\nseven\r")
    expected = [["one", "two"], ["three"], ["four", "five"], ["six"], ["seven"]]
    for block_chars in (6, 7, 10, 1 << 18):
        assert sentences(path, block_chars=block_chars) == expected
    vocab, corpus = read_corpus([path], make_tokenizer(), min_count=1)
    assert corpus.n_sentences == 5 and len(vocab) == 7


@pytest.mark.parametrize("boundary", [8192, SNIFF_BYTES])
def test_crlf_split_across_read_boundaries(tmp_path, boundary):
    """A \\r\\n whose halves land in different reads (decoder chunks, the end of the sniffed
    head) is still one line end."""
    start = b"a " * ((boundary - 1) // 2) + b"x" * ((boundary - 1) % 2)
    assert len(start) == boundary - 1
    path = tmp_path / "c.txt"
    path.write_bytes(start + b"\r\nb c\rd\r\n")
    with open_text(path) as handle:
        assert handle.read() == start.decode() + "\nb c\nd\n"
    assert sentences(path, "whitespace")[-2:] == [["b", "c"], ["d"]]


def test_a_40_mb_line_streams_in_bounded_memory_and_loses_nothing(tmp_path):
    """One line of 40 MB (text8 is one 100 MB line): cut at max_sentence_length, nothing lost."""
    rng = random.Random(1)
    vocab = [f"w{i}" + "x" * rng.randrange(0, 200) for i in range(5000)]
    path = tmp_path / "one_line.txt"
    size = 0
    with open(path, "w") as fh:
        while size < 40_000_000:
            chunk = " ".join(rng.choices(vocab, k=10000)) + " "
            fh.write(chunk)
            size += len(chunk)
    pieces = 0
    tracemalloc.start()
    try:
        with open(path) as reference:
            for sentence in iter_sentences([path], make_tokenizer(), max_sentence_length=1000):
                pieces += 1
                joined = " ".join(sentence) + " "
                assert reference.read(len(joined)) == joined  # in order, nothing lost
                assert len(sentence) == 1000 or reference.read(1) == ""
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert pieces > 300
    assert peak < size / 8, f"peak {peak:,} bytes for a {size:,}-byte line"


def test_a_token_longer_than_a_block_is_cut_but_nothing_is_lost(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("a " + "x" * 250 + " b\n")
    got = sentences(path, "whitespace", block_chars=100)
    assert "".join(sum(got, [])) == "a" + "x" * 250 + "b"
    assert got[0][0] == "a" and got[-1][-1] == "b"


def test_long_line_with_only_other_whitespace_is_cut_at_whitespace(tmp_path):
    """A line whose only separators are vertical tabs or ideographic spaces is cut there."""
    words = [f"word{i}" for i in range(300)]
    path = tmp_path / "c.txt"
    path.write_text("\u3000".join(words) + "\n" + "\x0b".join(words) + "\n")
    got = sentences(path, "whitespace", block_chars=50, max_sentence_length=10000)
    assert got == [words, words]


def test_tokens_thousands_of_characters_long_survive_train_and_both_formats(tmp_path):
    rng = random.Random(5)
    letters = "abcdefghijklmnopqrstuvwxyzé"
    long_words = ["".join(rng.choices(letters, k=n)) for n in (2000, 5000, 9000)]
    lines = [" ".join(rng.choices(WORDS[:6] + long_words, k=10)) for _ in range(300)]
    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join(lines) + "\n")
    text_out, binary_out = tmp_path / "v.txt", tmp_path / "v.bin"
    result = run(*train_args(corpus, text_out))
    assert result.exit_code == 0, result.output
    result = run("convert", text_out, binary_out)
    assert result.exit_code == 0, result.output
    kv_text = load_word2vec_format(text_out)
    kv_binary = load_word2vec_format(binary_out)
    for word in long_words:
        assert word in kv_text.key_to_index
    assert kv_binary.index_to_key == kv_text.index_to_key
    assert np.array_equal(kv_binary.vectors, kv_text.vectors)
    result = run("similar", long_words[2][:20], "-v", binary_out)
    assert result.exit_code == 1 and "is not in the vocabulary" in result.output


# -- vectors files and queries: the CLI message, exactly -------------------------------------------


ZERO2 = np.zeros(2, dtype="<f4").tobytes()

BAD_VECTORS = [
    ("bad-header", b"hello world 1\nfoo 1 2\n", None,
     "{path}: line 1: bad header 'hello world 1'; a word2vec file starts with 'VOCAB_SIZE "
     "DIMENSION' (two positive integers), then one word and its vector per line"),
    ("short-row", b"3 3\na 1 2 3\nb 1 2\nc 1 2 3\n", None,
     "{path}: line 3: expected a word and 3 values (the header's dimension), found 2 values; fix "
     "the row or the header"),
    ("long-row", b"2 3\na 1 2 3\nb 1 2 3 4\n", None,
     "{path}: line 3: expected a word and 3 values (the header's dimension), found 4 values; fix "
     "the row or the header"),
    ("dimension-mismatch", b"2 5\na 1 2 3\nb 1 2 3\n", None,
     "{path}: line 2: expected a word and 5 values (the header's dimension), found 3 values; fix "
     "the row or the header"),
    ("empty-line", b"3 2\na 1 2\n\nb 1 2\n", None,
     "{path}: line 3: expected a word and 2 values (the header's dimension), found an empty line; "
     "fix the row or the header"),
    ("non-numeric", b"2 2\na 1 2\nb 1 x\n", None,
     "{path}: line 3: 'x' is not a number; every value after the word must be a decimal number "
     "(if this is a binary file, load it as binary)"),
    ("decimal-comma", b"2 2\na 1 2\nb 1 2,5\n", None,
     "{path}: line 3: '2,5' is not a number; every value after the word must be a decimal number "
     "(if this is a binary file, load it as binary)"),
    ("duplicate-word", b"2 2\na 1 2\na 3 4\n", None,
     "{path}: line 3: duplicate word 'a' (first on line 2); each word must appear once"),
    ("too-few-rows", b"3 2\na 1 2\nb 3 4\n", None,
     "{path}: the header says 3 words but the file has only 2 rows (it ends at line 3); the file "
     "is truncated or the header is wrong"),
    ("too-many-rows", b"1 2\na 1 2\nb 3 4\n", None,
     "{path}: line 3: the header says 1 word but more rows follow; fix the header or remove the "
     "extra rows"),
    ("empty-file", b"", None,
     "{path}: the file is empty; expected a word2vec header 'VOCAB_SIZE DIMENSION' and vectors"),
    ("binary-truncated", b"2 2\na " + ZERO2 + b"\nb " + b"\x00" * 5, None,
     "{path}: record 2 (of 2 the header announces): the file ends inside it; expected a word, a "
     "space and 8 bytes (2 float32); the file is truncated or not a binary word2vec file"),
    ("binary-duplicate", b"2 2\na " + ZERO2 + b"\na " + ZERO2, None,
     "{path}: record 2: duplicate word 'a' (first on record 1); each word must appear once"),
]


@pytest.mark.parametrize("data,_binary,message", [c[1:] for c in BAD_VECTORS],
                         ids=[c[0] for c in BAD_VECTORS])
def test_bad_vectors_file_cli(tmp_path, monkeypatch, data, _binary, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.txt").write_bytes(data)
    assert_one_line_error(run("similar", "a", "-v", "bad.txt"), message.format(path="bad.txt"))
    assert_one_line_error(run("analogy", "a", "b", "c", "-v", "bad.txt"),
                          message.format(path="bad.txt"))


@pytest.fixture
def small_vectors(tmp_path):
    return write_vectors(tmp_path / "v.txt", ["king", "queen", "man", "woman", "paris", "france"])


def test_empty_query_word(small_vectors):
    message = "an empty string was given as a query word; give a non-empty word"
    assert_one_line_error(run("similar", "", "-v", small_vectors), message)
    assert_one_line_error(run("similar", "king", "", "-v", small_vectors), message)
    assert_one_line_error(run("analogy", "man", "", "woman", "-v", small_vectors), message)


def test_unknown_query_words(small_vectors):
    assert_one_line_error(
        run("analogy", "man", "king", "zzz", "-v", small_vectors),
        "'zzz' is not in the vocabulary (6 words) and no vocabulary word is close; check the "
        "spelling, or train with a lower min-count so rare words are kept",
    )
    assert_one_line_error(run("similar", "Pariss", "-v", small_vectors),
                          "'Pariss' is not in the vocabulary (6 words); did you mean: paris?")
    assert_one_line_error(
        run("similar", "kin", "zzz", "-v", small_vectors),
        "'kin', 'zzz' are not in the vocabulary (6 words); did you mean: 'kin' -> king; "
        "'zzz' -> (no close word)?",
    )
    assert_one_line_error(
        run("similar", "new york", "-v", small_vectors),
        "'new york' is not in the vocabulary (6 words) and no vocabulary word is close; check the "
        "spelling, or train with a lower min-count so rare words are kept",
    )


# -- --read-vocab files ----------------------------------------------------------------------------


@pytest.mark.parametrize("data,message", [
    (b"a 5\nb \xc2\xb2\n", "voc.txt, line 2: expected 'word count', got 'b \u00b2'"),
    (b"a 5\nb x\n", "voc.txt, line 2: expected 'word count', got 'b x'"),
    (b"a 5\na 3\n", "voc.txt, line 2: 'a' repeats line 1"),
    (b"\n\n", "vocabulary file voc.txt has no words"),
])
def test_bad_read_vocab_file(tmp_path, monkeypatch, data, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.txt").write_text(text_corpus())
    (tmp_path / "voc.txt").write_bytes(data)
    assert_one_line_error(run("train", "c.txt", "--read-vocab", "voc.txt", "-o", "v.txt"),
                          message)
    assert not (tmp_path / "v.txt").exists()


def test_read_vocab_missing_directory_and_bom(tmp_path, monkeypatch):
    from w2vcli.vocab import read_vocab

    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.txt").write_text(text_corpus())
    assert_one_line_error(run("train", "c.txt", "--read-vocab", "nope.txt"),
                          "vocabulary file nope.txt does not exist; check the path")
    assert_one_line_error(
        run("train", "c.txt", "--read-vocab", "."),
        "vocabulary file . is a directory; give a 'word count' file such as one written by "
        "--save-vocab",
    )
    (tmp_path / "bom.txt").write_bytes(b"\xef\xbb\xbfthe 5\nof 3\n")
    assert read_vocab("bom.txt").words == ["the", "of"]


def test_read_vocab_compressed_by_signature_not_name(tmp_path, monkeypatch):
    import bz2
    import gzip
    import lzma

    from w2vcli.vocab import read_vocab

    monkeypatch.chdir(tmp_path)
    for compress in (gzip.compress, bz2.compress, lzma.compress):
        (tmp_path / "voc.txt").write_bytes(compress(b"\xef\xbb\xbfthe 5\nof 3\n"))
        assert read_vocab("voc.txt").words == ["the", "of"]
    words = "".join(f"w{i} {i + 1}\n" for i in range(2000)).encode()
    (tmp_path / "cut.gz").write_bytes(gzip.compress(words)[:-100])
    (tmp_path / "c.txt").write_text(text_corpus())
    assert_one_line_error(run("train", "c.txt", "--read-vocab", "cut.gz"),
                          "vocabulary file cut.gz: the gzip-compressed data is damaged or truncated "
                          "(Compressed file ended before the end-of-stream marker was reached); "
                          "create it again")
    (tmp_path / "voc.zst").write_bytes(b"\x28\xb5\x2f\xfd" + b"\x00" * 20)
    assert_one_line_error(run("train", "c.txt", "--read-vocab", "voc.zst"),
                          "vocabulary file voc.zst is zstd-compressed; decompress it first "
                          "(zstd -d), or recompress it with gzip, bzip2 or xz")
