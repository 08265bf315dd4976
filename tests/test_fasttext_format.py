"""fastText's .bin: the bytes written, read back, refused when quantized, supervised or
damaged, and read by the real clients: ``fasttext.load_model`` and gensim's
``load_facebook_model`` / ``load_facebook_vectors`` give the same vectors as w2v, in and out of
the vocabulary (both are test-only dependencies; their tests skip without them)."""

import re
import struct
import warnings

import numpy as np
import pytest
from conftest import assert_one_line_error, run_cli
from subword_models import BUCKET, DIM, WORDS, make_subword_model, subword_model

from w2vcli.fasttext_format import (FASTTEXT_MAGIC, FastTextFormatError, is_fasttext_bin,
                                    model_dir_to_fasttext, read_fasttext_bin,
                                    write_fasttext_bin, write_fasttext_model)
from w2vcli.io import load_vectors
from w2vcli.keyedvectors import KeyedVectors, SubwordKeyedVectors
from w2vcli.subwords import compose

#: Words never seen: long, short, non-ASCII, and one whose n-grams are the vocabulary's.
UNSEEN = ["kingdomz", "unseenword", "ab", "x", "über", "東京都", "QUEEN"]
TOLERANCE = 1e-6


def composed(saved, word: str) -> np.ndarray:
    """w2v's vector of ``word`` (subwords.compose over the saved input matrix)."""
    config = saved.meta["config"]
    index = {w: i for i, w in enumerate(saved.words)}
    return compose(word, index, saved.w_in, config["minn"], config["maxn"], config["bucket"])


@pytest.fixture
def saved():
    return subword_model()


@pytest.fixture
def binfile(tmp_path, saved):
    path = tmp_path / "model.bin"
    model_dir_to_fasttext(path, saved)
    return path


# -- the bytes ----------------------------------------------------------------------------------


def test_layout_is_fasttexts_save_model(binfile, saved):
    data = binfile.read_bytes()
    magic, version = struct.unpack_from("<2i", data, 0)
    assert (magic, version) == (FASTTEXT_MAGIC, 12)
    args = struct.unpack_from("<12id", data, 8)
    # dim, ws, epoch, minCount, neg, wordNgrams, loss (ns 2), model (sg 2), bucket, minn, maxn,
    # lrUpdateRate, t
    assert args == (DIM, 5, 5, 1, 5, 1, 2, 2, BUCKET, 3, 6, 100, 1e-3)
    pos = 8 + 12 * 4 + 8
    size, nwords, nlabels, ntokens, pruneidx = struct.unpack_from("<3iqq", data, pos)
    assert (size, nwords, nlabels, ntokens, pruneidx) == \
        (len(WORDS), len(WORDS), 0, int(saved.counts.sum()), -1)
    pos += 28
    for word, count in zip(WORDS, saved.counts):
        raw = word.encode()
        assert data[pos:pos + len(raw) + 1] == raw + b"\0"
        pos += len(raw) + 1
        assert struct.unpack_from("<qb", data, pos) == (count, 0)
        pos += 9
    assert data[pos] == 0  # quant_input
    assert struct.unpack_from("<2q", data, pos + 1) == (len(WORDS) + BUCKET, DIM)
    pos += 17
    matrix = np.frombuffer(data, "<f4", (len(WORDS) + BUCKET) * DIM, pos)
    assert np.array_equal(matrix.reshape(-1, DIM), saved.w_in)
    pos += matrix.nbytes
    assert data[pos] == 0  # qout
    assert struct.unpack_from("<2q", data, pos + 1) == (len(WORDS), DIM)
    assert len(data) == pos + 17 + len(WORDS) * DIM * 4
    assert b"</s>" not in data


def test_read_back(binfile, saved):
    model = read_fasttext_bin(binfile)
    assert model.words == WORDS and model.counts.tolist() == saved.counts.tolist()
    assert np.array_equal(model.input_matrix, saved.w_in)
    assert np.array_equal(model.output_matrix, saved.w_out)
    assert model.args["model"] == "sg" and model.args["loss"] == "ns"
    assert (model.minn, model.maxn, model.bucket, model.version) == (3, 6, BUCKET, 12)
    assert is_fasttext_bin(binfile) and not is_fasttext_bin(binfile.parent)


