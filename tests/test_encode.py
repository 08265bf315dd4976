"""The compiled, parallel corpus encoding (w2vcli.encode) against the reference Python path.

``read_corpus`` takes the reference path (iter_sentences and a dict, one thread) for any
tokenizer function it does not know, so a plain function around a tokenizer of
``make_tokenizer`` is the oracle: every test reads the same input both ways and wants the same
vocabulary, ids, sentence ends, counts and statistics, or the same error message.
"""

from __future__ import annotations

import gzip
import io
import sys
from pathlib import Path

import numpy as np
import pytest

import w2vcli.encode as encode
from w2vcli.corpus import read_corpus
from w2vcli.errors import CorpusError
from w2vcli.tokenize import (BLOCK_CHARS, SNIFF_BYTES, is_invisible, make_tokenizer,
                              tokenizer_spec)
from w2vcli.vocab import Vocab

hypothesis = pytest.importorskip("hypothesis", reason="pip install 'w2vcli[test]' for hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

SETTINGS = settings(max_examples=100, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])


def outcome(paths, tokenizer, **kwargs):
    """What read_corpus gives: every field of the result, or the error's type and message."""
    try:
        vocab, corpus = read_corpus(paths, tokenizer, **kwargs)
    except (CorpusError, ValueError) as exc:
        return ("error", type(exc).__name__, str(exc))
    try:
        return ("ok", vocab.words, vocab.counts.tolist(), corpus.ids.tolist(),
                corpus.sentence_ends.tolist(), corpus.raw_tokens, corpus.n_tokens,
                corpus.n_sentences, corpus.replaced_bytes, corpus.nul_chars,
                corpus.control_chars)
    finally:
        corpus.close()


def reference(tokenizer):
    """The same tokenizer as a plain function: read_corpus then takes the reference path."""
    return lambda text: tokenizer(text)


def both(paths, kind="words", lowercase=None, threads=2, **kwargs):
    tok = make_tokenizer(kind, lowercase)
    expected = outcome(paths, reference(tok), **kwargs)
    got = outcome(paths, tok, threads=threads, **kwargs)
    assert got == expected
    return got


@pytest.fixture
def tiny_chunks(monkeypatch):
    """Let a test set the chunk size (bytes), so that chunk boundaries land everywhere."""
    def set_size(size: int) -> None:
        monkeypatch.setattr(encode, "CHUNK_BYTES", size)
        monkeypatch.setattr(encode, "MIN_CHUNK_BYTES", size)
    return set_size


# -- which path -------------------------------------------------------------------------------


def test_the_tokenizers_of_make_tokenizer_are_known_and_others_are_not():
    assert tokenizer_spec(make_tokenizer("words")) == ("words", True)
    assert tokenizer_spec(make_tokenizer("words", lowercase=False)) == ("words", False)
    assert tokenizer_spec(make_tokenizer("whitespace")) == ("whitespace", False)
    assert tokenizer_spec(make_tokenizer("whitespace", lowercase=True)) == ("whitespace", True)
    assert tokenizer_spec(reference(make_tokenizer())) is None
    with pytest.raises(ValueError, match="make_tokenizer"):
        encode.count_corpus(Path("."), ["x"], reference(make_tokenizer()))


#: Control bytes, read as spaces and counted (listed independently of tokenize.CONTROL_CHARS).
CONTROL = [*range(0x00, 0x09), *range(0x0E, 0x20), 0x7F]


def test_byte_classes_are_pythons():
    """Compiled whitespace is str.split()'s and the control bytes (read as spaces); letters and
    digits are the words pattern's."""
    for c in range(128):
        ws = bool(encode._CLASS[c] & encode._WS)
        assert ws == (chr(c).isspace() or c in CONTROL), c
        assert bool(encode._CLASS[c] & encode._CONTROL) == (c in CONTROL), c
        assert bool(encode._CLASS[c] & encode._ALNUM) == (chr(c).isalnum()), c
    assert not any(encode._CLASS[128:])


