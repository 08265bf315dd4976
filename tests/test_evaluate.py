from pathlib import Path

import numpy as np
import pytest

from conftest import SHARED_DATA
from w2vcli.errors import W2VError
from w2vcli.evaluate import (
    AnalogyResult,
    SectionScore,
    evaluate_analogies,
    evaluate_word_pairs,
    pearson,
    spearman,
)
from w2vcli.keyedvectors import KeyedVectors

EVAL_DIR = SHARED_DATA / "eval"

# Every word is the sum of two basis directions, so all vectors have the same norm and
# unit(b) - unit(a) + unit(c) is exactly the planted answer: king - man + woman = R+F = queen.
PLANTED = {
    "man": "P M", "woman": "P F", "king": "R M", "queen": "R F",
    "boy": "Y M", "girl": "Y F", "prince": "Y R",
    "athens": "A Cap", "greece": "A Ctry", "paris": "Pa Cap",
    "Paris": "Pa Ctry",  # a rarer spelling of paris whose vector is france's
    "france": "Pa Ctry",
    "quick": "Q Adj", "quickly": "Q Adv", "slow": "S Adj", "slowly": "S Adv",
    "berlin": "B Cap", "germany": "B Ctry",
}  # fmt: skip

QUESTIONS = """\
: capital-common-countries
Athens Greece Paris France
Athens Greece Berlin Germany
Paris France Athens Germany
Athens Greece Rome Italy
: family
man woman king queen
man king woman queen
boy girl man woman
man woman boy prince

: gram1-adjective-to-adverb
quick quickly slow slowly
slow slowly quick quickly
quick quickly slow quickly
quick quickly fast fastly
"""
# capital: 2 right; Paris/France/Athens -> greece (wrong); Rome/Italy unknown.
# family: 3 right; man/woman/boy -> girl, not prince.  gram1: 2 right; d = b is never predicted.


@pytest.fixture
def planted() -> KeyedVectors:
    axes = sorted({axis for pair in PLANTED.values() for axis in pair.split()})
    vectors = np.zeros((len(PLANTED), len(axes) + 2), dtype=np.float32)
    for row, pair in enumerate(PLANTED.values()):
        for axis in pair.split():
            vectors[row, axes.index(axis)] = 1.0
    return KeyedVectors(list(PLANTED), vectors)


@pytest.fixture
def questions(tmp_path) -> Path:
    path = tmp_path / "questions.txt"
    path.write_text(QUESTIONS)
    return path


def _counts(result: AnalogyResult) -> list[tuple[str, int, int, int]]:
    return [(s.name, s.correct, s.answered, s.total) for s in result.sections]


# -- analogies ----------------------------------------------------------------------------------


def test_analogy_sections_and_totals(planted, questions):
    result = evaluate_analogies(planted, questions, restrict_vocab=None)
    assert _counts(result) == [
        ("capital-common-countries", 2, 3, 4),
        ("family", 3, 4, 4),
        ("gram1-adjective-to-adverb", 2, 3, 4),
    ]
    assert (result.correct, result.answered, result.total) == (7, 10, 12)
    assert result.accuracy == pytest.approx(0.7)
    assert result.coverage == pytest.approx(10 / 12)
    assert result.semantic == SectionScore("semantic", 5, 7, 8, oov=1)
    assert result.syntactic == SectionScore("syntactic", 2, 3, 4, oov=1)
    assert result.sections[0].accuracy == pytest.approx(2 / 3)
    assert result.sections[0].coverage == pytest.approx(3 / 4)
    assert result.oov_words == ("Rome", "Italy", "fast", "fastly")
    assert result.restricted_words == () and result.overall.restricted == 0
    # Capitalised words are matched in their only other case; "Paris" is in the vocabulary.
    assert result.case_matched == (("Athens", "athens"), ("Greece", "greece"),
                                   ("France", "france"), ("Berlin", "berlin"),
                                   ("Germany", "germany"))
    assert result.coverage_warning() is None  # 10 of 12 answered


