"""``w2v convert`` and ``w2v info``, and model directories as ``-v`` for the query commands."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from conftest import run_cli as run
from w2vcli.io import load_word2vec_format, save_word2vec_format
from w2vcli.keyedvectors import KeyedVectors
from w2vcli.model import SavedModel, save_model

WORDS = ["</s>", "cat", "dog", "red", "blue", "café", "日本"]
DIM = 6


@pytest.fixture
def kv() -> KeyedVectors:
    rng = np.random.default_rng(7)
    scales = 10.0 ** rng.integers(-6, 6, (len(WORDS), 1))
    vectors = (rng.standard_normal((len(WORDS), DIM)) * scales).astype(np.float32)
    vectors[0, 0] = np.float32(1 / 3)
    return KeyedVectors(WORDS, vectors)


@pytest.fixture
def model_dir(tmp_path) -> tuple[Path, SavedModel]:
    """A small model: cat/dog and red/blue point the same ways, so neighbours are known."""
    rng = np.random.default_rng(11)
    w_in = rng.standard_normal((len(WORDS), DIM)).astype(np.float32) * 0.05
    w_in[1:3, 0] += 1.0  # cat, dog
    w_in[3:5, 1] += 1.0  # red, blue
    model = SavedModel(
        WORDS,
        np.array([700, 600, 500, 400, 300, 200, 100]),
        w_in,
        np.zeros((len(WORDS), DIM), np.float32),
        meta={
            "config": {"model": "sg", "loss": "ns", "window": 5, "negative": 5, "sample": 0.001,
                       "epochs": 5, "alpha": 0.025, "seed": 42},
            "epochs_done": 2,
            "words_done": 1234567,
            "corpus": {"paths": ["corpus_a.txt", "corpus_b.txt.gz"], "fingerprint": "f00dcafe"},
        },
        loss=[
            {"epoch": 1, "words": 617283, "alpha": 0.02, "mean_loss": 2.75, "words_per_sec": 1.5e6},
            {"epoch": 2, "words": 617284, "alpha": 0.015, "mean_loss": 2.125,
             "words_per_sec": 1.25e6},
        ],
    )
    path = tmp_path / "model"
    save_model(path, model)
    return path, model


def table_cells(output: str) -> dict[str, str]:
    """{first cell: second cell} of the two-column tables in ``output`` (wrapped cells joined)."""
    cells: dict[str, str] = {}
    key = None
    for line in output.splitlines():
        if not line.startswith("│"):
            continue
        parts = [p.strip() for p in line.strip("│").split("│")]
        if len(parts) != 2:
            continue
        if parts[0]:
            key = parts[0]
            cells[key] = parts[1]
        elif key is not None:
            cells[key] += parts[1]
    return cells


# -- convert --------------------------------------------------------------------------------------


def test_convert_text_to_binary_to_text(tmp_path, kv):
    text = tmp_path / "v.txt"
    save_word2vec_format(kv, text)
    result = run("convert", text, tmp_path / "v.bin")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr == (
        f"Converted {text} (text) to {tmp_path / 'v.bin'} (binary): 7 words x 6 dims\n"
    )
    binary = load_word2vec_format(tmp_path / "v.bin", binary=True)
    assert binary.index_to_key == WORDS
    np.testing.assert_array_equal(binary.vectors, kv.vectors)

    result = run("convert", tmp_path / "v.bin", tmp_path / "back.txt")
    assert result.exit_code == 0, result.output
    back = load_word2vec_format(tmp_path / "back.txt", binary=False)
    assert back.index_to_key == WORDS
    np.testing.assert_array_equal(back.vectors, kv.vectors)  # %.9g: exact float32
    assert (tmp_path / "back.txt").read_bytes() == text.read_bytes()


def test_convert_format_option_overrides_the_extension(tmp_path, kv):
    save_word2vec_format(kv, tmp_path / "v.txt")
    assert run("convert", tmp_path / "v.txt", tmp_path / "a.bin", "--format", "text").exit_code == 0
    assert (tmp_path / "a.bin").read_bytes() == (tmp_path / "v.txt").read_bytes()
    assert run("convert", tmp_path / "v.txt", tmp_path / "b", "--format", "binary").exit_code == 0
    assert load_word2vec_format(tmp_path / "b", binary=True).index_to_key == WORDS


@pytest.mark.parametrize("out_name, binary", [("v.txt", False), ("v.bin", True)])
def test_gensim_reads_what_convert_writes(tmp_path, kv, out_name, binary):
    gensim_models = pytest.importorskip("gensim.models")
    save_word2vec_format(kv, tmp_path / "in", binary=not binary)
    assert run("convert", tmp_path / "in", tmp_path / out_name).exit_code == 0
    theirs = gensim_models.KeyedVectors.load_word2vec_format(str(tmp_path / out_name),
                                                             binary=binary)
    assert list(theirs.index_to_key) == WORDS
    np.testing.assert_array_equal(theirs.vectors, kv.vectors)


def test_convert_a_model_directory(tmp_path, model_dir):
    path, model = model_dir
    result = run("convert", path, tmp_path / "w.bin")
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        f"Converted {path} (model directory) to {tmp_path / 'w.bin'} (binary): 7 words x 6 dims\n"
    )
    loaded = load_word2vec_format(tmp_path / "w.bin")
    assert loaded.index_to_key == WORDS
    np.testing.assert_array_equal(loaded.vectors, model.w_in)


def test_convert_refuses_same_path(tmp_path, kv, monkeypatch):
    save_word2vec_format(kv, tmp_path / "v.txt")
    before = (tmp_path / "v.txt").read_bytes()
    monkeypatch.chdir(tmp_path)
    for out in ("v.txt", tmp_path / "v.txt", "sub/../v.txt"):
        (tmp_path / "sub").mkdir(exist_ok=True)
        result = run("convert", "v.txt", out, "--format", "binary")
        assert result.exit_code == 1
        assert result.output == (
            f"Error: input and output are the same path '{out}'; write the converted vectors to "
            "another file\n"
        )
    assert (tmp_path / "v.txt").read_bytes() == before


def test_convert_missing_input(tmp_path):
    result = run("convert", tmp_path / "nope.txt", tmp_path / "out.bin")
    assert result.exit_code == 1
    assert result.output == (
        f"Error: '{tmp_path / 'nope.txt'}' not found: no vectors file or model directory there; "
        "check the path, or train vectors with 'w2v train CORPUS'\n"
    )
    assert not (tmp_path / "out.bin").exists()


def test_convert_directory_without_model_json(tmp_path):
    (tmp_path / "notamodel").mkdir()
    result = run("convert", tmp_path / "notamodel", tmp_path / "out.txt")
    assert result.exit_code == 1
    assert result.output == (
        f"Error: '{tmp_path / 'notamodel'}' is a directory but not a w2v model directory "
        "(no model.json in it); give a vectors file, or a directory written by "
        "'w2v train --save-model DIR'\n"
    )
    assert not (tmp_path / "out.txt").exists()


def test_convert_malformed_input_leaves_no_output(tmp_path):
    (tmp_path / "bad.txt").write_text("2 3\na 1 2 3\nb 1 2\n")
    result = run("convert", tmp_path / "bad.txt", tmp_path / "out.bin")
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {tmp_path / 'bad.txt'}: line 3: expected a word")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.txt"]


# -- info -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("binary", [False, True])
def test_info_on_a_vectors_file(tmp_path, kv, binary):
    path = tmp_path / ("v.bin" if binary else "v.txt")
    save_word2vec_format(kv, path, binary=binary)
    result = run("info", path, "-n", "4")
    assert result.exit_code == 0, result.output
    cells = table_cells(result.stdout)
    size = path.stat().st_size
    assert cells["format"] == ("binary" if binary else "text")
    assert cells["vocabulary size"] == "7"
    assert cells["dimension"] == "6"
    assert cells["file size"] == f"{size} bytes"  # under 1 KiB: no KiB figure
    assert cells["first words"] == "</s> cat dog red"
    assert cells["path"] == str(path)


def test_human_readable_sizes():
    from w2vcli.cli import _human_size

    assert _human_size(0) == "0 bytes"
    assert _human_size(1023) == "1,023 bytes"
    assert _human_size(1536) == "1,536 bytes (1.5 KiB)"
    assert _human_size(123 * 1024**2) == "128,974,848 bytes (123.0 MiB)"
    assert _human_size(5 * 1024**4) == "5,497,558,138,880 bytes (5.0 TiB)"


def test_info_on_a_model_directory(model_dir):
    path, _ = model_dir
    result = run("info", path, "-n", "3")
    assert result.exit_code == 0, result.output
    out = result.stdout
    cells = table_cells(out)
    assert cells["format"] == "w2v model directory (version 2)"
    assert cells["vocabulary size"] == "7"
    assert cells["dimension"] == "6"
    assert cells["output vectors"] == "7 x 6"
    assert cells["epochs done"] == "2 of 5"
    assert cells["words trained"] == "1,234,567"
    assert cells["first words"] == "</s> (700), cat (600), dog (500)"
    size = sum(f.stat().st_size for f in path.iterdir())
    assert cells["size on disk"].startswith(f"{size:,} bytes")
    # training parameters, as model.json's "config" holds them
    for key, value in [("model", "sg"), ("loss", "ns"), ("window", "5"), ("negative", "5"),
                       ("sample", "0.001"), ("epochs", "5"), ("alpha", "0.025"), ("seed", "42")]:
        assert cells[key] == value
    assert cells["paths"] == "corpus_a.txt, corpus_b.txt.gz"
    assert cells["fingerprint"] == "f00dcafe"
    assert "Loss per epoch" in out
    loss_rows = [[c.strip() for c in line.strip("│").split("│")]
                 for line in out.splitlines() if line.count("│") == 6]
    assert loss_rows == [["1", "617,283", "0.02", "2.7500", "1,500,000"],
                         ["2", "617,284", "0.015", "2.1250", "1,250,000"]]


def test_info_errors(tmp_path):
    result = run("info", tmp_path / "nope")
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: '{tmp_path / 'nope'}' not found: ")
    result = run("info", tmp_path)
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: '{tmp_path}' is a directory but not a w2v model")
    (tmp_path / "bad.txt").write_text("hello\n")
    result = run("info", tmp_path / "bad.txt")
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {tmp_path / 'bad.txt'}: line 1: bad header 'hello'")


# -- model directories and binary files as -v ---------------------------------------------------


def test_similar_and_analogy_accept_a_model_directory(model_dir):
    path, _ = model_dir
    result = run("similar", "cat", "red", "-v", path, "-n", "1")
    assert result.exit_code == 0, result.output
    rows = [line.split("\t") for line in result.stdout.splitlines()[1:]]
    assert [row[2] for row in rows] == ["dog", "blue"]
    result = run("analogy", "cat", "dog", "red", "-v", path, "-n", "1")
    assert result.exit_code == 0, result.output
    assert "blue" in result.stdout


def test_eval_accepts_a_model_directory_and_binary_files(model_dir, tmp_path):
    path, model = model_dir
    save_word2vec_format(KeyedVectors(WORDS, model.w_in), tmp_path / "v.bin", binary=True)
    pairs = tmp_path / "ws.tsv"
    pairs.write_text("cat\tdog\t9\ncat\tred\t1\nred\tblue\t8\ndog\tblue\t2\nzz\tcat\t3\n")
    questions = tmp_path / "q.txt"
    questions.write_text(": colours\ncat dog red blue\n")
    outputs = []
    for vectors in (path, tmp_path / "v.bin"):
        result = run("eval", "similarity", pairs, "-v", vectors, "--format", "table")
        assert result.exit_code == 0, result.output
        assert "pairs 4/5" in result.output
        outputs.append(result.output)
        result = run("eval", "analogy", questions, "-v", vectors, "--restrict-vocab", "0")
        assert result.exit_code == 0, result.output
        assert "colours" in result.output
    assert outputs[0] == outputs[1]


def test_missing_vectors_option_path(tmp_path):
    result = run("similar", "cat", "-v", tmp_path / "nope.txt")
    assert result.exit_code == 1
    assert result.output == (
        f"Error: vectors '{tmp_path / 'nope.txt'}' not found; pass -v with a vectors file or "
        "model directory, or train one with 'w2v train CORPUS'\n"
    )
    result = run("similar", "cat", "-v", tmp_path)
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: '{tmp_path}' is a directory but not a w2v model")


# -- compressed, GloVe and non-finite inputs, in every command that reads vectors ------------------


def _glove(kv: KeyedVectors, path: Path) -> Path:
    """``kv`` as a GloVe file (no header line), gzipped."""
    import gzip

    save_word2vec_format(kv, path.with_suffix(".plain"))
    body = path.with_suffix(".plain").read_bytes().split(b"\n", 1)[1]
    path.write_bytes(gzip.compress(body))
    return path


def test_every_reader_takes_compressed_glove_and_says_so_once(tmp_path, kv):
    glove = _glove(kv, tmp_path / "glove.txt.gz")
    note = f"Note: {glove} has no header line; read as GloVe text (7 words x 6 dims)\n"
    result = run("similar", "cat", "-v", glove, "-n", "2")
    assert result.exit_code == 0, result.output
    assert result.stderr == note and "cat" in result.stdout
    result = run("analogy", "cat", "dog", "red", "-v", glove, "-n", "1")
    assert result.exit_code == 0 and result.stderr == note
    pairs = tmp_path / "pairs.txt"
    pairs.write_text("cat dog 9\nred blue 8\ncat red 1\n")
    result = run("eval", "similarity", pairs, "-v", glove, "--format", "table")
    assert result.exit_code == 0 and result.stderr == note and "pairs 3/3" in result.stdout

    result = run("convert", glove, tmp_path / "v.bin")
    assert result.exit_code == 0, result.output
    assert result.stderr == (f"Converted {glove} (GloVe text, gzip) to {tmp_path / 'v.bin'} "
                             "(binary): 7 words x 6 dims\n")
    np.testing.assert_array_equal(load_word2vec_format(tmp_path / "v.bin").vectors, kv.vectors)
    cells = table_cells(run("info", glove).stdout)
    assert cells["format"] == "GloVe text, gzip" and cells["vocabulary size"] == "7"


def test_every_reader_refuses_nan_naming_the_line(tmp_path, kv, model_dir):
    path = tmp_path / "v.txt"
    save_word2vec_format(kv, path)
    lines = path.read_bytes().split(b"\n")
    lines[3] = lines[3].split(b" ")[0] + b" nan" + lines[3][lines[3].index(b" ", len(b"dog ")):]
    path.write_bytes(b"\n".join(lines))
    expected = f"Error: {path}: line 4: value 1 of 'dog' is nan; vectors must be finite numbers"
    for args in (["similar", "cat", "-v", path], ["analogy", "cat", "dog", "red", "-v", path],
                 ["convert", path, tmp_path / "out.txt"],
                 ["plot", "--words", "cat,red", "-v", path, "-o", tmp_path / "p.png"]):
        result = run(*args)
        assert result.exit_code == 1, (args, result.output)
        assert result.stderr.startswith(expected) and result.stderr.count("\n") == 1, args
    assert not (tmp_path / "out.txt").exists() and not (tmp_path / "p.png").exists()

    model_path, model = model_dir
    model.w_in[2, 0] = np.inf
    np.save(model_path / "w_in.npy", model.w_in)
    result = run("similar", "cat", "-v", model_path)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {model_path / 'w_in.npy'}: the vector of 'dog' (row 2")