@pytest.mark.parametrize("kind", ["words", "whitespace"])
@pytest.mark.parametrize("where", ["ascii", "non-ascii line", "stream"])
def test_control_characters_are_spaces_and_counted_like_the_reference(tmp_path, tiny_chunks,
                                                                      monkeypatch, kind, where):
    """Every control byte, in lines the compiled scanner tokenizes (ASCII), in lines the Python
    tokenizer does (non-ASCII) and read as a stream: the same ids and counts both ways."""
    tiny_chunks(64)
    line = "".join(f"w{c}{chr(c)}x{c} " for c in CONTROL) + "tail\tend\n"
    if where == "non-ascii line":
        line = "é " + line
    data = (("plain words here\n" * 40 + line) * 3).encode()
    path = tmp_path / "c.txt"
    path.write_bytes(data)
    tok = make_tokenizer(kind)
    results = []
    for tokenizer, extra in ((reference(tok), {}), (tok, {"threads": 2})):
        if where == "stream":
            monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
        results.append(outcome(["-"] if where == "stream" else [path], tokenizer, min_count=1,
                               directory=tmp_path, **extra))
    assert results[1] == results[0]
    got = results[1]
    assert got[0] == "ok"
    assert got[-2:] == (3, 3 * (len(CONTROL) - 1))  # NULs, other control characters
    assert f"w{0x1b}" in got[1] and f"x{0x7f}" in got[1]
    assert not any(set(word) & set(map(chr, CONTROL)) for word in got[1])


# -- the shared corpora -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["text8_head.txt.gz", "sst_sentences.tsv",
                                  "wikitext103_valid.tokens"])
@pytest.mark.parametrize("kind,lowercase", [("words", None), ("whitespace", None),
                                            ("whitespace", True)])
def test_shared_corpora(shared_data, tiny_chunks, name, kind, lowercase):
    tiny_chunks(1 << 16)
    got = both([shared_data / "corpora" / name], kind, lowercase, min_count=2,
               max_sentence_length=1000)
    assert got[0] == "ok" and got[5] > 100_000


def test_shared_corpus_decompressed_and_three_threads(shared_data, tmp_path, tiny_chunks):
    plain = tmp_path / "text8_head.txt"
    packed = shared_data / "corpora" / "text8_head.txt.gz"
    plain.write_bytes(gzip.decompress(packed.read_bytes()))
    tiny_chunks(100_000)
    both([plain], threads=3, min_count=5)


# -- generated inputs -------------------------------------------------------------------------

# Pieces of a line: every ASCII byte but the line ends, words, and bytes that are not ASCII
# (letters, marks, other spaces, case that folds differently, invalid UTF-8, a byte-order mark).
ASCII = [bytes([c]) for c in range(128) if c not in (10, 13)]
INVISIBLE_ATOMS = ["\ufe0f", "\u2764\ufe0f", "\u200d", "\u200b", "\u00ad", "\u0301", "\u20e3",
                   "\U000e0100", "\u3164", "\u2060", "\U0001f468\u200d\U0001f469", "\u200e"]
WORDISH = st.sampled_from([b"a", b"Z", b"9", b"_", b" ", b"\t", b"word", b"New_York", b"__x__",
                           b"a_b__c", b"B2B", b"it's", b"e-mail", b"\x00", b"  "])
