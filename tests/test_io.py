import bz2
import gzip
import lzma
import os
from pathlib import Path

import numpy as np
import pytest

from w2vcli.errors import VectorsFormatError, W2VError
from w2vcli.io import (
    atomic_output,
    check_writable,
    format_for_path,
    inspect_vectors_file,
    load_vectors,
    load_vectors_and_source,
    load_word2vec_format,
    read_header,
    save_word2vec_format,
    sniff_format,
    vectors_path_kind,
)
from w2vcli.keyedvectors import KeyedVectors, first_nonfinite
from w2vcli.model import ModelFormatError, SavedModel, check_finite, load_model, save_model

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


# -- word2vec.c's own files --------------------------------------------------------------------

W2V_C = np.array([[0.004, -0.002, 0.001, 0.0], [0.5, -1.25, 2.0, 3.5], [1e-3, 2e-3, -3e-3, 4e-3]],
                 "<f4")
W2V_C_WORDS = ["</s>", "the", "of"]  # word2vec.c writes its sentence-end token first


def _text_rows(header: str, eol: str, trailing: str) -> bytes:
    rows = [header]
    for word, vector in zip(W2V_C_WORDS, W2V_C):
        rows.append(word + " " + " ".join("%f" % x for x in vector) + trailing)
    return (eol.join(rows) + eol).encode()


@pytest.mark.parametrize("header", ["3 4", "3  4 ", " 3 4", "3\t4"])
@pytest.mark.parametrize("eol", ["\n", "\r\n"])
def test_word2vec_c_text_file(tmp_path, header, eol):
    # word2vec.c's text rows are "word %lf %lf ... %lf \n": a space before every line end.
    path = _write(tmp_path / "vectors.txt", _text_rows(header, eol, " "))
    loaded = load_word2vec_format(path)
    assert loaded.index_to_key == W2V_C_WORDS  # "</s>" is a real row, kept as a word
    np.testing.assert_array_equal(loaded.vectors, W2V_C)
    assert sniff_format(path) == "text" and read_header(path) == (3, 4)


@pytest.mark.parametrize("record_end", [b"\n", b""])  # word2vec.c writes "\n", gensim does not
@pytest.mark.parametrize("header", [b"3 4\n", b"3  4 \n", b"3 4\r\n"])
def test_word2vec_c_binary_file(tmp_path, record_end, header):
    data = header + b"".join(
        w.encode() + b" " + v.tobytes() + record_end for w, v in zip(W2V_C_WORDS, W2V_C)
    )
    path = _write(tmp_path / "vectors.bin", data)
    loaded = load_word2vec_format(path)
    assert loaded.index_to_key == W2V_C_WORDS
    np.testing.assert_array_equal(loaded.vectors, W2V_C)
    assert sniff_format(path) == "binary" and read_header(path) == (3, 4)
    assert inspect_vectors_file(path).first_words == W2V_C_WORDS


def test_sentence_end_token_is_written_back(tmp_path):
    kv = KeyedVectors(W2V_C_WORDS, W2V_C)
    for binary in (False, True):
        save_word2vec_format(kv, tmp_path / "v", binary=binary)
        assert load_word2vec_format(tmp_path / "v").index_to_key == W2V_C_WORDS


# -- describing a file without loading it -------------------------------------------------------


@pytest.mark.parametrize("binary", [False, True])
def test_inspect_vectors_file(tmp_path, kv, binary):
    path = tmp_path / "v"
    save_word2vec_format(kv, path, binary=binary)
    found = inspect_vectors_file(path, n_words=3)
    assert found.path == path
    assert found.format == ("binary" if binary else "text")
    assert (found.vocab_size, found.vector_size) == (len(WORDS), 7)
    assert found.size_bytes == path.stat().st_size
    assert found.first_words == WORDS[:3]
    assert inspect_vectors_file(path, n_words=100).first_words == WORDS
    assert inspect_vectors_file(path, n_words=0).first_words == []
    assert sniff_format(path) == found.format
    assert read_header(path) == (len(WORDS), 7)


