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


# -- marks, variation selectors, zero-width characters -----------------------------------------


def test_a_lone_variation_selector_is_no_word():
    # U+2764 U+FE0F: the heart emoji with its presentation selector, between two spaces.
    assert make_tokenizer("words")("I \u2764\ufe0f pizza") == ["i", "pizza"]
    assert make_tokenizer("whitespace")("I \u2764\ufe0f pizza") == ["I", "\u2764\ufe0f", "pizza"]
    assert make_tokenizer("whitespace")("I \u2764 \ufe0f pizza \u200d \u0301") == [
        "I", "\u2764", "pizza"]


def test_words_keep_marks_on_letters_and_drop_invisible_characters():
    import unicodedata

    tok = make_tokenizer("words")
    assert tok("Cafe\u0301") == tok("Café") == ["café"]  # a combining acute stays on its letter
    assert tok("x \u0301 y") == ["x", "y"]  # a mark on nothing is no word
    assert tok("hy\u00adphen wo\u2060rd a\ufe0fb") == ["hyphen", "word", "ab"]  # removed, not cuts
    assert tok("\u845b\U000e0100\u57ce") == ["\u845b\u57ce"]  # an ideographic variation sequence
    assert tok("\u0e20\u0e32\u0e29\u0e32\u200b\u0e44\u0e17\u0e22") == ["\u0e20\u0e32\u0e29\u0e32",
                                                                      "\u0e44\u0e17\u0e22"]
    assert tok("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645") == [
        "\u0645\u06cc\u062e\u0648\u0627\u0647\u0645"]  # ZWNJ inside a Persian word: one word
    assert tok("\u3164 \u3164x \U0001f468\u200d\U0001f469 1\u20e3") == ["x", "1\u20e3"]
    assert tok(unicodedata.normalize("NFD", "ÉCOLE")) == ["école"]


def test_default_ignorable_table_covers_this_pythons_format_characters():
    """Every format character (Cf) is default-ignorable but those Unicode leaves visible
    (prepended concatenation marks, interlinear annotation, Egyptian hieroglyph controls)."""
    import sys
    import unicodedata

    from w2vcli.tokenize import _DEFAULT_IGNORABLE, is_invisible

    table = {c for a, b in _DEFAULT_IGNORABLE for c in range(a, b + 1)}
    visible = {0x0600, 0x0601, 0x0602, 0x0603, 0x0604, 0x0605, 0x06DD, 0x070F, 0x0890, 0x0891,
               0x08E2, 0x110BD, 0x110CD, 0xFFF9, 0xFFFA, 0xFFFB, *range(0x13430, 0x13456)}
    for c in range(sys.maxunicode + 1):
        if unicodedata.category(chr(c)) == "Cf" and c not in visible:
            assert c in table, hex(c)
    for c in (0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180B, 0x180F, 0x3164, 0xFE00, 0xFE0F,
              0xFFA0, 0xE0100, 0xE01EF):  # default-ignorable marks and letters
        assert c in table and is_invisible(chr(c)), hex(c)
    assert all(is_invisible(chr(c)) for c in (0x0301, 0x20E3, 0x093F))  # marks
    assert not any(is_invisible(t) for t in ("", "a", "\u2764\ufe0f", " ", "a\u0301", "\ufffd"))
