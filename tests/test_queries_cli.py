"""similar, analogy, plot, eval and info as a user meets them: output that fits the terminal and
never cuts a word, TSV and JSON for scripts, and one rule for unknown and differently-cased
query words. Tiny hand-written vectors files; a terminal is simulated with rich's
TTY_COMPATIBLE and its width with COLUMNS."""

import json
import re

import numpy as np
import pytest
from click.testing import CliRunner

from w2vcli.cli import cli
from w2vcli.report import tsv_field

# Three groups of long words, each group near one axis, so the neighbours are known.
GROUPS = {
    "computer": ["macintosh", "microcomputers", "programmability", "documentation"],
    "france": ["spain", "portugal", "liechtenstein", "czechoslovakia"],
    "king": ["prince", "directorate", "archbishopric", "constantinople"],
}
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="module")
def vectors(tmp_path_factory):
    """A lowercased word2vec text file: the query words, their groups, [red] and :smile:."""
    rows = []
    for axis, (query, members) in enumerate(GROUPS.items()):
        for rank, word in enumerate([query, *members]):
            vector = np.full(4, 0.05)
            vector[axis] = 1.0
            vector[3] = 0.1 * rank  # members get further from the query word in order
            rows.append((word, vector))
    rows += [("[red]", np.array([0.0, 0.0, 0.1, 1.0])), (":smile:", np.array([0, 0, 0.2, 1.0]))]
    path = tmp_path_factory.mktemp("queries") / "vectors.txt"
    lines = [f"{len(rows)} 4"] + [f"{w} " + " ".join(f"{x:.4f}" for x in v) for w, v in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def run(*args, columns=None, terminal=False):
    flag = "1" if terminal else None  # rich >= 14 reads TTY_COMPATIBLE, older ones FORCE_COLOR
    env = {"COLUMNS": str(columns) if columns else None, "TTY_COMPATIBLE": flag,
           "FORCE_COLOR": flag}
    result = CliRunner().invoke(cli, [str(a) for a in args], env=env)
    return result, ANSI.sub("", result.stdout), ANSI.sub("", result.stderr)


def widest(text: str) -> int:
    return max((len(line.rstrip()) for line in text.splitlines()), default=0)


# -- output that fits ---------------------------------------------------------------------------


@pytest.mark.parametrize("columns", [200, 80, 40, 24])
def test_similar_in_a_terminal_never_cuts_a_word(vectors, columns):
    result, out, _ = run("similar", *GROUPS, "-v", vectors, "-n", "4", columns=columns,
                         terminal=True)
    assert result.exit_code == 0, result.output
    assert "…" not in out
    for query, members in GROUPS.items():
        assert query in out
        for word in members:
            assert word in out  # whole, on one line
    title, *body = out.splitlines()
    assert title == f"Nearest neighbours ({vectors})"  # a line of its own: the terminal wraps it
    if columns >= 40:
        assert widest("\n".join(body)) <= columns  # tables; plain lines may wrap on a tiny screen


def test_similar_layouts_by_width(vectors):
    _, wide, _ = run("similar", *GROUPS, "-v", vectors, "-n", "2", columns=200, terminal=True)
    assert wide.splitlines()[0] == f"Nearest neighbours ({vectors})"
    assert "┃ # ┃ computer" in wide and "┃ france" in wide  # one table, two columns a word
    _, blocks, _ = run("similar", *GROUPS, "-v", vectors, "-n", "2", columns=60, terminal=True)
    assert blocks.count("┃ # ┃") == 3  # a small table per query word
    assert widest(blocks.split("\n", 1)[1]) <= 60
    _, plain, _ = run("similar", *GROUPS, "-v", vectors, "-n", "2", columns=20, terminal=True)
    assert "computer\n  1   0.9951  macintosh\n  2   0.9807  microcomputers\n" in plain


def test_similar_off_a_terminal_is_tsv_and_json_on_request(vectors):
    result, out, _ = run("similar", "king", "france", "-v", vectors, "-n", "2", columns=40)
    assert result.exit_code == 0, result.output
    assert out == (
        "query\trank\tneighbour\tcosine\n"
        "king\t1\tprince\t0.995062\n"
        "king\t2\tdirectorate\t0.980675\n"
        "france\t1\tspain\t0.995062\n"
        "france\t2\tportugal\t0.980675\n"
    )
    _, out, _ = run("similar", "KING", "nosuchword", "-v", vectors, "-n", "1", "--format", "json")
    assert json.loads(out) == {
        "vectors": str(vectors),
        "queries": [{"query": "king", "given": "KING",
                     "neighbours": [{"rank": 1, "neighbour": "prince",
                                     "cosine": pytest.approx(0.995062, abs=1e-6)}]}],
        "unknown": ["nosuchword"],
    }
    _, out, _ = run("similar", "king", "-v", vectors, "-n", "1", "--format", "table")
    assert "┃ # ┃ king" in out and "prince" in out  # a table through a pipe: as wide as needed


def test_words_that_look_like_markup_are_printed_as_they_are(vectors):
    _, out, _ = run("similar", "[red]", "-v", vectors, "-n", "1", "--format", "table")
    assert "[red]" in out and ":smile:" in out


def test_analogy_formats(vectors):
    result, out, _ = run("analogy", "france", "spain", "king", "-v", vectors, "-n", "2")
    assert result.exit_code == 0, result.output
    header, first, second = out.splitlines()
    assert header == "a\tb\tc\trank\tneighbour\tcosine"
    assert first.startswith("france\tspain\tking\t1\tprince\t")
    _, out, _ = run("analogy", "france", "spain", "king", "-v", vectors, "-n", "1", "--format",
                    "json")
    document = json.loads(out)
    assert (document["a"], document["b"], document["c"]) == ("france", "spain", "king")
    assert document["neighbours"][0]["neighbour"] == "prince"
    for columns in (80, 20):
        _, out, _ = run("analogy", "france", "spain", "king", "-v", vectors, "-n", "3",
                        columns=columns, terminal=True)
        assert "france : spain :: king : ?" in out and "…" not in out
        assert "prince" in out and "directorate" in out


def test_info_never_cuts_a_cell(vectors):
    for columns in (80, 30, 16):
        result, out, _ = run("info", vectors, columns=columns, terminal=True)
        assert result.exit_code == 0, result.output
        assert "…" not in out
        assert str(vectors) in out.replace("\n", "").replace("│", "").replace(" ", "")
    _, out, _ = run("info", vectors, columns=16, terminal=True)
    assert "  first words: computer macintosh" in out  # plain lines where no table fits


def test_tsv_fields_escape_tabs_and_newlines():
    assert tsv_field("a\tb\nc\\d\r") == "a\\tb\\nc\\\\d\\r"
    assert tsv_field(3) == "3" and tsv_field("plain") == "plain"


# -- one rule for query words -------------------------------------------------------------------


def test_unknown_and_differently_cased_words_are_treated_alike(vectors, tmp_path):
    result, out, err = run("similar", "KING", "nosuchword", "France", "-v", vectors, "-n", "1")
    assert result.exit_code == 0, result.output
    assert err.splitlines() == [
        "note: KING -> king, France -> france",
        "note: not in the vocabulary (17 words), skipped: 'nosuchword' (no close word)",
    ]
    assert [line.split("\t")[0] for line in out.splitlines()[1:]] == ["king", "france"]

    result, _, err = run("analogy", "FRANCE", "spain", "King", "-v", vectors, "-n", "1")
    assert result.exit_code == 0 and err == "note: FRANCE -> france, King -> king\n"

    out_png = tmp_path / "w.png"
    result, _, err = run("plot", "--words", "KING,prince,nosuchword,Spain", "-v", vectors,
                         "-o", out_png)
    assert result.exit_code == 0, result.output
    assert err.splitlines()[:2] == [
        "note: KING -> king, Spain -> spain",
        "note: not in the vocabulary (17 words), skipped: 'nosuchword' (no close word)",
    ]
    assert "Plotted 3 words" in err

    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("KING prince 9\nFrance spain 8\nking spain 1\nnosuchword king 5\n")
    result, out, err = run("eval", "similarity", pairs, "-v", vectors, "--format", "json")
    assert result.exit_code == 0, result.output
    assert err == f"note: 2 words of {pairs} matched in another case (KING -> king, " \
                  "France -> france)\n"
    document = json.loads(out)
    assert (document["pairs_used"], document["oov_pairs"]) == (3, 1)
    assert document["oov_words"] == ["nosuchword"]


def test_no_query_word_left_is_a_one_line_error(vectors, tmp_path):
    for args in (["similar", "nosuchword", "qqqq"], ["analogy", "france", "spain", "prinse"],
                 ["plot", "--words", "nosuchword,qqqq", "-o", tmp_path / "w.png"]):
        result, out, err = run(*args, "-v", vectors)
        assert result.exit_code == 1 and out == ""
        assert len(err.splitlines()) == 1 and err.startswith("Error: ")
    _, _, err = run("analogy", "france", "spain", "prinse", "-v", vectors)
    assert err == ("Error: 'prinse' is not in the vocabulary (17 words); did you mean: "
                   "prince?\n")


# -- evaluation ---------------------------------------------------------------------------------


@pytest.fixture
def questions(tmp_path):
    path = tmp_path / "questions.txt"
    path.write_text(": capitals\nFrance spain King prince\nfrance spain nosuch word\n"
                    "king prince unknown words\n: gram-x\nking prince france spain\n")
    return path


def test_eval_analogy_formats_and_coverage_warning(vectors, questions):
    result, out, err = run("eval", "analogy", questions, "-v", vectors, "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(out)
    assert document["restrict_vocab"] == 17
    assert document["sections"][0] == {
        "section": "capitals", "correct": 1, "answered": 1, "questions": 3,
        "accuracy": 1.0, "coverage": pytest.approx(1 / 3), "oov": 2, "restricted": 0}
    assert document["overall"]["answered"] == 2 and document["overall"]["questions"] == 4
    assert document["case_matched"] == {"France": "france", "King": "king"}
    assert err.splitlines()[0].startswith("note: 2 words of")
    assert "Warning" not in err  # 2 of 4 scored: half is enough

    result, out, err = run("eval", "analogy", questions, "-v", vectors, "--restrict-vocab", "5")
    assert out.splitlines()[0] == ("section\tcorrect\tanswered\tquestions\taccuracy\tcoverage\t"
                                   "oov\trestricted")
    assert out.splitlines()[-1] == "overall\t0\t0\t4\t0.000000\t0.000000\t2\t2"
    assert err.splitlines()[-1] == (
        "Warning: only 0 of 4 (0.0%) analogy questions were scored: 2 have a word not in the "
        "vocabulary and 2 a word beyond the 5 most frequent (restrict-vocab); the accuracy is "
        "over the scored ones only")

    for columns in (80, 40):
        _, out, _ = run("eval", "analogy", questions, "-v", vectors, columns=columns,
                        terminal=True)
        assert "…" not in out and "capitals" in out and "overall" in out


def test_eval_similarity_warns_when_most_pairs_are_unknown(vectors, tmp_path):
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("king prince 9\nking spain 1\nfrance portugal 8\nfoo bar 1\nbaz qux 2\n"
                     "a b 3\nc d 4\n")
    result, out, err = run("eval", "similarity", pairs, "-v", vectors)
    assert result.exit_code == 0, result.output
    assert out.splitlines()[0] == "spearman\tpearson\tpairs_used\tpairs_total\toov_pairs\toov_ratio"
    assert out.splitlines()[1].split("\t")[2:5] == ["3", "7", "4"]
    assert err == ("Warning: only 3 of 7 (42.9%) word pairs were scored: 4 have a word not in "
                   "the vocabulary (17 words); the correlations are over the scored pairs only\n")


def test_phrases_table_never_cuts_a_phrase(tmp_path):
    corpus = tmp_path / "in.txt"
    corpus.write_text("supercalifragilistic expialidocious x\n" * 20 + "a b c d e f\n" * 20)
    result, _, err = run("phrases", corpus, "-o", tmp_path / "out.txt", "--passes", "1",
                         "--threshold", "1", "--min-count", "2", columns=30)
    assert result.exit_code == 0, result.output
    assert "…" not in err
    assert "  supercalifragilistic_expialidocious: count 20, score " in err


def test_queries_and_evaluations_do_not_import_numba_or_matplotlib(vectors, questions, tmp_path):
    import subprocess
    import sys

    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("king prince 9\nking spain 1\nfrance portugal 8\n")
    commands = [["similar", "king", "--format", "json"], ["analogy", "france", "spain", "king"],
                ["eval", "analogy", str(questions)], ["eval", "similarity", str(pairs)]]
    code = (
        "import sys; from click.testing import CliRunner; from w2vcli.cli import cli\n"
        f"for args in {commands!r}:\n"
        f"    r = CliRunner().invoke(cli, args + ['-v', {str(vectors)!r}])\n"
        "    assert r.exit_code == 0, r.output\n"
        "print(sorted(m for m in ('numba', 'matplotlib') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.strip() == "[]"


def test_similar_reads_queries_from_stdin_once_loaded(vectors):
    result = CliRunner().invoke(cli, ["similar", "-v", str(vectors), "-n", "1"],
                                input="king\n\nqwzx\ncomputer france\nEXIT\nspain\n")
    lines = result.stdout.splitlines()
    assert lines == ["query\trank\tneighbour\tcosine",  # one header for the whole stream
                     f"king\t1\tprince\t{lines[1].split()[-1]}",
                     f"computer\t1\tmacintosh\t{lines[2].split()[-1]}",
                     f"france\t1\tspain\t{lines[3].split()[-1]}"]  # EXIT stopped before spain
    assert "Error: 'qwzx' is not in the vocabulary" in result.stderr
    assert result.exit_code == 1  # a query failed; the others were answered


def test_analogy_reads_questions_from_stdin_as_json_lines(vectors):
    result = CliRunner().invoke(cli, ["analogy", "-v", str(vectors), "-n", "1", "--format",
                                      "json"], input="king prince france\nking prince\n")
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(a["a"], a["b"], a["c"]) for a in answers] == [("king", "prince", "france")]
    assert answers[0]["neighbours"][0]["rank"] == 1
    assert "Error: 'king prince': give three words A B C" in result.stderr
    assert result.exit_code == 1
    result = CliRunner().invoke(cli, ["analogy", "-v", str(vectors), "king", "prince"])
    assert result.exit_code == 2 and "give three words A B C (got 2)" in result.output