@pytest.mark.parametrize("binary", [False, True])
def test_inspect_reads_only_the_start(tmp_path, binary):
    # The header announces 1000 words but the file stops after 2: loading fails, describing not.
    v = np.ones((2, 4), "<f4")
    if binary:
        data = b"1000 4\n" + b"".join(w + b" " + r.tobytes() + b"\n" for w, r in zip([b"a", b"b"], v))
    else:
        data = b"\xef\xbb\xbf1000 4\na 1 1 1 1\nb 1 1 1 1\n"  # with a UTF-8 BOM
    path = _write(tmp_path / "v", data)
    with pytest.raises(VectorsFormatError):
        load_word2vec_format(path)
    found = inspect_vectors_file(path, n_words=5)
    assert found.format == ("binary" if binary else "text")
    assert (found.vocab_size, found.vector_size) == (1000, 4)
    assert found.first_words == ["a", "b"]


def test_sniff_agrees_with_the_loader_on_a_broken_text_row(tmp_path):
    path = _write(tmp_path / "v.txt", b"2 4\nthe 0.1 0.2 oops 0.4\nof 0.5 0.6 0.7 0.8\n")
    assert sniff_format(path) == "text"


def test_header_readers_report_like_the_loader(tmp_path):
    for reader in (read_header, sniff_format, inspect_vectors_file):
        with pytest.raises(VectorsFormatError, match="vectors file '.*nope' not found"):
            reader(tmp_path / "nope")
        with pytest.raises(VectorsFormatError, match="the file is empty"):
            reader(_write(tmp_path / "empty", b"\n"))
        with pytest.raises(VectorsFormatError, match="line 1: bad header 'hello'"):
            reader(_write(tmp_path / "bad", b"hello\nfoo 1 2\n"))


def test_format_for_path():
    assert format_for_path("out/vectors.bin") == "binary"
    assert format_for_path(Path("vectors.txt")) == "text"
    assert format_for_path("vectors") == "text"


# -- load_vectors: files and model directories --------------------------------------------------


def _model(path: Path, words=WORDS) -> SavedModel:
    rng = np.random.default_rng(3)
    model = SavedModel(
        list(words),
        np.arange(len(words), 0, -1) * 10,
        rng.standard_normal((len(words), 5)).astype(np.float32),
        rng.standard_normal((len(words), 5)).astype(np.float32),
        meta={"config": {"epochs": 5}, "epochs_done": 5},
    )
    save_model(path, model)
    return model


@pytest.mark.parametrize("binary", [False, True])
def test_load_vectors_reads_files(tmp_path, kv, binary):
    path = tmp_path / "v"
    save_word2vec_format(kv, path, binary=binary)
    loaded = load_vectors(str(path))
    assert loaded.index_to_key == WORDS
    np.testing.assert_array_equal(loaded.vectors, kv.vectors)
    assert vectors_path_kind(path) == "file"


def test_load_vectors_reads_a_model_directory(tmp_path):
    model = _model(tmp_path / "model")
    loaded = load_vectors(tmp_path / "model")
    assert vectors_path_kind(tmp_path / "model") == "model"
    assert loaded.index_to_key == WORDS
    np.testing.assert_array_equal(loaded.vectors, model.w_in)  # W_in, not W_out
    assert loaded.vectors.dtype == np.float32 and loaded.vectors.flags.writeable
    np.testing.assert_array_equal(loaded.counts, model.counts)