def test_hierarchical_softmax_output_gets_fasttexts_v_rows(tmp_path):
    saved = subword_model(loss="hs", model="cbow")
    path = tmp_path / "hs.bin"
    model_dir_to_fasttext(path, saved)
    model = read_fasttext_bin(path)
    assert model.args["loss"] == "hs" and model.args["model"] == "cbow"
    assert model.output_matrix.shape == (len(WORDS), DIM)
    assert np.array_equal(model.output_matrix[:-1], saved.w_out)
    assert not model.output_matrix[-1].any()


def test_word_model_has_no_buckets(tmp_path):
    saved = subword_model(maxn=0)
    path = tmp_path / "words.bin"
    model_dir_to_fasttext(path, saved)
    model = read_fasttext_bin(path)
    assert (model.minn, model.maxn, model.bucket) == (0, 0, 0) and not model.has_subwords
    kv = load_vectors(path)
    assert type(kv) is KeyedVectors and np.array_equal(kv.vectors, saved.w_in)


def test_write_fasttext_model_takes_a_config_object(tmp_path, saved):
    class Config:  # as TrainConfig: attributes, 'negative' for neg
        model, loss, window, negative, epochs, sample = "cbow", "ns", 8, 3, 2, 0.0
        minn, maxn, bucket = 3, 6, BUCKET

    path = tmp_path / "c.bin"
    write_fasttext_model(path, saved.words, saved.counts, saved.w_in, saved.w_out, Config(),
                         min_count=7, ntokens=12345)
    model = read_fasttext_bin(path)
    a = model.args
    assert (a["model"], a["ws"], a["neg"], a["epoch"], a["t"], a["min_count"]) == \
        ("cbow", 8, 3, 2, 0.0, 7)
    assert model.ntokens == 12345


def test_a_fasttext_bin_is_rewritten_byte_for_byte(binfile, tmp_path):
    model = read_fasttext_bin(binfile)
    a = model.args
    again = tmp_path / "again.bin"
    write_fasttext_bin(again, model.words, model.counts, model.input_matrix, model.output_matrix,
                       minn=a["minn"], maxn=a["maxn"], bucket=a["bucket"], model=a["model"],
                       loss=a["loss"], window=a["ws"], neg=a["neg"], epochs=a["epoch"],
                       min_count=a["min_count"], sample=a["t"], ntokens=model.ntokens)
    assert again.read_bytes() == binfile.read_bytes()


# -- refused --------------------------------------------------------------------------------------


@pytest.mark.parametrize("change, message", [
    (dict(words=WORDS[:-1] + ["nul\0word"]), "holds a NUL character"),
    (dict(bucket=BUCKET + 1), "expected 19 word rows + 51 buckets"),
    (dict(bucket=0), "need 1 <= minn <= maxn and at least one bucket"),
    (dict(model="sup"), "model 'sup' is not one of cbow, sg"),
    (dict(loss="ova"), "loss 'ova' is not one of"),
])
def test_write_refuses_what_fasttext_could_not_read(tmp_path, saved, change, message):
    kwargs = dict(words=saved.words, minn=3, maxn=6, bucket=BUCKET, model="sg", loss="ns")
    kwargs.update(change)
    words = kwargs.pop("words")
    with pytest.raises(FastTextFormatError, match=re.escape(message)):
        write_fasttext_bin(tmp_path / "x.bin", words, saved.counts, saved.w_in, saved.w_out,
                           **kwargs)
    assert not list(tmp_path.iterdir())


def test_write_refuses_nan(tmp_path, saved):
    saved.w_in[2, 3] = np.nan
    with pytest.raises(FastTextFormatError, match="the row of 'queen' of the input matrix holds nan"):
        model_dir_to_fasttext(tmp_path / "x.bin", saved)


def _patched(data: bytes, offset: int, fmt: str, *values) -> bytes:
    out = bytearray(data)
    struct.pack_into(fmt, out, offset, *values)
    return bytes(out)


