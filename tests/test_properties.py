"""Property-based tests (hypothesis): tokenizers, streaming, the vocabulary, vectors file formats.

Example counts are kept modest so the whole file runs in a few seconds.
"""

from __future__ import annotations

import re
import tempfile
import unicodedata
from pathlib import Path

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis", reason="pip install 'w2vcli[test]' for hypothesis")
from hypothesis import HealthCheck, assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra.numpy import arrays  # noqa: E402

from w2vcli.errors import CorpusError  # noqa: E402
from w2vcli.io import load_word2vec_format, save_word2vec_format  # noqa: E402
from w2vcli.keyedvectors import KeyedVectors  # noqa: E402
from w2vcli.tokenize import (_DEFAULT_IGNORABLE, BINARY_SIGNATURES, ReadStats,  # noqa: E402
                             is_invisible, iter_sentences, make_tokenizer)
from w2vcli.vocab import Vocab, read_vocab, save_vocab  # noqa: E402

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Any character that can be written as UTF-8 (no lone surrogates).
ANY_CHAR = st.characters(blacklist_categories=("Cs",))
# Control characters (C0 but tab, line feed, vertical tab, form feed and carriage return, and
# DEL), listed independently of w2vcli.tokenize: read as spaces, and a file mostly made of them
# is refused as binary (see test_control_characters_are_spaces_or_the_file_is_binary).
CONTROL = "".join(map(chr, [*range(0x00, 0x09), *range(0x0E, 0x20), 0x7F]))
AS_SPACE = {ord(c): " " for c in CONTROL}
# A line of a corpus file: no line ends (\n, \r), no control characters.
LINE_CHAR = st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r" + CONTROL)
# Text that favours the interesting cases: letters and digits of many scripts, case, separators.
TEXTY = st.one_of(
    st.text(ANY_CHAR, max_size=60),
    st.text(
        st.sampled_from(list("aZ9_ -.,!\t\u00a0\u3000\x0b\x1cÉéßİıΣσςǅ日本語٣\u0301")),
        max_size=60,
    ),
)


# -- tokenizers ------------------------------------------------------------------------------------


@SETTINGS
@given(text=TEXTY, lowercase=st.booleans())
def test_words_tokens_are_nonempty_whitespace_free_and_stable(text, lowercase):
    tok = make_tokenizer("words", lowercase=lowercase)
    tokens = tok(text)
    for t in tokens:
        assert t
        assert not any(c.isspace() for c in t)
        assert not t.startswith("_") and not t.endswith("_")
        if lowercase:
            assert t == t.lower()
    assert tok(" ".join(tokens)) == tokens


@SETTINGS
@given(text=TEXTY)
def test_whitespace_tokens_are_str_split_without_invisible_ones(text):
    def visible(tokens):
        return [t for t in tokens if not is_invisible(t)]

    assert make_tokenizer("whitespace")(text) == visible(text.split())
    assert make_tokenizer("whitespace", lowercase=False)(text) == visible(text.split())
    assert make_tokenizer("whitespace", lowercase=True)(text) == visible(text.lower().split())


# Marks, variation selectors, zero-width and other default-ignorable characters, and emoji,
# among letters (composed and not), digits, underscores and spaces.
INVISIBLE = st.sampled_from(["\ufe0f", "\ufe0e", "\U000e0100", "\u200b", "\u200c", "\u200d",
                             "\u2060", "\ufeff", "\u00ad", "\u034f", "\u180b", "\u3164",
                             "\u200e", "\u202e", "\U000e0041", "\u0301", "\u0308", "\u093f",
                             "\u20e3", "\u0e31"])
NEAR_INVISIBLE_TEXT = st.lists(
    INVISIBLE | st.sampled_from(["a", "E", "\u00e9", "9", "_", " ", " ", "\t", "\u2764",
                                 "\U0001f355", "\u0915", "\u0e01", "!", "\u845b"]) | ANY_CHAR,
    max_size=30).map("".join)