ATOMS = st.one_of(
    st.sampled_from(ASCII),
    WORDISH,
    WORDISH,
    st.sampled_from(["é", "Ünï", "ß", "İ", "ΣΑΣ", "ς", "e\u0301", "\u00a0", "\u3000",
                     "\u2028", "日本語", "हिन्दी", "\ufeff", "\u0085", "K"]).map(str.encode),
    # Marks and invisible format characters, alone and next to words (tokenize.is_invisible).
    st.sampled_from(INVISIBLE_ATOMS).map(str.encode),
    # Invalid UTF-8, now and then.
    st.sampled_from([b"\xff", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80", b"\xf0\x9f"]
                    + [b"ok"] * 10),
)
LINE = st.lists(ATOMS, max_size=12).map(b"".join)
NEWLINE = st.sampled_from([b"\n", b"\n", b"\n", b"\r\n", b"\r"])


@st.composite
def corpus_bytes(draw, nul=False):
    """A corpus file's bytes; without ``nul``, no NUL. (Control bytes, NUL among them, are read
    as spaces; a file that is mostly control bytes is refused as binary, the same way by both
    readers.)"""
    lines = draw(st.lists(st.tuples(LINE, NEWLINE), max_size=12))
    data = b"".join(line + end for line, end in lines)
    if lines and draw(st.booleans()):
        data = data[: -len(lines[-1][1])]  # no line end at the end
    if draw(st.integers(0, 5)) == 0:
        data = b"\xef\xbb\xbf" + data
    if draw(st.integers(0, 5)) == 0:
        # A long line, longer than the sentence limit and than small chunks.
        data += b" ".join(draw(st.sampled_from([b"w%d" % i for i in range(20)]))
                          for _ in range(draw(st.integers(30, 300)))) + b"\n" + data
    return data if nul else data.replace(b"\x00", b"")


# Pushes what follows past the first SNIFF_BYTES, which are checked for binary content.
PAD = b"filler words to push what follows past the sniffed head\n" * (SNIFF_BYTES // 56 + 1)


@SETTINGS
@given(data=corpus_bytes(nul=True), pad=st.booleans(), more=st.one_of(st.none(), corpus_bytes()),
       kind=st.sampled_from(["words", "whitespace"]), lowercase=st.sampled_from([None, True,
                                                                                 False]),
       threads=st.integers(1, 3), chunk=st.sampled_from([1, 2, 5, 17, 64, 1000]),
       min_count=st.integers(1, 3), max_vocab=st.sampled_from([None, None, 1, 3]),
       max_len=st.sampled_from([1, 2, 5, 10000]), gz=st.booleans())
def test_generated_files_match_the_reference(tmp_path, tiny_chunks, data, pad, more, kind,
                                             lowercase, threads, chunk, min_count, max_vocab,
                                             max_len, gz):
    if pad:
        data = PAD + data
        chunk = max(chunk, 4096)  # (no need for thousands of tiny chunks of filler)
    tiny_chunks(chunk)
    first = tmp_path / ("a.txt.gz" if gz else "a.txt")
    first.write_bytes(gzip.compress(data) if gz else data)
    paths = [first]
    if more is not None:
        (tmp_path / "b.txt").write_bytes(more)
        paths.append(tmp_path / "b.txt")
    both(paths, kind, lowercase, threads=threads, min_count=min_count, max_vocab=max_vocab,
         max_sentence_length=max_len, directory=tmp_path)


@SETTINGS
@given(data=corpus_bytes(), kind=st.sampled_from(["words", "whitespace"]),
       threads=st.integers(1, 3), chunk=st.sampled_from([1, 7, 100]),
       vocab_words=st.lists(st.sampled_from(["word", "ok", "a", "z", "new_york", "b2b", "é",
                                             "日本語", "absent", "Word", "9"]),
                            unique=True, min_size=1, max_size=6),
       update=st.booleans(), min_count=st.integers(1, 3))
def test_fixed_and_updated_vocabulary_match_the_reference(tmp_path, tiny_chunks, data, kind,
                                                          threads, chunk, vocab_words, update,
                                                          min_count):
    tiny_chunks(chunk)
    path = tmp_path / "c.txt"
    path.write_bytes(data)
    fixed = Vocab(vocab_words, np.arange(len(vocab_words), 0, -1, dtype=np.int64))
    both([path], kind, threads=threads, vocab=fixed, update_vocab=update, min_count=min_count,
         directory=tmp_path)


@SETTINGS
@given(data=corpus_bytes(), kind=st.sampled_from(["words", "whitespace"]),
       threads=st.integers(1, 3), chunk=st.sampled_from([1, 7, 100, 1 << 20]),
       max_len=st.sampled_from([1, 3, 10000]))
def test_standard_input_matches_the_reference(monkeypatch, tiny_chunks, data, kind, threads,
                                              chunk, max_len):
    tiny_chunks(chunk)
    tok = make_tokenizer(kind)
    results = []
    for tokenizer, extra in ((reference(tok), {}), (tok, {"threads": threads})):
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
        results.append(outcome(["-"], tokenizer, min_count=1, max_sentence_length=max_len,
                               **extra))
    assert results[1] == results[0]


# Lines made mostly of marks, variation selectors and zero-width characters, with a few words.
INVISIBLE_LINE = st.lists(st.sampled_from(INVISIBLE_ATOMS + ["a", "Caf", "e", " ", " ", "_", "ß",
                                                             "日本", "\t", "x1"]),
                          max_size=16).map("".join)


@SETTINGS
@given(lines=st.lists(INVISIBLE_LINE, min_size=1, max_size=8),
       kind=st.sampled_from(["words", "whitespace"]), lowercase=st.sampled_from([None, False]),
       threads=st.integers(1, 3), chunk=st.sampled_from([1, 5, 1000]))
def test_text_with_invisible_characters_matches_the_reference(tmp_path, tiny_chunks, lines, kind,
                                                              lowercase, threads, chunk):
    """The compiled reader hands such lines to the Python tokenizer: same words, none invisible."""
    tiny_chunks(chunk)
    path = tmp_path / "c.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    got = both([path], kind, lowercase, threads=threads, min_count=1, directory=tmp_path)
    if got[0] == "ok":
        assert not any(is_invisible(word) for word in got[1])


# -- cases worth naming -----------------------------------------------------------------------


def test_words_tokenizer_ascii_rules(tmp_path, tiny_chunks):
    tiny_chunks(3)
    path = tmp_path / "c.txt"
    path.write_bytes(b"New_York rocks_ _x y_ __init__ a__b a_b_c don't C++ x\x1cy\x0bz 4_2\n"
                     b"UPPER lower MiXeD 007 \x0c end\r\nnext\rlast")
    got = both([path], min_count=1)
    assert {"new_york", "rocks", "init", "a_b_c", "don", "c", "4_2", "mixed"} <= set(got[1])
    assert not {"rocks_", "_x", "a__b", "C"} & set(got[1])


@pytest.mark.parametrize("kind", ["words", "whitespace"])
@pytest.mark.parametrize("run", [encode.GIANT_RUN + 5, BLOCK_CHARS + 1000])
@pytest.mark.parametrize("text", [False, True])
def test_giant_tokens_are_cut_as_the_reference_cuts_them(tmp_path, monkeypatch, kind, run, text):
    """A run of non-whitespace as long as the reference's read block is cut where its reads
    end; a regular file with such a run is read again as a stream, whose pieces are the same."""
    line = "start words " + "ab" * 10 + " " + ("é" if text else "q") * run + " end\n"
    path = tmp_path / "c.txt"
    path.write_bytes(("head line\n" + line + "tail line\n" * 3).encode())
    streamed = []
    original = encode._Run.__init__

    def spy(self, *args, **kwargs):
        original(self, *args, **kwargs)
        streamed.append(self.as_stream)

    monkeypatch.setattr(encode._Run, "__init__", spy)
    both([path], kind, min_count=1, max_sentence_length=7)
    assert streamed == [False, True]  # the regular file's run went back as a stream
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(path.read_bytes())))
    tok = make_tokenizer(kind)
    got = outcome(["-"], tok, min_count=1, max_sentence_length=7, threads=2)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(path.read_bytes())))
    assert got == outcome(["-"], reference(tok), min_count=1, max_sentence_length=7)