def test_load_vectors_errors(tmp_path):
    with pytest.raises(W2VError) as info:
        load_vectors(tmp_path / "nope")
    assert str(info.value) == (
        f"'{tmp_path / 'nope'}' not found: no vectors file or model directory there; "
        "check the path, or train vectors with 'w2v train CORPUS'"
    )
    with pytest.raises(W2VError) as info:
        load_vectors(tmp_path)
    assert str(info.value) == (
        f"'{tmp_path}' is a directory but not a w2v model directory (no model.json in it); "
        "give a vectors file, or a directory written by 'w2v train --save-model DIR'"
    )
    _model(tmp_path / "model")
    (tmp_path / "model" / "w_in.npy").unlink()
    with pytest.raises(ModelFormatError, match="cannot read the weight matrices"):
        load_vectors(tmp_path / "model")


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
        (b"1 2\na 1 2\nb 3 4\n", None, "line 3: the header says 1 word but more rows follow"),
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


# -- compressed files ---------------------------------------------------------------------------

COMPRESSORS = {"gzip": gzip.compress, "bzip2": bz2.compress, "xz": lzma.compress}


@pytest.mark.parametrize("kind", sorted(COMPRESSORS))
@pytest.mark.parametrize("binary", [False, True])
def test_compressed_files_round_trip(tmp_path, kv, kind, binary):
    plain = tmp_path / "plain"
    save_word2vec_format(kv, plain, binary=binary)
    # Found from the first bytes, not the name: "vectors.bin" that is really compressed loads too.
    packed = _write(tmp_path / "vectors.bin", COMPRESSORS[kind](plain.read_bytes()))
    loaded, source = load_vectors_and_source(packed)
    assert loaded.index_to_key == WORDS
    np.testing.assert_array_equal(loaded.vectors, kv.vectors)
    fmt = "binary" if binary else "text"
    assert (source.format, source.compression, source.header) == (fmt, kind, True)
    assert source.label == f"{fmt}, {kind}"
    np.testing.assert_array_equal(load_word2vec_format(packed, binary=binary).vectors, kv.vectors)
    assert sniff_format(packed) == fmt and read_header(packed) == (len(WORDS), 7)
    found = inspect_vectors_file(packed, n_words=4)
    assert (found.format, found.compression, found.label) == (fmt, kind, f"{fmt}, {kind}")
    assert found.first_words == WORDS[:4] and found.size_bytes == packed.stat().st_size