@SETTINGS
@given(text=NEAR_INVISIBLE_TEXT, lowercase=st.booleans())
def test_no_token_is_made_only_of_marks_or_invisible_characters(text, lowercase):
    for kind in ("words", "whitespace"):
        tokens = make_tokenizer(kind, lowercase=lowercase)(text)
        assert not [t for t in tokens if is_invisible(t)], (kind, tokens)
        assert tokens == make_tokenizer(kind, lowercase=lowercase)(" ".join(tokens))
    ignorable = {chr(c) for a, b in _DEFAULT_IGNORABLE for c in range(a, b + 1)}
    for token in make_tokenizer("words", lowercase=lowercase)(text):
        # A word starts with a letter or digit (its marks follow it), and the default-ignorable
        # characters are removed (or, U+200B, separate words).
        assert token[0].isalnum() and not unicodedata.category(token[0]).startswith("M")
        assert not ignorable.intersection(token), token


def _pieces(tokens: list[str], n: int) -> list[list[str]]:
    return [tokens[i:i + n] for i in range(0, len(tokens), n)]


def _read_back(lines: list[str], trailing_newline: bool, **kwargs) -> list[list[str]]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "corpus.txt"
        path.write_bytes(("\n".join(lines) + ("\n" if trailing_newline else "")).encode())
        return list(iter_sentences([path], **kwargs))


LINES = st.lists(st.text(LINE_CHAR, max_size=40) | st.text(st.sampled_from(list("ab Σς\t")),
                                                             max_size=40), max_size=12)


@SETTINGS
@given(lines=LINES, trailing=st.booleans(), kind=st.sampled_from(["words", "whitespace"]),
       max_len=st.integers(1, 6), extra=st.integers(1, 40), data=st.data())
def test_iter_sentences_cuts_each_line_and_loses_nothing(lines, trailing, kind, max_len, extra,
                                                          data):
    """Each line's tokens, in order, cut into pieces of at most max_len, for any block size
    larger than the longest run of non-whitespace (the documented limit on splitting)."""
    assume(not "\n".join(lines).startswith("PK\x03\x04"))  # a zip file's signature
    tok = make_tokenizer(kind)
    longest = max((len(run) for line in lines for run in line.split()), default=0)
    block_chars = data.draw(st.integers(longest + 1, longest + extra), label="block_chars")
    expected = []
    for i, line in enumerate(lines):
        if i == 0 and line.startswith("\ufeff"):
            line = line[1:]  # a byte-order mark at the start of a file is skipped
        expected += _pieces(tok(line), max_len)
    got = _read_back(lines, trailing, tokenizer=tok, max_sentence_length=max_len,
                     block_chars=block_chars)
    assert got == expected
    assert all(0 < len(s) <= max_len for s in got)


@SETTINGS
@given(lines=LINES, trailing=st.booleans(), block_chars=st.integers(1, 8),
       max_len=st.integers(1, 5))
def test_iter_sentences_never_loses_a_character_even_with_tiny_blocks(lines, trailing,
                                                                      block_chars, max_len):
    """With blocks shorter than a token, the token may be cut, but no character is lost or moved
    and no piece crosses a line."""
    assume(not "\n".join(lines).startswith("PK\x03\x04"))
    if lines and lines[0].startswith("\ufeff"):
        lines = [lines[0][1:]] + lines[1:]
    got = _read_back(lines, trailing, tokenizer=make_tokenizer("whitespace"),
                     max_sentence_length=max_len, block_chars=block_chars)
    # A piece of a cut token that is only marks (or other invisible characters) is no token.
    def visible(text: str) -> str:
        return "".join(c for c in text if not is_invisible(c))

    assert visible("".join(t for s in got for t in s)) == visible("".join("".join(line.split())
                                                                         for line in lines))
    assert all(0 < len(s) <= max_len for s in got)
    assert all(t and not any(c.isspace() for c in t) for s in got for t in s)


@SETTINGS
@given(lines=st.lists(st.text(st.sampled_from(list("ab Σ\t") + list(CONTROL)), max_size=30),
                      max_size=8),
       kind=st.sampled_from(["words", "whitespace"]), block_chars=st.integers(40, 100))