def test_read_refuses_supervised_quantized_and_damaged_files(binfile, tmp_path):
    data = binfile.read_bytes()
    args_at, dict_at = 8, 8 + 56
    quant_at = dict_at + 28 + sum(len(w.encode()) + 10 for w in WORDS)
    cases = {
        "supervised": (_patched(data, args_at + 7 * 4, "<i", 3), "a supervised fastText model"),
        "labels": (_patched(data, dict_at + 8, "<i", 2), "a supervised fastText model (2 labels"),
        "label entry": (_patched(data, dict_at + 28 + 4 + 8, "<b", 1), "is a label, not a word"),
        "quantized": (_patched(data, quant_at, "<?", True), "a quantized fastText model (.ftz"),
        "newer": (_patched(data, 4, "<i", 13), "written by a newer fastText (format version 13"),
        "magic": (_patched(data, 0, "<i", 1234), "not a fastText model"),
        "shape": (_patched(data, quant_at + 1, "<q", 7), "the input matrix is 7 x 16"),
        "trailing": (data + b"\0\0", "2 bytes follow the output matrix"),
    }
    for name, (content, message) in cases.items():
        path = tmp_path / f"{name}.bin"
        path.write_bytes(content)
        with pytest.raises(FastTextFormatError, match=re.escape(message)) as info:
            read_fasttext_bin(path)
        assert str(info.value).startswith(f"{path}: ") and "\n" not in str(info.value), name


@pytest.mark.parametrize("cut", [3, 20, 70, 100, 400, 1000, -100, -1])
def test_read_refuses_a_truncated_file(binfile, tmp_path, cut):
    data = binfile.read_bytes()
    path = tmp_path / "cut.bin"
    path.write_bytes(data[:cut])
    with pytest.raises(FastTextFormatError, match="truncated|not a fastText model"):
        read_fasttext_bin(path)


def test_read_refuses_nan_naming_the_word_or_bucket(binfile, tmp_path):
    data = binfile.read_bytes()
    matrix_at = 8 + 56 + 28 + sum(len(w.encode()) + 10 for w in WORDS) + 1 + 16
    for row, message in ((2, "the row of 'queen' in the input matrix holds nan"),
                         (len(WORDS) + 4, "n-gram bucket 4 in the input matrix holds inf")):
        path = tmp_path / f"{row}.bin"
        path.write_bytes(_patched(data, matrix_at + 4 * DIM * row + 8, "<f",
                                  np.nan if row == 2 else np.inf))
        with pytest.raises(FastTextFormatError, match=message):
            read_fasttext_bin(path)


# -- the real clients -------------------------------------------------------------------------


def test_gensim_loads_it_with_the_same_vectors(binfile, saved):
    pytest.importorskip("gensim")
    from gensim.models.fasttext import load_facebook_model, load_facebook_vectors

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = load_facebook_model(str(binfile))
        vectors = load_facebook_vectors(str(binfile))
    assert list(vectors.index_to_key) == WORDS and list(model.wv.index_to_key) == WORDS
    assert model.sg == 1 and model.negative == 5 and model.wv.bucket == BUCKET
    assert np.abs(model.syn1neg - saved.w_out).max() == 0
    for word in WORDS + UNSEEN:
        mine = composed(saved, word)
        assert np.abs(model.wv[word] - mine).max() <= TOLERANCE, word
        assert np.abs(vectors[word] - mine).max() <= TOLERANCE, word


def test_fasttext_loads_it_with_the_same_vectors(binfile, saved):
    fasttext = pytest.importorskip("fasttext")
    model = fasttext.load_model(str(binfile))
    assert model.words == WORDS
    assert np.array_equal(model.get_input_matrix(), saved.w_in)
    assert np.array_equal(model.get_output_matrix(), saved.w_out)
    for word in WORDS + UNSEEN:
        assert np.abs(model.get_word_vector(word) - composed(saved, word)).max() <= TOLERANCE, \
            word
    kv = load_vectors(binfile)
    neighbours = model.get_nearest_neighbors("kingdomz", k=3)
    mine = kv.most_similar("kingdomz", topn=3)
    assert [w for _, w in neighbours] == [w for w, _ in mine]
    assert np.allclose([s for s, _ in neighbours], [s for _, s in mine], atol=1e-5)


def test_fasttext_and_gensim_load_a_word_model(tmp_path):
    saved = subword_model(maxn=0, loss="hs")
    path = tmp_path / "words.bin"
    model_dir_to_fasttext(path, saved)
    gensim_fasttext = pytest.importorskip("gensim.models.fasttext")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        vectors = gensim_fasttext.load_facebook_vectors(str(path))
    assert np.array_equal(vectors.vectors, saved.w_in)
    fasttext = pytest.importorskip("fasttext")
    model = fasttext.load_model(str(path))
    assert np.array_equal(model.get_word_vector("king"), saved.w_in[1])
    assert not model.get_word_vector("unseenword").any()  # fastText: no n-grams, zeros


