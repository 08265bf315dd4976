import os
from pathlib import Path

import numpy as np
import pytest

from w2vcli.errors import VectorsFormatError, W2VError
from w2vcli.io import atomic_output, check_writable, load_word2vec_format, save_word2vec_format
from w2vcli.keyedvectors import KeyedVectors

WORDS = ["the", "café", "naïve", "Troll2", "日本", "x"]
ZERO2 = np.zeros(2, "<f4").tobytes()  # a 2-d binary vector


@pytest.fixture
def kv() -> KeyedVectors:
    rng = np.random.default_rng(42)
    vectors = rng.standard_normal((len(WORDS), 7)).astype(np.float32)
    # values whose shortest decimal needs all 9 digits, plus extremes and a zero
    after_tenth = np.nextafter(np.float32(0.1), np.float32(1))
    vectors[0, :4] = [np.float32(1 / 3), after_tenth, 3.4028235e38, 1e-45]
    vectors[1, 0] = -0.0
    vectors[2] = 0.0
    return KeyedVectors(WORDS, vectors, counts=np.arange(len(WORDS), 0, -1))


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# -- round trips --------------------------------------------------------------------------------


@pytest.mark.parametrize("binary", [False, True])
def test_round_trip_is_exact(tmp_path, kv, binary):
    path = tmp_path / "vectors"
    save_word2vec_format(kv, path, binary=binary)
    for flag in (binary, None):  # explicit and autodetected
        loaded = load_word2vec_format(path, binary=flag)
        assert loaded.index_to_key == WORDS
        assert loaded.vectors.dtype == np.float32
        np.testing.assert_array_equal(loaded.vectors, kv.vectors)
        assert loaded.counts is None


def test_text_layout(tmp_path):
    path = tmp_path / "v.txt"
    save_word2vec_format(KeyedVectors(["a", "b"], [[0.5, -2.0], [1 / 3, 1e-7]]), path)
    assert path.read_text(encoding="utf-8") == "2 2\na 0.5 -2\nb 0.333333343 1.00000001e-07\n"


def test_binary_layout(tmp_path):
    path = tmp_path / "v.bin"
    save_word2vec_format(KeyedVectors(["a", "é"], [[0.5, -2.0], [1.0, 0.0]]), path, binary=True)
    expected = (
        b"2 2\n"
        + b"a " + np.array([0.5, -2.0], "<f4").tobytes() + b"\n"
        + "é ".encode() + np.array([1.0, 0.0], "<f4").tobytes() + b"\n"
    )
    assert path.read_bytes() == expected


def test_text_round_trip_of_random_vectors_is_exact(tmp_path):
    rng = np.random.default_rng(0)
    scales = 10.0 ** rng.integers(-8, 8, (300, 1))
    vectors = (rng.standard_normal((300, 50)) * scales).astype(np.float32)
    kv = KeyedVectors([f"w{i}" for i in range(300)], vectors)
    save_word2vec_format(kv, tmp_path / "v.txt")
    np.testing.assert_array_equal(load_word2vec_format(tmp_path / "v.txt").vectors, vectors)


def test_save_rejects_words_that_would_corrupt_the_format(tmp_path):
    with pytest.raises(W2VError, match=r"cannot save word 'a b' \(index 1\)"):
        save_word2vec_format(KeyedVectors(["x", "a b"], np.zeros((2, 2))), tmp_path / "v.txt")
    assert not (tmp_path / "v.txt").exists()


# -- gensim interoperability --------------------------------------------------------------------


@pytest.mark.parametrize("binary", [False, True])
def test_gensim_reads_our_files(tmp_path, kv, binary):
    gensim_models = pytest.importorskip("gensim.models")
    path = tmp_path / "v"
    save_word2vec_format(kv, path, binary=binary)
    theirs = gensim_models.KeyedVectors.load_word2vec_format(str(path), binary=binary)
    assert list(theirs.index_to_key) == WORDS
    np.testing.assert_array_equal(theirs.vectors, kv.vectors)


@pytest.mark.parametrize("binary", [False, True])
def test_we_read_gensim_files(tmp_path, kv, binary):
    gensim_models = pytest.importorskip("gensim.models")
    theirs = gensim_models.KeyedVectors(vector_size=kv.vector_size)
    theirs.add_vectors(WORDS, kv.vectors)
    path = tmp_path / "v"
    theirs.save_word2vec_format(str(path), binary=binary)
    loaded = load_word2vec_format(path)  # autodetect; gensim's binary has no record newline
    assert loaded.index_to_key == WORDS
    np.testing.assert_array_equal(loaded.vectors, kv.vectors)  # gensim writes shortest repr


# -- tolerated variations -----------------------------------------------------------------------


def test_text_tolerates_crlf_trailing_spaces_and_bom(tmp_path):
    data = "\ufeff2 3\r\nfoo 1 2 3 \r\nbär\t4  5 6\t\r\n\r\n".encode()
    loaded = load_word2vec_format(_write(tmp_path / "v.txt", data))
    assert loaded.index_to_key == ["foo", "bär"]
    np.testing.assert_array_equal(loaded.vectors, [[1, 2, 3], [4, 5, 6]])


def test_binary_without_record_newlines(tmp_path):
    v = np.array([[1, 2], [3, 4]], "<f4")
    data = b"2 2\n" + b"a " + v[0].tobytes() + b"b " + v[1].tobytes()
    loaded = load_word2vec_format(_write(tmp_path / "v.bin", data))
    assert loaded.index_to_key == ["a", "b"]
    np.testing.assert_array_equal(loaded.vectors, v)


def test_invalid_utf8_words_are_escaped_not_fatal(tmp_path):
    data = b"2 2\ncaf\xe9 1 2\nok 3 4\n"
    loaded = load_word2vec_format(_write(tmp_path / "v.txt", data))
    assert loaded.index_to_key == ["caf\\xe9", "ok"]