def test_control_characters_are_spaces_or_the_file_is_binary(lines, kind, block_chars):
    """Control characters are read as spaces and counted, unless over a quarter of the bytes
    are control bytes: then the file is refused as binary."""
    text = "".join(line + "\n" for line in lines)
    data = text.encode()
    n_control = sum(c in CONTROL for c in text)
    tok = make_tokenizer(kind)
    stats = ReadStats()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "c.txt"
        path.write_bytes(data)
        if n_control * 4 > len(data):
            with pytest.raises(CorpusError, match="looks binary|looks like UTF-16"):
                list(iter_sentences([path], tok, stats=stats))
            return
        got = list(iter_sentences([path], tok, stats=stats, block_chars=block_chars))
    assert got == [s for s in (tok(line.translate(AS_SPACE)) for line in lines) if s]
    assert (stats.nul_chars, stats.control_chars) == (text.count("\x00"),
                                                      n_control - text.count("\x00"))


@SETTINGS
@given(chunks=st.lists(st.binary(max_size=12) | st.text(LINE_CHAR, max_size=12).map(str.encode),
                       max_size=20),
       block_chars=st.integers(2, 50))
def test_replaced_bytes_match_a_reference_count(chunks, block_chars):
    """The count of invalid UTF-8 bytes equals what a one-shot decode of the file replaces."""
    data = b"".join(chunks).translate(bytes.maketrans(CONTROL.encode(), b" " * len(CONTROL)))
    assume(not data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\x1f\x8b", b"BZh",
                                b"PK\x03\x04", b"\x28\xb5\x2f\xfd", b"\xfd7zXZ")))
    assume(not data.startswith(tuple(magic for magic, _, _ in BINARY_SIGNATURES)))
    reference = []

    def count(exc):
        reference.append(exc.end - exc.start)
        return "\ufffd", exc.end

    import codecs

    codecs.register_error("test-count", count)
    data.replace(b"\r", b"\n").decode("utf-8", "test-count")
    assume(sum(reference) * 4 <= len(data) or sum(reference) < 16)  # else refused as not text
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "c.txt"
        path.write_bytes(data)
        stats = ReadStats()
        list(iter_sentences([path], make_tokenizer("whitespace"), block_chars=block_chars,
                            stats=stats))
    assert stats.replaced_bytes == sum(reference)


# -- the vocabulary --------------------------------------------------------------------------------


@SETTINGS
@given(
    counts=st.lists(st.integers(1, 6), min_size=1, max_size=30),
    min_count=st.integers(1, 7),
    max_vocab=st.none() | st.integers(1, 30),
)
def test_vocab_from_counts(counts, min_count, max_vocab):
    words = [f"w{i}" for i in range(len(counts))]  # distinct, in order of first appearance
    order = sorted(range(len(counts)), key=lambda i: (-counts[i], i))
    kept = [i for i in order if counts[i] >= min_count][:max_vocab]
    if not kept:
        with pytest.raises(CorpusError, match=f"use --min-count {max(counts)} or lower"):
            Vocab.from_counts(words, np.array(counts), min_count, max_vocab)
        return
    vocab, remap = Vocab.from_counts(words, np.array(counts), min_count, max_vocab)
    assert vocab.words == [words[i] for i in kept]
    assert vocab.counts.tolist() == [counts[i] for i in kept]
    assert vocab.counts.dtype == np.int64
    assert np.all(np.diff(vocab.counts) <= 0)
    assert all(c >= min_count for c in vocab.counts)
    assert max_vocab is None or len(vocab) <= max_vocab
    assert remap.dtype == np.int32 and len(remap) == len(words)
    for i, word in enumerate(words):
        if i in kept:
            assert vocab.words[remap[i]] == word and vocab.index[word] == remap[i]
        else:
            assert remap[i] == -1 and word not in vocab


WORD = st.text(st.characters(blacklist_categories=("Cs", "Zs", "Zl", "Zp", "Cc")), min_size=1,
               max_size=12).filter(lambda w: not any(c.isspace() for c in w))