@pytest.mark.parametrize("kind", sorted(COMPRESSORS))
def test_damaged_compressed_files_say_so_in_one_line(tmp_path, kv, kind):
    plain = tmp_path / "plain"
    save_word2vec_format(kv, plain)
    data = COMPRESSORS[kind](plain.read_bytes())
    truncated = _write(tmp_path / "cut.txt.gz", data[: len(data) // 2])
    for reader in (load_word2vec_format, read_header, inspect_vectors_file):
        with pytest.raises(VectorsFormatError, match=f"{kind}-compressed data") as info:
            reader(truncated)
        assert str(info.value).startswith(str(truncated)) and "\n" not in str(info.value)
    damaged = bytearray(data)
    damaged[len(data) // 2 : len(data) // 2 + 8] = b"\xa5" * 8
    damaged_path = _write(tmp_path / "bad.txt.gz", bytes(damaged))
    with pytest.raises(VectorsFormatError, match=f"{damaged_path}: the {kind}-compressed data"):
        load_word2vec_format(damaged_path)


@pytest.mark.parametrize("head, what", [(b"\x28\xb5\x2f\xfd\x00\x00", "zstd-compressed, not a vectors file; decompress it first .zstd -d"),
                                        (b"PK\x03\x04\x14\x00", "a zip archive, not a vectors file; unzip it")])
def test_zstd_and_zip_are_named_not_misread(tmp_path, head, what):
    path = _write(tmp_path / "vectors.txt", head + b"\x00" * 40)
    for reader in (load_word2vec_format, sniff_format, inspect_vectors_file):
        with pytest.raises(VectorsFormatError, match=f"the file is {what}"):
            reader(path)


def test_a_word_starting_with_bzh_is_not_bzip2(tmp_path):
    path = _write(tmp_path / "v.txt", b"BZh9 0.5 0.25\nx 1 2\n")  # a GloVe row, not a signature
    assert load_word2vec_format(path).index_to_key == ["BZh9", "x"]


# -- GloVe: no header line ----------------------------------------------------------------------

GLOVE = b"the 0.418 0.24968 -0.41242\n, 0.013441 0.23682 -0.16899\nking 0.5 1e-3 -2\n"


def test_glove_text_is_detected_and_read(tmp_path):
    path = _write(tmp_path / "glove.6B.3d.txt", GLOVE)
    kv, source = load_vectors_and_source(path)
    assert kv.index_to_key == ["the", ",", "king"]
    np.testing.assert_array_equal(kv.vectors[2], np.float32([0.5, 1e-3, -2]))
    assert (source.format, source.header, source.label) == ("text", False, "GloVe text")
    assert load_word2vec_format(path, binary=False).index_to_key == kv.index_to_key
    assert sniff_format(path) == "text" and read_header(path) == (3, 3)
    found = inspect_vectors_file(path, n_words=2)
    assert (found.vocab_size, found.vector_size, found.header) == (3, 3, False)
    assert found.first_words == ["the", ","] and found.label == "GloVe text"
    # Trailing blank lines are no rows, for the loader and for the count alike.
    padded = _write(tmp_path / "padded.txt", GLOVE + b"\n \n")
    assert len(load_word2vec_format(padded)) == read_header(padded)[0] == 3


def test_compressed_glove_with_a_long_first_line(tmp_path):
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((3, 20000)).astype(np.float32)  # line 1 is ~200 KB
    text = "".join(f"w{i} " + " ".join(f"{x:.9g}" for x in row) + "\n"
                   for i, row in enumerate(vectors))
    path = _write(tmp_path / "glove.txt.gz", gzip.compress(text.encode()))
    kv, source = load_vectors_and_source(path)
    np.testing.assert_array_equal(kv.vectors, vectors)
    assert (source.header, source.compression) == (False, "gzip")
    assert read_header(path) == (3, 20000)
    assert inspect_vectors_file(path).first_words == ["w0", "w1", "w2"]


def test_binary_forced_on_a_file_without_header_is_a_bad_header(tmp_path):
    path = _write(tmp_path / "glove.txt", GLOVE)
    with pytest.raises(VectorsFormatError, match="line 1: bad header"):
        load_word2vec_format(path, binary=True)


@pytest.mark.parametrize(
    "data, match",
    [
        # all integers: a header with a stray number, not a GloVe row
        (b"100 200 300\nthe 0.1 0.2\n", "line 1: bad header '100 200 300'"),
        (b"the 0.1\nof 0.2\n", "line 1: bad header 'the 0.1'"),  # one value: not taken as GloVe
        (b"hello 1.5 2\nthis is prose, not vectors\n",
         "line 2: expected a word and 2 values \\(as on line 1: the file has no header line, so "
         "it is read as GloVe text\\), found 4 values; fix the row$"),
        (b"a 1.5 2\nb 1 x\n", "line 2: 'x' is not a number"),
        (b"a 1.5 2\n\nb 1 2\n", "line 2: .* found an empty line"),
        (b"a 1.5 2\na 1 2\n", "line 2: duplicate word 'a' \\(first on line 1\\)"),
        (b"a 1.5 2\nb 1 nan\n", "line 2: value 2 of 'b' is nan"),
    ],
)
def test_files_without_a_header_that_are_not_glove_fail_cleanly(tmp_path, data, match):
    path = _write(tmp_path / "v.txt", data)
    with pytest.raises(VectorsFormatError, match=match) as info:
        load_word2vec_format(path)
    assert str(info.value).startswith(f"{path}: ") and "\n" not in str(info.value)


# -- non-finite values --------------------------------------------------------------------------


@pytest.mark.parametrize("value", [b"nan", b"NaN", b"inf", b"-inf", b"-Infinity"])
def test_non_finite_text_values_name_the_line_word_and_fix(tmp_path, value):
    path = _write(tmp_path / "v.txt", b"3 2\na 1 2\nb 3 " + value + b"\nc 5 6\n")
    with pytest.raises(VectorsFormatError) as info:
        load_vectors(path)
    assert str(info.value) == (
        f"{path}: line 3: value 2 of 'b' is {value.decode()}; vectors must be finite numbers: fix "
        "or delete the row, or retrain (training that diverged writes nan; use a smaller --alpha)"
    )


def test_a_text_value_beyond_float32_is_named(tmp_path):
    path = _write(tmp_path / "v.txt", b"2 2\na 1 2\nb 1e39 0\n")
    with pytest.raises(VectorsFormatError, match="line 3: value 1 of 'b', 1e39, is beyond "
                                                 "float32's range"):
        load_word2vec_format(path)
    # 3.4028235e38 itself (float32's largest) is fine
    ok = _write(tmp_path / "ok.txt", b"1 2\na 3.4028235e38 -3.4028235e38\n")
    assert np.isfinite(load_word2vec_format(ok).vectors).all()


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_binary_values_name_the_record_and_word(tmp_path, value):
    rows = np.arange(12, dtype="<f4").reshape(3, 4)
    rows[2, 1] = value
    data = b"3 4\n" + b"".join(w + b" " + r.tobytes() + b"\n" for w, r in zip([b"a", b"b", b"c"], rows))
    path = _write(tmp_path / "v.bin", gzip.compress(data))  # and compressed, for good measure
    with pytest.raises(VectorsFormatError) as info:
        load_word2vec_format(path)
    assert str(info.value) == (
        f"{path}: record 3 ('c'): value 2 is {float(value)}; vectors must be finite numbers: "
        "re-create the file, or retrain (training that diverged writes nan; use a smaller --alpha)"
    )


def test_a_model_directory_with_nan_weights_is_refused(tmp_path):
    model = _model(tmp_path / "model")
    model.w_in[4, 2] = np.nan
    np.save(tmp_path / "model" / "w_in.npy", model.w_in)
    with pytest.raises(ModelFormatError) as info:
        load_vectors(tmp_path / "model")
    assert str(info.value) == (
        f"{tmp_path / 'model' / 'w_in.npy'}: the vector of '日本' (row 4, vocab.tsv line 5) holds "
        "nan (value 3); the model's training diverged or the file is damaged: retrain it (with a "
        "smaller --alpha if it diverged)"
    )
    # w_out is not read by queries, so it is not checked for them
    model = _model(tmp_path / "other")
    model.w_out[0, 0] = np.inf
    np.save(tmp_path / "other" / "w_out.npy", model.w_out)
    assert len(load_vectors(tmp_path / "other")) == len(WORDS)
    with pytest.raises(ModelFormatError, match="w_out.npy: row 0 holds inf"):
        check_finite(tmp_path / "other", load_model(tmp_path / "other"))


def test_first_nonfinite_scans_in_blocks():
    a = np.zeros((3000, 700), dtype=np.float32)
    assert first_nonfinite(a) is None
    a[2999, 699] = np.nan
    a[1500, 3] = -np.inf
    assert first_nonfinite(a) == 1500 * 700 + 3
    assert first_nonfinite(np.zeros((0, 4), np.float32)) is None


def test_a_binary_record_of_printable_bytes_is_still_read_as_binary(tmp_path):
    """0x41414141 (12.078431) is 'AAAA': a binary record can be all printable ASCII, even with
    spaces, and pass for a broken text row; a file laid out exactly as binary records is read
    as binary (found by hypothesis)."""
    vectors = np.frombuffer(b"AAAA(9X! zz} ~q0", dtype="<f4").reshape(1, 4).copy()
    kv = KeyedVectors(["w"], vectors)
    path = tmp_path / "v.bin"
    save_word2vec_format(kv, path, binary=True)
    back = load_word2vec_format(path)
    assert np.array_equal(back.vectors.view(np.uint32), vectors.view(np.uint32))