# -- malformed files ----------------------------------------------------------------------------


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(VectorsFormatError, match="vectors file '.*nope.txt' not found"):
        load_word2vec_format(tmp_path / "nope.txt")
    path = _write(tmp_path / "empty.txt", b"")
    with pytest.raises(VectorsFormatError, match="the file is empty"):
        load_word2vec_format(path)
    with pytest.raises(VectorsFormatError, match="is a directory"):
        load_word2vec_format(tmp_path)


def test_bad_header_exact_message(tmp_path):
    path = _write(tmp_path / "v.txt", b"hello world 1\nfoo 1 2\n")
    with pytest.raises(VectorsFormatError) as info:
        load_word2vec_format(path)
    assert str(info.value) == (
        f"{path}: line 1: bad header 'hello world 1'; a word2vec file starts with "
        "'VOCAB_SIZE DIMENSION' (two positive integers), then one word and its vector per line"
    )


def test_short_row_exact_message(tmp_path):
    path = _write(tmp_path / "v.txt", b"3 3\na 1 2 3\nb 1 2\nc 1 2 3\n")
    with pytest.raises(VectorsFormatError) as info:
        load_word2vec_format(path)
    assert str(info.value) == (
        f"{path}: line 3: expected a word and 3 values (the header's dimension), "
        "found 2 values; fix the row or the header"
    )


@pytest.mark.parametrize(
    "data, binary, match",
    [
        (b"0 3\n", None, "line 1: bad header"),
        (b"2 -3\na 1\n", None, "line 1: bad header"),
        (b"2\na 1\n", None, "line 1: bad header"),
        (b"2 2 extra\na 1 2\n", None, "line 1: bad header"),
        (b"2 3\na 1 2 3\nb 1 2 3 4\n", None, "line 3: .* found 4 values"),
        (b"2 3\na 1 2 3\nb\n", None, "line 3: .* found 0 values"),
        (b"3 2\na 1 2\n\nb 1 2\n", None, "line 3: .* found an empty line"),
        (b"2 2\na 1 2\nb 1 x\n", None, "line 3: 'x' is not a number"),
        (b"2 2\na 1 2\nb 1 2,5\n", None, "line 3: '2,5' is not a number"),
        (b"2 2\na 1 2\na 3 4\n", None, "line 3: duplicate word 'a' \\(first on line 2\\)"),
        (b"3 2\na 1 2\nb 3 4\n", None, "header says 3 words but the file has only 2 rows"),
        (b"1 2\na 1 2\nb 3 4\n", None, "line 3: the header says 1 words but more rows follow"),
        (b"2 5\na 1 2 3\nb 1 2 3\n", None, "line 2: expected a word and 5 values .* found 3"),
        (b"2 2\na " + ZERO2 + b"\nb " + b"\0" * 5, True, "record 2 .* file ends inside it"),
        (b"1 2\na " + ZERO2 + b"\nextra stuff", True, "data continues after the 1 records"),
        (b"2 2\na " + ZERO2 + b"\na " + ZERO2, True, "record 2: duplicate word 'a'"),
    ],
)
def test_malformed_files(tmp_path, data, binary, match):
    path = _write(tmp_path / "bad", data)
    with pytest.raises(VectorsFormatError, match=match) as info:
        load_word2vec_format(path, binary=binary)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(str(path))


def test_malformed_first_text_row_is_reported_as_text(tmp_path):
    # autodetection must not mistake a broken text file for a binary one
    path = _write(tmp_path / "v.txt", b"2 4\nthe 0.1 0.2 oops 0.4\nof 0.5 0.6 0.7 0.8\n")
    with pytest.raises(VectorsFormatError, match="line 2: 'oops' is not a number"):
        load_word2vec_format(path)


# -- atomic writes ------------------------------------------------------------------------------


def test_atomic_output_replaces_on_success(tmp_path):
    path = tmp_path / "out.txt"
    path.write_text("old")
    with atomic_output(path) as f:
        f.write("new\n")
        assert path.read_text() == "old"  # not visible until the block ends
    assert path.read_bytes() == b"new\n"
    assert os.listdir(tmp_path) == ["out.txt"]


def test_atomic_output_keeps_old_file_when_body_raises(tmp_path):
    path = tmp_path / "out.bin"
    path.write_bytes(b"good")
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_output(path, "wb") as f:
            f.write(b"partial")
            raise RuntimeError("boom")
    assert path.read_bytes() == b"good"
    assert os.listdir(tmp_path) == ["out.bin"]


def test_atomic_output_keeps_permissions_of_replaced_file(tmp_path):
    path = tmp_path / "out.txt"
    path.write_text("old")
    path.chmod(0o640)
    with atomic_output(path) as f:
        f.write("new")
    assert path.stat().st_mode & 0o777 == 0o640
    fresh = tmp_path / "fresh.txt"
    with atomic_output(fresh) as f:
        f.write("x")
    umask = os.umask(0)
    os.umask(umask)
    assert fresh.stat().st_mode & 0o777 == 0o666 & ~umask


def test_check_writable(tmp_path):
    check_writable(tmp_path / "vectors.txt")  # fine, and leaves nothing behind
    assert os.listdir(tmp_path) == []
    with pytest.raises(W2VError, match="directory '.*missing' does not exist; create it first"):
        check_writable(tmp_path / "missing" / "vectors.txt")
    with pytest.raises(W2VError, match="is a directory; give a file name"):
        check_writable(tmp_path)
    with pytest.raises(W2VError, match="does not exist"):
        save_word2vec_format(KeyedVectors(["a"], [[1.0]]), tmp_path / "missing" / "v.txt")
