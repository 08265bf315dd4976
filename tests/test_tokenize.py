import bz2
import gzip
import io
import lzma
import sys

import pytest

from w2vcli.errors import CorpusError
from w2vcli.tokenize import iter_sentences, make_tokenizer, word_pattern


def test_words_tokenizer_lowercases_and_keeps_letters_and_digits():
    tok = make_tokenizer("words")
    assert tok("Troll2 is great!") == ["troll2", "is", "great"]
    assert tok("Gymkata  is GREAT...\tdon't-stop_now") == ["gymkata", "is", "great", "don", "t", "stop_now"]
    assert tok("new_york _x y_ __init__ a__b") == ["new_york", "x", "y", "init", "a", "b"]
    assert tok("Café naïve Ünïcode 42") == ["café", "naïve", "ünïcode", "42"]


def test_words_tokenizer_without_lowercase():
    assert make_tokenizer("words", lowercase=False)("Troll2 is Great!") == ["Troll2", "is", "Great"]


def test_whitespace_tokenizer_keeps_tokens_verbatim():
    tok = make_tokenizer("whitespace")
    assert tok("Troll2 is great!\t C++ ") == ["Troll2", "is", "great!", "C++"]
    assert make_tokenizer("whitespace", lowercase=True)("Troll2 IS") == ["troll2", "is"]


def test_unknown_tokenizer():
    with pytest.raises(ValueError, match="unknown tokenizer 'chars'"):
        make_tokenizer("chars")


def _write(path, text, opener=open):
    with opener(path, "wt", encoding="utf-8") as fh:
        fh.write(text)


@pytest.mark.parametrize("suffix,opener", [("txt", open), ("gz", gzip.open), ("bz2", bz2.open), ("xz", lzma.open)])
def test_reads_plain_and_compressed(tmp_path, suffix, opener):
    path = tmp_path / f"corpus.{suffix}"
    _write(path, "Troll2 is great!\nGymkata is great!\n\n", opener)
    assert list(iter_sentences([path], make_tokenizer())) == [
        ["troll2", "is", "great"],
        ["gymkata", "is", "great"],
    ]


def test_several_files_and_crlf(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_bytes(b"one two\r\nthree\r")
    b.write_bytes(b"four\rfive six")
    assert list(iter_sentences([a, b], make_tokenizer())) == [["one", "two"], ["three"], ["four"], ["five", "six"]]


def test_stdin(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"a b\nc\n")))
    assert list(iter_sentences(["-"], make_tokenizer())) == [["a", "b"], ["c"]]


def test_long_lines_are_cut_into_pieces_never_dropped(tmp_path):
    path = tmp_path / "long.txt"
    words = [f"w{i}" for i in range(25)]
    path.write_text(" ".join(words) + "\nshort line\n")
    got = list(iter_sentences([path], make_tokenizer(), max_sentence_length=10))
    assert got == [words[:10], words[10:20], words[20:], ["short", "line"]]


def test_line_longer_than_a_read_block_streams_without_splitting_tokens(tmp_path):
    path = tmp_path / "one_line.txt"
    words = [f"word{i}" for i in range(5000)]
    path.write_text(" ".join(words))
    # Blocks of 100 characters: the line arrives in many pieces, cut at spaces.
    got = list(iter_sentences([path], make_tokenizer(), max_sentence_length=1000, block_chars=100))
    assert [len(s) for s in got] == [1000] * 5
    assert sum(got, []) == words


def test_missing_file_is_a_corpus_error(tmp_path):
    with pytest.raises(CorpusError, match="does not exist"):
        list(iter_sentences([tmp_path / "nope.txt"], make_tokenizer()))


def test_directory_is_a_corpus_error(tmp_path):
    with pytest.raises(CorpusError, match="is a directory"):
        list(iter_sentences([tmp_path], make_tokenizer()))


def test_invalid_utf8_is_replaced(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"good \xff\xfe word\n")
    assert list(iter_sentences([path], make_tokenizer("whitespace"))) == [["good", "\ufffd\ufffd", "word"]]


@pytest.mark.parametrize("lowercase", [True, False])
@pytest.mark.parametrize("text", ["plain ascii words 42 and\tTabs", "Mixed, punct-uation!", "über naïve",
                                  "a\x1cb\u2028c", "under_score", "__dunder__", ""])
def test_words_fast_path_agrees_with_regex(text, lowercase):

    expected = word_pattern().findall(text.lower() if lowercase else text)
    assert make_tokenizer("words", lowercase=lowercase)(text) == expected


def test_words_keep_combining_marks_and_compose():
    import unicodedata

    tok = make_tokenizer("words")
    assert tok("हिन्दी भाषा") == ["हिन्दी", "भाषा"]
    assert tok(unicodedata.normalize("NFD", "Naïve café")) == ["naïve", "café"]
    assert tok("naïve") == tok(unicodedata.normalize("NFD", "naïve"))