def test_analogy_restrict_vocab_drops_rare_words(planted, questions):
    # berlin and germany are the two rarest words: their questions are not answered
    result = evaluate_analogies(planted, questions, restrict_vocab=len(PLANTED) - 2)
    assert _counts(result)[0] == ("capital-common-countries", 1, 1, 4)
    assert (result.sections[0].oov, result.sections[0].restricted) == (1, 2)
    assert result.restricted_words == ("Berlin", "Germany")
    assert result.restrict_vocab == len(PLANTED) - 2
    unrestricted = evaluate_analogies(planted, questions, restrict_vocab=None)
    assert _counts(result)[1:] == _counts(unrestricted)[1:]
    # a restriction larger than the vocabulary is the whole vocabulary
    assert _counts(evaluate_analogies(planted, questions, restrict_vocab=30000)) == _counts(
        evaluate_analogies(planted, questions, restrict_vocab=None)
    )


def test_analogy_case_sensitivity(planted, questions):
    result = evaluate_analogies(planted, questions, restrict_vocab=None, case_insensitive=False)
    # capitalised questions no longer match the lowercase vocabulary ('Paris' alone is not enough)
    assert _counts(result)[0] == ("capital-common-countries", 0, 0, 4)
    assert _counts(result)[1] == ("family", 3, 4, 4)
    assert result.sections[0].accuracy == 0.0


def test_analogy_rarer_spelling_of_a_query_word_is_not_an_answer(planted, tmp_path):
    # Paris (the rarer spelling of paris) ties with france as nearest to greece - athens + paris
    # and comes first in the vocabulary; as in gensim it is skipped because PARIS is a query word.
    path = tmp_path / "q.txt"
    path.write_text(": capitals\nathens greece paris france\n")
    assert _counts(evaluate_analogies(planted, path, None)) == [("capitals", 1, 1, 1)]


def test_analogy_zero_answered_section(planted, tmp_path):
    path = tmp_path / "q.txt"
    path.write_text(": unknown\nfoo bar baz qux\n: family\nman woman king queen\n")
    result = evaluate_analogies(planted, path)
    assert _counts(result) == [("unknown", 0, 0, 1), ("family", 1, 1, 1)]
    assert result.sections[0].accuracy == 0.0 and result.sections[0].coverage == 0.0


@pytest.mark.parametrize(
    "text, match",
    [
        (": s\nman woman king\n", r"q.txt: line 2: expected 4 words 'A B C D'.*found 3 words"),
        (": s\nman woman king queen\na b c d e\n", r"line 3: expected 4 words"),
        ("man woman king queen\n", r"line 1: question before any ': section' header"),
        (":\nman woman king queen\n", r"line 1: section header ':' has no name"),
        (": s\n\n", r"no analogy questions found"),
    ],
)
def test_analogy_malformed_files(planted, tmp_path, text, match):
    path = tmp_path / "q.txt"
    path.write_text(text)
    with pytest.raises(W2VError, match=match):
        evaluate_analogies(planted, path)


def test_analogy_missing_file_and_bad_restrict(planted, tmp_path, questions):
    with pytest.raises(W2VError, match="analogy file '.*nope.txt' not found"):
        evaluate_analogies(planted, tmp_path / "nope.txt")
    with pytest.raises(W2VError, match="restrict_vocab"):
        evaluate_analogies(planted, questions, restrict_vocab=0)


def _noisy_analogy_model(seed: int = 0) -> tuple[KeyedVectors, str]:
    """Pairs (x_i, y_i = x_i + offset + noise) plus rarer capitalised near-copies of some words."""
    rng = np.random.default_rng(seed)
    n_pairs, dim = 30, 12
    x = rng.standard_normal((n_pairs, dim))
    y = x + rng.standard_normal(dim) + 0.6 * rng.standard_normal((n_pairs, dim))
    words = [f"x{i}" for i in range(n_pairs)] + [f"y{i}" for i in range(n_pairs)]
    vectors = [*x, *y]
    for i in range(0, n_pairs, 3):  # variants that often win as nearest neighbours
        words += [f"X{i}", f"Y{i}"]
        vectors += [x[i] + 0.05 * rng.standard_normal(dim), y[i] + 0.05 * rng.standard_normal(dim)]
    filler = rng.standard_normal((40, dim))
    words += [f"f{i}" for i in range(40)]
    vectors += list(filler)
    lines = [": pairs"]
    lines += [f"x{i} y{i} x{j} y{j}" for i in range(n_pairs) for j in range(n_pairs) if i != j]
    lines += [": gram-pairs"]  # written in capitals that are not in the vocabulary as written
    lines += [f"Y{i} X{i} y{j} x{j}" for i in range(n_pairs) if i % 3
              for j in range(0, n_pairs, 2) if i != j]
    return KeyedVectors(words, np.array(vectors)), "\n".join(lines) + "\n"


