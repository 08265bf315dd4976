"""Exports for other tools: ``w2v convert --format projector|npy`` and :mod:`w2vcli.export`.

The files are read back the way the tools read them: ``vectors.tsv`` as TensorBoard's plugin
does (lines, tab-split, ``float``), ``metadata.tsv`` with the Projector's header rule (a first
line with a tab names the columns), ``.npy`` with ``numpy.load``.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from w2vcli.cli import cli
from w2vcli.errors import W2VError
from w2vcli.export import (PROJECTOR_FILES, check_projector_target, npy_paths,
                           projector_tsv_rows, write_npy, write_projector)
from w2vcli.io import save_word2vec_format
from w2vcli.keyedvectors import KeyedVectors
from w2vcli.model import SavedModel, save_model

WORDS = ["</s>", "the", "cat", "dog", "café", "日本", "x\xa0y"]
COUNTS = [900, 800, 700, 600, 500, 400, 300]
DIM = 5


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def vectors() -> np.ndarray:
    """Values of every magnitude %.9g writes differently: exponents, -0, long mantissas."""
    rng = np.random.default_rng(3)
    scales = 10.0 ** rng.integers(-7, 10, (len(WORDS), 1))
    v = (rng.standard_normal((len(WORDS), DIM)) * scales).astype(np.float32)
    v[0, :3] = [np.float32(1 / 3), -0.0, 0.0]
    return v


@pytest.fixture
def text_file(tmp_path, vectors) -> Path:
    path = tmp_path / "vectors.txt"
    save_word2vec_format(KeyedVectors(WORDS, vectors), path)
    return path


@pytest.fixture
def model_dir(tmp_path, vectors) -> Path:
    path = tmp_path / "model"
    save_model(path, SavedModel(WORDS, np.array(COUNTS), vectors,
                                np.zeros_like(vectors), meta={"config": {}}))
    return path


def read_tsv_like_tensorboard(path: Path) -> np.ndarray:
    """TensorBoard's projector plugin: each non-empty line, tab-split, float()."""
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line:
                rows.append([float(x) for x in line.split("\t")])
    return np.array(rows, dtype=np.float32)


def read_metadata(path: Path) -> tuple[list[str] | None, list[list[str]]]:
    """The Projector's rule: a first line with a tab is the header; lines split on \\n only."""
    lines = path.read_bytes().decode("utf-8").split("\n")
    assert lines[-1] == ""  # every line ends in \n
    lines = lines[:-1]
    header = lines[0].split("\t") if "\t" in lines[0] else None
    return header, [line.split("\t") for line in lines[1 if header else 0:]]


# -- projector --------------------------------------------------------------------------------


def test_projector_from_a_vectors_file_round_trips(tmp_path, text_file, vectors):
    out = tmp_path / "proj"
    result = run("convert", text_file, out, "--format", "projector")
    assert result.exit_code == 0, result.output
    assert sorted(os.listdir(out)) == sorted(PROJECTOR_FILES)
    assert result.stdout == ""
    assert f"to {out}/ for the Embedding Projector" in result.stderr
    assert "metadata.tsv (word)" in result.stderr and "7 words x 5 dims" in result.stderr
    assert f"tensorboard --logdir {out}" in result.stderr

    got = read_tsv_like_tensorboard(out / "vectors.tsv")
    assert got.shape == (len(WORDS), DIM)
    # %.9g reads back to the same float32 bits, -0 included.
    np.testing.assert_array_equal(got.view(np.uint32), vectors.view(np.uint32))
    # The same digits as the word2vec text writer, tabs for spaces, no word column.
    text_rows = [line.split(" ", 1)[1].replace(" ", "\t")
                 for line in text_file.read_text(encoding="utf-8").splitlines()[1:]]
    assert (out / "vectors.tsv").read_text(encoding="utf-8").split("\n")[:-1] == text_rows

    header, rows = read_metadata(out / "metadata.tsv")
    assert header is None  # one column: no header, as the Projector expects
    assert [r[0] for r in rows] == WORDS and all(len(r) == 1 for r in rows)
    with open(out / "metadata.tsv", encoding="utf-8", newline="") as f:
        assert [r for r in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)] == \
            [[w] for w in WORDS]