@pytest.fixture
def fasttexts_own(tmp_path):
    """A .bin trained by fastText itself (tiny: 200 lines, dim 8, 10,000 buckets, 1 epoch).

    10 threads: fastText initialises its input matrix in tenths, one per thread
    (``DenseMatrix::uniformThread``), so with fewer the rest is left as allocated and
    training failed at random here with "Encountered NaN" (fastText 0.9.3). 20 words (with
    ``</s>``) + 10,000 buckets times 8 values divide by 10, so every value is initialised.
    """
    fasttext = pytest.importorskip("fasttext")
    rng = np.random.default_rng(0)
    corpus = tmp_path / "corpus.txt"
    lines = [" ".join(rng.choice(WORDS, 10)) for _ in range(200)]
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    model = fasttext.train_unsupervised(str(corpus), model="skipgram", dim=8, minCount=1,
                                        bucket=10000, epoch=1, thread=10, verbose=0)
    path = tmp_path / "fasttext.bin"
    model.save_model(str(path))
    return model, path


def test_fasttexts_own_bin_is_read_with_its_end_of_sentence_word(fasttexts_own, tmp_path):
    model, path = fasttexts_own
    kv = load_vectors(path)
    assert isinstance(kv, SubwordKeyedVectors)
    assert kv.index_to_key == model.words and kv.index_to_key[0] == "</s>"
    for word in model.words + UNSEEN:
        assert np.abs(kv[word] - model.get_word_vector(word)).max() <= TOLERANCE, word
    again = tmp_path / "again.bin"  # read and written back: the same bytes
    result = run_cli("convert", path, again, "--format", "fasttext")
    assert result.exit_code == 0, result.output
    assert again.read_bytes() == path.read_bytes()


def test_convert_model_dir_to_fasttext(tmp_path):
    saved = make_subword_model(tmp_path / "run")
    out = tmp_path / "run.bin"
    result = run_cli("convert", tmp_path / "run", out, "--format", "fasttext")
    assert result.exit_code == 0, result.output
    assert "(fastText .bin): 19 words x 16 dims, character n-grams of 3-6 in 50 buckets" in \
        result.output
    assert np.array_equal(read_fasttext_bin(out).input_matrix, saved.w_in)
    words_only = make_subword_model(tmp_path / "words", maxn=0)
    result = run_cli("convert", tmp_path / "words", tmp_path / "words.bin", "--format",
                     "fasttext")
    assert result.exit_code == 0 and "no character n-grams" in result.output
    assert np.array_equal(read_fasttext_bin(tmp_path / "words.bin").input_matrix,
                          words_only.w_in)


def test_convert_to_fasttext_refuses_a_vectors_file_and_top(tmp_path):
    make_subword_model(tmp_path / "run")
    text = tmp_path / "vectors.txt"
    assert run_cli("convert", tmp_path / "run", text).exit_code == 0
    assert_one_line_error(
        run_cli("convert", text, tmp_path / "x.bin", "--format", "fasttext"),
        f"{text} is a vectors file; a fastText .bin needs a model directory (w2v train "
        "--save-model DIR), which has the counts and output vectors a vectors file lacks")
    result = run_cli("convert", tmp_path / "run", tmp_path / "x.bin", "--format", "fasttext",
                     "--top", "3")
    assert result.exit_code == 2 and "--top" in result.output
    assert not (tmp_path / "x.bin").exists()


def test_convert_fasttext_bin_to_text_writes_the_composed_vectors(binfile, saved, tmp_path):
    out = tmp_path / "model.vec"
    result = run_cli("convert", binfile, out)
    assert result.exit_code == 0, result.output
    assert "(fastText .bin)" in result.output
    kv = load_vectors(out)
    for word in WORDS:
        assert np.array_equal(kv[word], composed(saved, word))


def test_info_describes_a_fasttext_bin(binfile):
    result = run_cli("info", binfile, "-n", "2")
    assert result.exit_code == 0, result.output
    for text in ("fastText .bin (version 12)", "3 to 6 characters in 50 buckets", "sg, ns",
                 "the (190), king (180)"):
        assert text in result.output