@pytest.mark.parametrize("restrict_vocab", [None, 70, 1000])
@pytest.mark.parametrize("case_insensitive", [True, False])
def test_analogies_match_gensim(tmp_path, restrict_vocab, case_insensitive):
    gensim_models = pytest.importorskip("gensim.models")
    kv, text = _noisy_analogy_model()
    path = tmp_path / "q.txt"
    path.write_text(text)
    ours = evaluate_analogies(kv, path, restrict_vocab, case_insensitive)

    theirs = gensim_models.KeyedVectors(vector_size=kv.vector_size)
    theirs.add_vectors(kv.index_to_key, kv.vectors)
    _, sections = theirs.evaluate_word_analogies(
        str(path), restrict_vocab=restrict_vocab or len(kv), case_insensitive=case_insensitive
    )
    expected = [
        (s["section"], len(s["correct"]), len(s["correct"]) + len(s["incorrect"]))
        for s in sections[:-1]  # the last one is gensim's "Total accuracy"
    ]
    assert [(s.name, s.correct, s.answered) for s in ours.sections] == expected
    assert 0 < ours.correct < ours.answered  # a real mix of right and wrong answers


def test_analogies_take_a_question_word_as_written(tmp_path):
    # Where gensim differs on purpose: a word in the vocabulary as written is used as written
    # (the rarer "X3"), as `w2v similar X3` would, not its most frequent spelling ("x3").
    kv, _ = _noisy_analogy_model()
    path = tmp_path / "q.txt"
    path.write_text(": s\nX3 Y3 x6 y6\n")
    assert evaluate_analogies(kv, path, None).case_matched == ()
    lowered = KeyedVectors([w for w in kv.index_to_key if w.islower()],
                           kv.vectors[[w.islower() for w in kv.index_to_key]])
    assert evaluate_analogies(lowered, path, None).case_matched == (("X3", "x3"), ("Y3", "y3"))


def test_analogy_word_with_several_case_variants_is_out_of_vocabulary(tmp_path):
    kv = KeyedVectors(["apple", "Apple", "pear", "pears", "plum", "plums"], np.eye(6))
    path = tmp_path / "q.txt"
    path.write_text(": s\nAPPLE apple pear pears\npear pears plum plums\n")
    result = evaluate_analogies(kv, path, None)
    assert (result.answered, result.total, result.oov_words) == (1, 2, ("APPLE",))


def test_analogies_match_a_question_by_question_loop(tmp_path):
    kv, text = _noisy_analogy_model(seed=3)
    words = [line.split() for line in text.splitlines() if not line.startswith(":")]
    limit = 80
    vocab = kv.index_to_key[:limit]
    expected = sum(
        kv.most_similar([b, c], [a], topn=1, restrict_vocab=limit)[0][0] == d
        for a, b, c, d in words
        if {a, b, c, d} <= set(vocab)
    )
    path = tmp_path / "q.txt"
    path.write_text(text)
    result = evaluate_analogies(kv, path, restrict_vocab=limit, case_insensitive=False)
    assert result.correct == expected


# -- word-pair similarity -----------------------------------------------------------------------


def test_spearman_hand_computed_with_ties():
    # ranks of x with a tie: [1, 2.5, 2.5, 4]; rho = 4.5 / sqrt(4.5 * 5) = 3 / sqrt(10)
    assert spearman([1, 2, 2, 3], [1, 3, 2, 4]) == pytest.approx(3 / np.sqrt(10))
    assert spearman([1, 2, 3], [10, 20, 30]) == pytest.approx(1.0)
    assert spearman([1, 2, 3], [3, 1, 0]) == pytest.approx(-1.0)
    assert np.isnan(spearman([1, 1, 1], [1, 2, 3]))
    numpy_r = np.corrcoef([1, 2, 3], [2, 4, 6.5])[0, 1]
    assert pearson([1, 2, 3], [2, 4, 6.5]) == pytest.approx(numpy_r)


def test_spearman_matches_scipy():
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(0)
    x = rng.integers(0, 10, 200).astype(float)  # many ties
    y = x + rng.integers(-5, 5, 200)
    assert spearman(x, y) == pytest.approx(stats.spearmanr(x, y).statistic, abs=1e-12)
    assert pearson(x, y) == pytest.approx(stats.pearsonr(x, y).statistic, abs=1e-12)