def test_long_lines_of_other_whitespace(tmp_path):
    """Lines longer than a read block made of non-ASCII whitespace, or words between it."""
    path = tmp_path / "c.txt"
    path.write_text("a b\n" + "\u00a0" * (BLOCK_CHARS + 5) + "\nc\u3000d " * (BLOCK_CHARS // 3)
                    + "\n")
    both([path], min_count=1)
    both([path], "whitespace", min_count=1, max_sentence_length=100)


def test_long_line_without_newlines_in_many_chunks(tmp_path, tiny_chunks):
    """text8's shape: one line, cut into chunks at spaces, and into sentences of 10 tokens."""
    tiny_chunks(50)
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in rng.integers(0, 40, size=3000)]
    path = tmp_path / "c.txt"
    path.write_text(" ".join(words))
    got = both([path], min_count=1, max_sentence_length=10, threads=3)
    assert got[7] == 300


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b" \n\t\r\n", b"... !!! ---\n",
                                  b"a b c\n", "\u00a0\n\u3000".encode()])
@pytest.mark.parametrize("kind", ["words", "whitespace"])
def test_empty_and_tokenless_corpora_give_the_same_errors(tmp_path, data, kind):
    path = tmp_path / "c.txt"
    path.write_bytes(data)
    both([path], kind, min_count=5)
    both([path], kind, min_count=1)
    both([path], kind, vocab=Vocab(["zzz"], np.array([3])))


def test_first_failing_file_is_the_one_named(tmp_path):
    good = tmp_path / "good.txt"
    good.write_text("some words here\n" * 5000)
    damaged = bytearray(gzip.compress(("more words " * 50000).encode()))
    damaged[len(damaged) // 2: len(damaged) // 2 + 40] = bytes(40)
    (tmp_path / "bad.gz").write_bytes(bytes(damaged))
    missing = tmp_path / "missing.txt"
    for paths in ([good, tmp_path / "bad.gz", missing], [good, missing, tmp_path / "bad.gz"],
                  [tmp_path / "bad.gz", good]):
        got = both(paths, min_count=1)
        assert got[0] == "error"


def test_threads_and_chunks_do_not_change_the_result(tmp_path, tiny_chunks):
    rng = np.random.default_rng(1)
    vocab = np.array([f"w{i}" for i in range(5000)])
    lines = [" ".join(vocab[rng.zipf(1.3, size=rng.integers(1, 15)) % 5000]) for _ in range(3000)]
    path = tmp_path / "c.txt"
    path.write_text("\n".join(lines))
    results = set()
    for threads in (1, 2, 4):
        for chunk in (10, 999, 1 << 20):
            tiny_chunks(chunk)
            results.add(repr(outcome([path], make_tokenizer(), min_count=2, threads=threads)))
    assert len(results) == 1


def test_bad_arguments(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("a b\n")
    with pytest.raises(ValueError, match="threads"):
        read_corpus([path], make_tokenizer(), min_count=1, threads=0)
    with pytest.raises(ValueError, match="max_sentence_length"):
        read_corpus([path], make_tokenizer(), min_count=1, max_sentence_length=0)
