"""The w2v command through click's CliRunner: outputs, exit codes and exact error texts."""

import subprocess
import sys

import pytest

from conftest import CHILD_TIMEOUT, child_env, run_cli as run, run_w2v, write_corpus
from w2vcli.io import load_word2vec_format

GROUPS = [
    ["cat", "dog", "horse", "cow", "sheep"],
    ["red", "green", "blue", "yellow", "purple"],
    ["paris", "rome", "oslo", "vienna", "berlin"],
]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    # Every line ends in " .", a token the words tokenizer drops.
    return write_corpus(tmp_path_factory.mktemp("cli") / "corpus.txt", GROUPS, lines=1500,
                        words_per_line=10, seed=1, end=" .")


@pytest.fixture(scope="module")
def vectors(corpus):
    out = corpus.parent / "vectors.txt"
    result = run("train", corpus, "-o", out, "--dim", "16", "--min-count", "1", "--window", "3",
                 "--sample", "0", "--epochs", "3", "--threads", "1")
    assert result.exit_code == 0, result.output
    return out


def test_train_writes_vectors(vectors):
    kv = load_word2vec_format(vectors)
    assert kv.vector_size == 16
    # The words tokenizer drops the "." tokens; every group word is kept with min-count 1.
    assert sorted(kv.index_to_key) == sorted(sum(GROUPS, []))


def test_train_summary_line(corpus, tmp_path):
    result = run("train", corpus, "-o", tmp_path / "v.bin", "--dim", "8", "--min-count", "1",
                 "--epochs", "1", "--threads", "1")
    assert result.exit_code == 0, result.output
    assert "Vocabulary: 15 words (min-count 1)" in result.output
    assert "Trained 15 words x 8 dims on 15,000 words in" in result.output
    assert "Wrote " in result.output and "(binary)" in result.output
    with open(tmp_path / "v.bin", "rb") as fh:
        assert fh.readline() == b"15 8\n"


def test_train_reads_stdin(tmp_path, corpus):
    out = tmp_path / "v.txt"
    result = run("train", "-", "-o", out, "--dim", "4", "--min-count", "1", "--epochs", "1",
                 input=corpus.read_text())
    assert result.exit_code == 0, result.output
    assert load_word2vec_format(out).vector_size == 4


def test_one_thread_same_seed_same_bytes(corpus, tmp_path):
    args = ["--dim", "8", "--min-count", "1", "--epochs", "1", "--threads", "1"]
    for name, seed in (("a", "7"), ("b", "7"), ("c", "8")):
        assert run("train", corpus, "-o", tmp_path / name, "--seed", seed, *args).exit_code == 0
    assert (tmp_path / "a").read_bytes() == (tmp_path / "b").read_bytes()
    assert (tmp_path / "a").read_bytes() != (tmp_path / "c").read_bytes()


def test_similar_finds_group_members(vectors):
    result = run("similar", "cat", "paris", "-v", vectors, "-n", "4")
    assert result.exit_code == 0, result.output
    header, *lines = result.output.splitlines()  # not a terminal: TSV
    assert header == "query\trank\tneighbour\tcosine"
    rows = [line.split("\t") for line in lines]
    assert [(query, rank) for query, rank, _, _ in rows] == [
        (query, str(rank)) for query in ("cat", "paris") for rank in range(1, 5)]
    for query, _, neighbour, _ in rows:
        group = GROUPS[0] if query == "cat" else GROUPS[2]
        assert neighbour in group and neighbour != query


def test_analogy_table(vectors):
    result = run("analogy", "cat", "dog", "red", "-v", vectors, "-n", "3", "--format", "table")
    assert result.exit_code == 0, result.output
    assert "cat : dog :: red : ?" in result.output


def test_unknown_word_suggests_close_words(vectors):
    result = run("similar", "horze", "-v", vectors)
    assert result.exit_code == 1
    assert result.output == "Error: 'horze' is not in the vocabulary (15 words); did you mean: horse?\n"


def test_missing_default_vectors_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("similar", "cat")
    assert result.exit_code == 1
    assert result.output == (
        "Error: no vectors.txt here; train one with 'w2v train CORPUS' or pass -v FILE\n"
    )


def test_missing_corpus(tmp_path):
    result = run("train", tmp_path / "nope.txt", "-o", tmp_path / "v.txt")
    assert result.exit_code == 1
    assert result.output == f"Error: corpus file '{tmp_path / 'nope.txt'}' does not exist; check the path\n"
    assert not (tmp_path / "v.txt").exists()


def test_min_count_too_high(corpus, tmp_path):
    result = run("train", corpus, "-o", tmp_path / "v.txt", "--min-count", "100000")
    assert result.exit_code == 1
    assert result.output.startswith("Error: no word occurs at least --min-count 100000 times")


# Options out of their range: tests/test_option_sweep.py, for every option of every command.


def test_output_directory_missing_is_caught_before_training(corpus, tmp_path):
    result = run("train", corpus, "-o", tmp_path / "no" / "such" / "v.txt")
    assert result.exit_code == 1
    assert result.output.startswith("Error: ")
    assert "Vocabulary" not in result.output  # nothing was read or trained


def test_eval_commands(vectors, tmp_path):
    questions = tmp_path / "q.txt"
    questions.write_text(": animals\ncat dog cow sheep\n: gram-x\nred green blue zzz\n")
    result = run("eval", "analogy", questions, "-v", vectors, "--restrict-vocab", "0",
                 "--format", "table")
    assert result.exit_code == 0, result.output
    assert "overall" in result.output and "animals" in result.output
    pairs = tmp_path / "ws.tsv"
    pairs.write_text("cat\tdog\t9\ncat\tred\t1\nred\tblue\t8\nrome\tcow\t0.5\nzz\tcat\t3\n")
    result = run("eval", "similarity", pairs, "-v", vectors, "--format", "table")
    assert result.exit_code == 0, result.output
    assert "pairs 4/5" in result.output and "OOV ratio 0.200" in result.output


def test_plot_reports_unknown_words(vectors, tmp_path):
    out = tmp_path / "words.png"
    result = run("plot", "--words", "cat,dog,red,blue,nosuchword", "-v", vectors, "-o", out)
    assert result.exit_code == 0, result.output
    assert "note: not in the vocabulary (15 words), skipped: 'nosuchword'" in result.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_help_and_queries_do_not_import_numba_or_matplotlib(vectors):
    code = (
        "import sys; from click.testing import CliRunner; from w2vcli.cli import cli; "
        f"r = CliRunner().invoke(cli, ['similar', 'cat', '-v', {str(vectors)!r}]); "
        "assert r.exit_code == 0, r.output; "
        "r = CliRunner().invoke(cli, ['--help']); assert r.exit_code == 0; "
        "print(sorted(m for m in ('numba', 'matplotlib') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         timeout=CHILD_TIMEOUT, env=child_env())
    assert out.stdout.strip() == "[]"


def test_python_dash_m(tmp_path):
    out = run_w2v("--version")
    assert out.stdout.startswith("w2v, version ")


def test_output_over_the_corpus_is_refused(corpus, tmp_path):
    copy = tmp_path / "c.txt"
    copy.write_text(corpus.read_text())
    result = run("train", copy, "-o", copy)
    assert result.exit_code == 2
    assert f"Invalid value for -o: {copy} is the corpus; write the vectors elsewhere" in result.output
    assert copy.read_text() == corpus.read_text()