def test_projector_from_a_model_directory_has_counts(tmp_path, model_dir, vectors):
    out = tmp_path / "proj"
    result = run("convert", model_dir, out, "--format", "projector")
    assert result.exit_code == 0, result.output
    assert "(model directory)" in result.stderr and "metadata.tsv (word, count)" in result.stderr
    with open(out / "metadata.tsv", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    assert rows[0] == ["word", "count"]
    assert rows[1:] == [[w, str(c)] for w, c in zip(WORDS, COUNTS)]
    np.testing.assert_array_equal(read_tsv_like_tensorboard(out / "vectors.tsv"), vectors)


def test_projector_config_names_the_files_relative_to_itself(tmp_path, text_file):
    out = tmp_path / "proj"
    assert run("convert", text_file, out, "--format", "projector").exit_code == 0
    config = (out / "projector_config.pbtxt").read_text(encoding="utf-8")
    body = [line.strip() for line in config.splitlines() if not line.startswith("#")]
    assert body == ["embeddings {", 'tensor_path: "vectors.tsv"',
                    'metadata_path: "metadata.tsv"', "}"]


def test_projector_top_keeps_the_most_frequent_words(tmp_path, model_dir, vectors):
    out = tmp_path / "proj"
    result = run("convert", model_dir, out, "--format", "projector", "--top", 3)
    assert result.exit_code == 0, result.output
    assert "3 words x 5 dims (the first 3 of 7)" in result.stderr
    np.testing.assert_array_equal(read_tsv_like_tensorboard(out / "vectors.tsv"), vectors[:3])
    header, rows = read_metadata(out / "metadata.tsv")
    assert header == ["word", "count"]
    assert rows == [[w, str(c)] for w, c in zip(WORDS[:3], COUNTS[:3])]
    # --top beyond the vocabulary keeps everything and says nothing about it.
    result = run("convert", model_dir, out, "--format", "projector", "--top", 100)
    assert result.exit_code == 0, result.output
    assert "; 7 words x 5 dims\n" in result.stderr and "the first" not in result.stderr


def test_projector_notes_the_projector_sample_size_for_large_vocabularies(tmp_path):
    n = 50_001
    words = [f"w{i}" for i in range(n)]
    path = tmp_path / "big.bin"
    save_word2vec_format(KeyedVectors(words, np.ones((n, 2), np.float32)), path, binary=True)
    result = run("convert", path, tmp_path / "proj", "--format", "projector")
    assert result.exit_code == 0, result.output
    assert "Note: the Projector computes PCA on a sample of 50,000 points" in result.stderr
    result = run("convert", path, tmp_path / "proj", "--format", "projector", "--top", 50_000)
    assert "Note:" not in result.stderr


def test_projector_replaces_an_earlier_export_whole(tmp_path, text_file, model_dir):
    out = tmp_path / "proj"
    assert run("convert", model_dir, out, "--format", "projector").exit_code == 0
    assert run("convert", text_file, out, "--format", "projector", "--top", 2).exit_code == 0
    assert read_metadata(out / "metadata.tsv") == (None, [["</s>"], ["the"]])
    assert len(read_tsv_like_tensorboard(out / "vectors.tsv")) == 2
    assert sorted(os.listdir(tmp_path)) == ["model", "proj", "vectors.txt"]  # no temp left
    # An empty directory is fine too.
    (tmp_path / "empty").mkdir()
    assert run("convert", text_file, tmp_path / "empty", "--format", "projector").exit_code == 0
    assert sorted(os.listdir(tmp_path / "empty")) == sorted(PROJECTOR_FILES)


def test_projector_refuses_a_file_a_link_and_a_directory_with_other_files(
        tmp_path, text_file, model_dir, monkeypatch):
    existing = tmp_path / "file.tsv"
    existing.write_text("keep me\n")
    result = run("convert", text_file, existing, "--format", "projector")
    assert result.exit_code == 1
    assert result.output == (
        f"Error: '{existing}' exists and is not a directory; a Projector export is a directory "
        "(vectors.tsv, metadata.tsv, projector_config.pbtxt): give a new name such as "
        f"'{existing}.projector'\n")
    assert existing.read_text() == "keep me\n"

    # A model directory (and with it the input) is never swapped away.
    result = run("convert", text_file, model_dir, "--format", "projector")
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: '{model_dir}' is a directory holding other files ("
                                    "'loss.csv', 'model.json', 'vocab.tsv' and 2 more); ")
    assert "model.json" in os.listdir(model_dir)
    result = run("convert", model_dir, model_dir, "--format", "projector")
    assert "same path" in result.output

    (tmp_path / "link").symlink_to(tmp_path / "proj", target_is_directory=True)
    result = run("convert", text_file, tmp_path / "link", "--format", "projector")
    assert result.exit_code == 1 and "is a symbolic link" in result.output

    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    result = run("convert", text_file, ".", "--format", "projector")
    assert result.exit_code == 1
    assert result.output == ("Error: the output is the current directory; give a new directory "
                             "name such as 'projector'\n")
    result = run("convert", text_file, tmp_path / "missing" / "proj", "--format", "projector")
    assert result.exit_code == 1 and "does not exist" in result.output
    assert sorted(os.listdir(tmp_path)) == ["file.tsv", "link", "model", "vectors.txt", "work"]


@pytest.mark.parametrize("word, shown", [("a\tb", r"'a\tb'"), ("a\nb", r"'a\nb'"),
                                         ("a\rb", r"'a\rb'")])
def test_projector_refuses_words_that_would_break_rows(tmp_path, word, shown):
    out = tmp_path / "proj"
    words = ["ok", word, "fine"]
    for counts in (None, [3, 2, 1]):
        with pytest.raises(W2VError) as info:
            write_projector(out, words, np.ones((3, 2), np.float32), counts)
        message = str(info.value)
        assert message.startswith(f"cannot export word {shown} (row 2) for the Projector: ")
        assert "\n" not in message
        assert not out.exists()


def test_projector_one_column_refuses_blank_words_that_the_projector_would_skip(tmp_path):
    """A blank one-column line is dropped by the Projector, shifting every later label; with
    counts the line is not blank, and the word is written."""
    path = tmp_path / "v.txt"
    path.write_text("3 2\nok 1 2\n\u3000 3 4\nfine 5 6\n", encoding="utf-8")
    result = run("convert", path, tmp_path / "proj", "--format", "projector")
    assert result.exit_code == 1
    assert result.output.startswith(r"Error: cannot export word '\u3000' (row 2) for the "
                                    "Projector: a one-column metadata line that is empty or "
                                    "only whitespace is skipped as blank")
    assert not (tmp_path / "proj").exists()
    write_projector(tmp_path / "proj", ["ok", "\u3000", ""], np.ones((3, 2)), [3, 2, 1])
    assert read_metadata(tmp_path / "proj" / "metadata.tsv") == (
        ["word", "count"], [["ok", "3"], ["\u3000", "2"], ["", "1"]])


def test_projector_refuses_non_finite_values_naming_the_word(tmp_path):
    v = np.ones((4, 3), np.float32)
    v[2, 1] = np.inf
    with pytest.raises(W2VError, match=r"^cannot export word 'c' \(row 3\) for the Projector: "
                                       "its vector has a NaN or infinite value"):
        write_projector(tmp_path / "proj", ["a", "b", "c", "d"], v)
    assert os.listdir(tmp_path) == []  # the temporary directory is gone too
    v[2, 1] = np.nan
    with pytest.raises(W2VError, match=r"^row 3 has a NaN or infinite value"):
        projector_tsv_rows(v)


def test_projector_rows_match_the_text_formatter():
    v = np.array([[1 / 3, -0.0, 1e-5, 123456789.0], [1e9, 2.5, -7, 3.4028235e38]], np.float32)
    assert projector_tsv_rows(v) == (b"0.333333343\t-0\t9.99999975e-06\t123456792\n"
                                     b"1e+09\t2.5\t-7\t3.40282347e+38\n")
    assert projector_tsv_rows(np.zeros((0, 3), np.float32)) == b""


def test_projector_writes_in_chunks(tmp_path, monkeypatch):
    """Several ~1 MiB chunks of text join into the same file as one."""
    import w2vcli.export as export

    rng = np.random.default_rng(0)
    v = rng.standard_normal((50, 4)).astype(np.float32)
    words = [f"w{i}" for i in range(50)]
    monkeypatch.setattr(export, "_CHUNK_BYTES", 100)  # two rows a chunk
    write_projector(tmp_path / "p", words, v)
    assert (tmp_path / "p" / "vectors.tsv").read_bytes() == projector_tsv_rows(v)


def test_projector_argument_errors(tmp_path):
    with pytest.raises(ValueError, match="2 words but vectors of shape"):
        write_projector(tmp_path / "p", ["a", "b"], np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"counts must have shape \(2,\)"):
        write_projector(tmp_path / "p", ["a", "b"], np.ones((2, 2)), [1])
    assert check_projector_target(tmp_path / "p") == tmp_path / "p"


# -- npy --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["vec.npy", "vec"])
def test_npy_from_a_vectors_file(tmp_path, text_file, vectors, name):
    result = run("convert", text_file, tmp_path / name, "--format", "npy")
    assert result.exit_code == 0, result.output
    matrix, vocab = tmp_path / "vec.npy", tmp_path / "vec.vocab.txt"
    assert result.stderr == (f"Converted {text_file} (text) to {matrix} and {vocab} (words): "
                             "7 words x 5 dims\n")
    loaded = np.load(matrix)
    assert loaded.dtype == np.float32 and loaded.shape == (7, 5) and loaded.flags.c_contiguous
    np.testing.assert_array_equal(loaded, vectors)
    # The one-liner the README gives.
    assert open(vocab, encoding="utf-8").read().split("\n")[:-1] == WORDS


def test_npy_is_inferred_from_the_name_and_has_counts_for_a_model(tmp_path, model_dir, vectors):
    result = run("convert", model_dir, tmp_path / "m.npy", "--top", 4)
    assert result.exit_code == 0, result.output
    assert "(words and counts): 4 words x 5 dims (the first 4 of 7)" in result.stderr
    np.testing.assert_array_equal(np.load(tmp_path / "m.npy", mmap_mode="r"), vectors[:4])
    lines = (tmp_path / "m.vocab.txt").read_text(encoding="utf-8").split("\n")[:-1]
    assert [line.split(" ") for line in lines] == [[w, str(c)] for w, c in
                                                   zip(WORDS[:4], COUNTS[:4])]


def test_npy_refuses_to_overwrite_its_input_and_bad_words(tmp_path, text_file):
    # vec.vocab.txt would be written over the input.
    source = tmp_path / "vec.vocab.txt"
    source.write_bytes(text_file.read_bytes())
    result = run("convert", source, tmp_path / "vec", "--format", "npy")
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: input and output are the same path '{source}'")
    with pytest.raises(W2VError, match=r"^cannot export word 'a b' \(row 2\) to a vocabulary "
                                       "file: a word must be non-empty"):
        write_npy(tmp_path / "w", ["a", "a b"], np.ones((2, 2)))
    with pytest.raises(W2VError, match=r"^cannot export word '' \(row 1\)"):
        write_npy(tmp_path / "w", [""], np.ones((1, 2)))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vec.vocab.txt", "vectors.txt"]


def test_npy_paths():
    assert npy_paths("a/vec.npy") == (Path("a/vec.npy"), Path("a/vec.vocab.txt"))
    assert npy_paths("vec") == (Path("vec.npy"), Path("vec.vocab.txt"))
    assert npy_paths("v.txt") == (Path("v.txt.npy"), Path("v.txt.vocab.txt"))


# -- text / binary with --top; help -----------------------------------------------------------


def test_top_applies_to_word2vec_formats(tmp_path, text_file, vectors):
    from w2vcli.io import load_word2vec_format

    result = run("convert", text_file, tmp_path / "v.bin", "--top", 2)
    assert result.exit_code == 0, result.output
    assert result.stderr.endswith("(binary): 2 words x 5 dims (the first 2 of 7)\n")
    kv = load_word2vec_format(tmp_path / "v.bin")
    assert kv.index_to_key == WORDS[:2]
    np.testing.assert_array_equal(kv.vectors, vectors[:2])
    assert run("convert", text_file, tmp_path / "v.bin", "--top", 0).exit_code == 2


def test_convert_help_documents_the_formats():
    result = run("convert", "--help")
    assert result.exit_code == 0
    for text in ("projector", "vectors.tsv", "metadata.tsv", "projector_config.pbtxt",
                 "NAME.vocab.txt", "--top N", "tensorboard --logdir OUT"):
        assert text in result.output