def test_word_pairs(tmp_path):
    angles = {"tiger": 0, "cat": 30, "Dog": 60, "car": 150, "dog": 170, "Lion": 20}
    rad = np.deg2rad(list(angles.values()))
    kv = KeyedVectors(list(angles), np.stack([np.cos(rad), np.sin(rad)], axis=1))
    path = tmp_path / "pairs.tsv"
    path.write_text(
        "# word1\tword2\tscore\n"
        "tiger\tcat\t7.35\n"
        "Tiger cat 7.35\n"  # space-separated; Tiger -> tiger, its only case variant
        "tiger\tlion\t8\n"  # lion -> Lion: cosine of 20 degrees
        "tiger\tDog\t6.0\n"  # as written (not dog): cosine 0.5
        "cat\tcar\t0.5\n"
        "\n"
        "tiger\tDOG\t6.0\n"  # two case variants, Dog and dog, neither as written: unknown
        "tiger\tunicorn\t5\n"
    )
    result = evaluate_word_pairs(kv, path)
    cosines = np.cos(np.deg2rad([30, 30, 20, 60, 120]))
    human = [7.35, 7.35, 8, 6.0, 0.5]
    assert (result.pairs_used, result.pairs_total, result.oov_pairs) == (5, 7, 2)
    assert result.oov_ratio == pytest.approx(2 / 7)
    assert result.spearman == pytest.approx(spearman(cosines, human))
    assert result.spearman == pytest.approx(1.0)
    assert result.pearson == pytest.approx(pearson(cosines, human), abs=1e-6)
    assert result.oov_words == ("DOG", "unicorn")
    assert result.case_matched == (("Tiger", "tiger"), ("lion", "Lion"))
    assert result.coverage_warning() is None

    strict = evaluate_word_pairs(kv, path, case_insensitive=False)
    assert (strict.pairs_used, strict.pairs_total) == (3, 7)  # Tiger, lion, DOG unknown too


def test_coverage_warnings_say_how_many_were_scored_and_why(planted, tmp_path):
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("man woman 5\nking queen 6\nman queen 2\nfoo bar 1\nfoo man 3\n"
                     "a b 1\nc d 2\n")
    result = evaluate_word_pairs(planted, pairs)
    assert result.coverage_warning(len(planted)) == (
        "Warning: only 3 of 7 (42.9%) word pairs were scored: 4 have a word not in the "
        "vocabulary (18 words); the correlations are over the scored pairs only"
    )
    questions = tmp_path / "q.txt"
    questions.write_text(": s\nman woman king queen\nboy girl man woman\n"
                         "quick quickly slow slowly\nfoo bar man woman\nman woman foo bar\n")
    result = evaluate_analogies(planted, questions, restrict_vocab=4)
    assert result.coverage_warning() == (
        "Warning: only 1 of 5 (20.0%) analogy questions were scored: 2 have a word not in the "
        "vocabulary and 2 a word beyond the 4 most frequent (restrict-vocab); the accuracy is "
        "over the scored ones only"
    )
    assert evaluate_analogies(planted, questions, None).coverage_warning() is None  # 3 of 5


@pytest.mark.parametrize(
    "text, match",
    [
        ("tiger cat\n", r"line 1: expected 'word1 word2 score'"),
        ("# c\ntiger cat high\n", r"line 2: expected 'word1 word2 score'"),
        ("Word 1,Word 2,Human (mean)\n", r"line 1: .*comment it out with '#'"),
        ("# only comments\n", r"no word pairs found"),
        ("tiger cat 1\nfoo bar 2\n", r"only 1 of 2 pairs have both words in the vocabulary"),
    ],
)
def test_word_pairs_errors(tmp_path, text, match):
    kv = KeyedVectors(["tiger", "cat"], np.eye(2))
    path = tmp_path / "pairs.tsv"
    path.write_text(text)
    with pytest.raises(W2VError, match=match):
        evaluate_word_pairs(kv, path)


# -- the real evaluation files ------------------------------------------------------------------


def _real(name: str) -> Path:
    path = EVAL_DIR / name
    if not path.exists():
        pytest.skip(f"{path} not present (the shared data folder is absent)")
    return path


def test_real_questions_words_parses():
    path = _real("questions-words.txt")
    lines = [line for line in path.read_text().splitlines() if not line.startswith(":")]
    words = sorted({w.lower() for line in lines for w in line.split()})
    kv = KeyedVectors(words, np.random.default_rng(0).standard_normal((len(words), 20)))
    result = evaluate_analogies(kv, path, restrict_vocab=None)
    assert len(result.sections) == 14
    assert (result.answered, result.total) == (19544, 19544)
    assert (result.semantic.total, result.syntactic.total) == (8869, 10675)