@SETTINGS
@given(words=st.lists(WORD, min_size=1, max_size=15, unique=True),
       data=st.data())
def test_save_vocab_then_read_vocab_is_the_same_vocabulary(words, data):
    counts = sorted(data.draw(st.lists(st.integers(0, 10**12), min_size=len(words),
                                       max_size=len(words))), reverse=True)
    assume(not words[0].startswith("\ufeff"))  # a leading byte-order mark is skipped
    vocab = Vocab(words, np.array(counts))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "vocab.txt"
        save_vocab(path, vocab)
        if max(counts) == 0:
            with pytest.raises(CorpusError):
                read_vocab(path, min_count=1)
            return
        back = read_vocab(path, min_count=0)
    assert back.words == vocab.words
    assert back.counts.tolist() == vocab.counts.tolist()


# -- vectors files ---------------------------------------------------------------------------------


# A word the formats can hold: non-empty, none of the separators (ASCII whitespace), any other
# character (unicode, control characters, NUL), short or thousands of characters long.
_FORMAT_CHAR = st.characters(blacklist_categories=("Cs",), blacklist_characters=" \t\n\r\x0b\x0c")
FORMAT_WORD = st.text(_FORMAT_CHAR, min_size=1, max_size=10) | st.text(
    st.sampled_from(list("aé日\x00\u2028")), min_size=1000, max_size=3000)
FLOAT32 = st.floats(width=32, allow_nan=False, allow_infinity=False, allow_subnormal=True)
SPECIAL = st.sampled_from([0.0, -0.0, 1e-45, -1e-45, 1.1754942e-38, 1.1754944e-38, 3.4028235e38,
                           -3.4028235e38, 1 / 3, 0.1, 16777217.0])


@st.composite
def keyed_vectors(draw):
    words = draw(st.lists(FORMAT_WORD, min_size=1, max_size=8, unique=True))
    dim = draw(st.integers(1, 9))
    vectors = draw(arrays(np.float32, (len(words), dim), elements=FLOAT32 | SPECIAL))
    return KeyedVectors(words, vectors)


@SETTINGS
@given(kv=keyed_vectors(), binary=st.booleans())
def test_vectors_round_trip_exactly(kv, binary):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("v.bin" if binary else "v.txt")
        save_word2vec_format(kv, path, binary=binary)
        detected = load_word2vec_format(path)
        forced = load_word2vec_format(path, binary=binary)
    for back in (detected, forced):
        assert back.index_to_key == kv.index_to_key
        assert back.vectors.dtype == np.float32 and back.vectors.shape == kv.vectors.shape
        # Bit-identical: -0.0 stays -0.0, subnormals stay; %.9g round-trips float32 exactly.
        assert np.array_equal(back.vectors.view(np.uint32), kv.vectors.view(np.uint32))


@settings(max_examples=20, deadline=None)
@given(words=st.lists(st.sampled_from(["\u3000", "\x85", "\u2028", "\x1c"]), min_size=1,
                      max_size=3).map("".join))
def test_unicode_whitespace_other_than_the_separators_is_part_of_a_word(words):
    """The formats split on ASCII whitespace only (as word2vec.c and gensim do)."""
    kv = KeyedVectors(["a" + words + "b", "c"], np.eye(2, dtype=np.float32))
    with tempfile.TemporaryDirectory() as tmp:
        for binary in (False, True):
            path = Path(tmp) / "v"
            save_word2vec_format(kv, path, binary=binary)
            assert load_word2vec_format(path).index_to_key == kv.index_to_key


def test_text_format_uses_nine_significant_digits(tmp_path):
    """The reason the text round trip is exact: %.9g, not %.6g (checked on a value needing 9)."""
    x = np.nextafter(np.float32(0.1), np.float32(1))
    kv = KeyedVectors(["w"], np.array([[x]], dtype=np.float32))
    save_word2vec_format(kv, tmp_path / "v.txt")
    assert re.fullmatch(r"1 1\nw 0\.100000009\n", (tmp_path / "v.txt").read_text())