def test_real_wordsim353_parses():
    path = _real("wordsim353.tsv")
    pairs = [line.split("\t") for line in path.read_text().splitlines() if not line.startswith("#")]
    words = sorted({w.lower() for a, b, _ in pairs for w in (a, b)})
    kv = KeyedVectors(words, np.random.default_rng(0).standard_normal((len(words), 20)))
    result = evaluate_word_pairs(kv, path)
    assert (result.pairs_used, result.pairs_total, result.oov_ratio) == (353, 353, 0.0)
    assert -0.3 < result.spearman < 0.3  # random vectors: no correlation


def test_the_standard_sets_ship_inside_the_package(shared_data):
    from w2vcli.evaluate import STANDARD_SETS, standard_set

    for name, file in STANDARD_SETS.items():
        assert standard_set(name).read_bytes() == (shared_data / "eval" / file).read_bytes()


def test_eval_with_no_file_reports_both_standard_sets(tmp_path):
    import json

    from click.testing import CliRunner

    from w2vcli.cli import cli
    from w2vcli.io import save_word2vec_format
    from w2vcli.keyedvectors import KeyedVectors

    # Capitals and countries on two axes: athens - greece + iraq = baghdad, and so on.
    pairs = [("athens", "greece"), ("baghdad", "iraq"), ("bangkok", "thailand"),
             ("beijing", "china"), ("berlin", "germany")]
    words, rows = [], []
    for i, (capital, country) in enumerate(pairs):
        base = np.zeros(8)
        base[i] = 1.0
        words += [capital, country]
        rows += [base + np.eye(8)[6], base + np.eye(8)[7]]
    words += ["love", "sex", "tiger", "cat"]
    rows += [np.eye(8)[5], np.eye(8)[5] + 0.1, np.ones(8), np.ones(8) + 0.2]
    path = tmp_path / "v.txt"
    save_word2vec_format(KeyedVectors(words, np.array(rows, dtype=np.float32)), path)
    result = CliRunner().invoke(cli, ["eval", "-v", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    analogy = report["analogy"]
    assert analogy["questions"] == 19544 and analogy["answered"] >= 20  # 5 x 4, and repeats
    assert analogy["accuracy"] == 1.0
    assert analogy["semantic"]["answered"] == analogy["answered"]
    assert analogy["syntactic"]["answered"] == 0
    assert report["wordsim353"]["pairs_total"] == 353 and report["wordsim353"]["pairs_used"] >= 2
    assert "analogy questions were scored" in result.stderr  # the coverage warning
    table = CliRunner(env={"COLUMNS": "120"}).invoke(cli, ["eval", "-v", str(path), "--format",
                                                           "table"])
    assert "semantic" in table.stdout and "Spearman rho" in table.stdout
    # The FILE forms still work beside it.
    questions = tmp_path / "q.txt"
    questions.write_text(": capitals\nathens greece berlin germany\n")
    result = CliRunner().invoke(cli, ["eval", "analogy", str(questions), "-v", str(path),
                                      "--format", "tsv"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1].startswith("capitals\t1\t1\t1\t1.000000")


def test_options_given_to_eval_itself_reach_its_subcommands(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from w2vcli.cli import cli
    from w2vcli.io import save_word2vec_format
    from w2vcli.keyedvectors import KeyedVectors

    words = ["athens", "greece", "berlin", "germany"]
    path = tmp_path / "mine.txt"
    save_word2vec_format(KeyedVectors(words, np.eye(4, dtype=np.float32)), path)
    questions = tmp_path / "q.txt"
    questions.write_text(": capitals\nathens greece berlin germany\n")
    pairs = tmp_path / "p.tsv"
    pairs.write_text("athens\tgreece\t5\nberlin\tgermany\t6\nathens\tberlin\t1\n")
    monkeypatch.chdir(tmp_path)  # no vectors.txt here: only the group's -v names vectors
    for args in (["eval", "-v", str(path), "--format", "tsv", "analogy", str(questions)],
                 ["eval", "-v", str(path), "--format", "tsv", "similarity", str(pairs)]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, result.output
        assert result.stdout.split("\t")[0] in ("section", "spearman")
