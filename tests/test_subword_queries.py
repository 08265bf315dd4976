"""Queries with words that are not in the vocabulary, through subword vectors: the composed
vectors are fastText's getWordVector (subwords.compose), the lookup rule says when it composed
one, and similar / analogy / plot / eval accept such words from a subword model directory and
from a fastText .bin. Hand-made random models (tests/subword_models.py), no training."""

import json

import numpy as np
import pytest
from conftest import assert_one_line_error, run_cli, run_w2v
from subword_models import BUCKET, WORDS, make_subword_model, subword_model

import w2vcli
from w2vcli.errors import UnknownWordError, W2VError
from w2vcli.evaluate import evaluate_analogies, evaluate_word_pairs, quality_report
from w2vcli.fasttext_format import model_dir_to_fasttext
from w2vcli.io import load_vectors, load_vectors_and_source
from w2vcli.keyedvectors import KeyedVectors, SubwordKeyedVectors
from w2vcli.subwords import compose

UNSEEN = ["kingdomz", "unseenword", "ab", "x", "über", "東京都", "QUEENZ"]
NOTE = "note: 'kingdomz' is not in the vocabulary; composed from its character n-grams"


@pytest.fixture
def saved():
    return subword_model()


@pytest.fixture
def kv(saved):
    return SubwordKeyedVectors.from_input_matrix(saved.words, saved.w_in, minn=3, maxn=6,
                                                 bucket=BUCKET, counts=saved.counts)


@pytest.fixture(params=["model directory", "fastText .bin"])
def source(request, tmp_path):
    """A subword model as a model directory and as a .bin: the same vectors either way."""
    saved = make_subword_model(tmp_path / "run")
    if request.param == "model directory":
        return tmp_path / "run"
    model_dir_to_fasttext(tmp_path / "run.bin", saved)
    return tmp_path / "run.bin"


# -- SubwordKeyedVectors ------------------------------------------------------------------------


def test_vectors_are_subwords_compose_bit_for_bit(kv, saved):
    index = {w: i for i, w in enumerate(saved.words)}
    for word in WORDS + UNSEEN:
        expected = compose(word, index, saved.w_in, 3, 6, BUCKET)
        assert np.array_equal(kv[word], expected), word
        assert np.array_equal(kv.get_vector(word), expected), word
        assert kv[word].dtype == np.float32 and kv[word].shape == (16,)
    assert np.array_equal(kv.ngram_vectors, saved.w_in[len(WORDS):])


def test_vocabulary_membership_is_unchanged(kv):
    assert "king" in kv and "kingdomz" not in kv and len(kv) == len(WORDS)
    assert kv.can_compose("kingdomz") and not kv.can_compose("</s>")
    assert kv.resolve("KING") == "king" and kv.resolve("kingdomz") == "kingdomz"
    assert repr(kv) == ("SubwordKeyedVectors(19 words, 16 dimensions, n-grams of 3-6 "
                        "characters in 50 buckets)")


def test_a_word_without_any_ngram_is_an_unknown_word_naming_it(saved):
    kv = SubwordKeyedVectors.from_input_matrix(saved.words, saved.w_in, minn=5, maxn=6,
                                               bucket=BUCKET)
    assert not kv.can_compose("ab")  # <ab> is 4 characters, shorter than minn 5
    with pytest.raises(UnknownWordError) as info:
        kv["ab"]
    assert str(info.value).startswith(
        "'ab' is not in the vocabulary (19 words) and has no character n-gram of 5 to 6 "
        "characters (with '<' and '>' around it) to compose a vector from")
    with pytest.raises(UnknownWordError, match="'ab', 'cd' are not in the vocabulary"):
        kv.most_similar(["ab", "cd", "king"])
    with pytest.raises(UnknownWordError, match="empty string"):
        kv[""]


def test_lookup_composes_only_what_the_vocabulary_lacks(kv):
    found = kv.lookup(["KING", "kingdomz", "king", "QUEENZ"])
    assert found.found == ("king", "kingdomz", "QUEENZ")
    assert found.renamed == (("KING", "king"),) and found.composed == ("kingdomz", "QUEENZ")
    assert found.notes() == [
        "note: KING -> king",
        "note: 'kingdomz', 'QUEENZ' are not in the vocabulary; composed from their character "
        "n-grams"]
    assert kv.lookup(["kingdomz"]).notes() == [NOTE]
    plain = KeyedVectors(kv.index_to_key, kv.vectors)  # word vectors: never composed
    assert plain.lookup(["kingdomz"]).unknown == ("kingdomz",)


def test_queries_with_unseen_words(kv):
    unit = kv["kingdomz"] / np.linalg.norm(kv["kingdomz"].astype(np.float64))
    expected = kv.unit_vectors @ unit.astype(np.float32)
    top = kv.most_similar("kingdomz", topn=3)
    assert [w for w, _ in top] == [kv.index_to_key[i] for i in np.argsort(-expected)[:3]]
    assert top[0][1] == pytest.approx(float(expected.max()), abs=1e-6)
    assert kv.similarity("kingdomz", "kingdom") == pytest.approx(
        kv.similarity("kingdom", "kingdomz"), abs=1e-7)
    assert "kingdomz" not in [w for w, _ in kv.analogy("kingz", "queenz", "kingdomz", topn=19)]
    # A vocabulary query gives what plain word vectors give.
    plain = KeyedVectors(kv.index_to_key, kv.vectors)
    assert kv.most_similar("king", topn=5) == plain.most_similar("king", topn=5)
    assert kv.analogy("man", "king", "woman") == plain.analogy("man", "king", "woman")


def test_load_vectors_detects_subword_models(source, saved):
    kv, read = load_vectors_and_source(source)
    assert isinstance(kv, SubwordKeyedVectors)
    assert read.label == ("model directory" if source.is_dir() else "fastText .bin")
    assert kv.counts.tolist() == saved.counts.tolist()
    index = {w: i for i, w in enumerate(saved.words)}
    for word in WORDS + UNSEEN:
        assert np.array_equal(kv[word], compose(word, index, saved.w_in, 3, 6, BUCKET)), word
    model = w2vcli.load(source)
    assert isinstance(model.wv, SubwordKeyedVectors)
    assert np.array_equal(model.wv["kingdomz"], kv["kingdomz"])


def test_a_word_model_directory_loads_as_word_vectors(tmp_path):
    saved = make_subword_model(tmp_path / "words", maxn=0)
    kv = load_vectors(tmp_path / "words")
    assert type(kv) is KeyedVectors and np.array_equal(kv.vectors, saved.w_in)


# -- the commands ---------------------------------------------------------------------------------


def test_similar_with_an_unseen_word(source, kv):
    result = run_cli("similar", "kingdomz", "-v", source, "-n", "3", "--format", "tsv")
    assert result.exit_code == 0, result.output
    assert result.stderr == NOTE + "\n"
    rows = [line.split("\t") for line in result.stdout.splitlines()[1:]]
    assert [(q, n) for q, _, n, _ in rows] == \
        [("kingdomz", w) for w, _ in kv.most_similar("kingdomz", topn=3)]
    as_json = json.loads(run_cli("similar", "kingdomz", "king", "-v", source, "--format",
                                 "json").stdout)
    assert [q["query"] for q in as_json["queries"]] == ["kingdomz", "king"]
    assert as_json["unknown"] == []


def test_similar_with_an_unseen_word_in_a_child_process(source):
    result = run_w2v("similar", "kingdomz", "-v", source, "-n", "2")
    assert NOTE in result.stderr and "kingdomz" in result.stdout


def test_before_subwords_the_same_query_fails(tmp_path, kv):
    words = tmp_path / "vectors.txt"  # the composed vocabulary vectors, as a .vec
    kv.save_word2vec_format(words)
    assert_one_line_error(
        run_cli("similar", "kingdomz", "-v", words),
        "'kingdomz' is not in the vocabulary (19 words); did you mean: kingdom, king, kings?")


def test_a_too_short_word_is_an_error_naming_it(tmp_path):
    make_subword_model(tmp_path / "run", minn=5)
    result = run_cli("similar", "ab", "-v", tmp_path / "run")
    assert result.exit_code == 1
    assert "'ab' is not in the vocabulary (19 words) and has no character n-gram of 5 to 6" \
        in result.output


def test_analogy_and_plot_with_unseen_words(source, tmp_path):
    result = run_cli("analogy", "kingz", "queenz", "man", "-v", source, "--format", "tsv")
    assert result.exit_code == 0, result.output
    assert "'kingz', 'queenz' are not in the vocabulary" in result.stderr
    assert result.stdout.splitlines()[1].startswith("kingz\tqueenz\tman\t1\t")
    out = tmp_path / "words.png"
    result = run_cli("plot", "--words", "kingdomz,king,queenz,castle", "-v", source, "-o", out)
    assert result.exit_code == 0, result.output
    assert "Plotted 4 words" in result.output and out.stat().st_size > 0


# -- evaluation -----------------------------------------------------------------------------------


@pytest.fixture
def questions(tmp_path):
    path = tmp_path / "questions.txt"
    path.write_text(": royal\nking queen prince princess\nkingz queenz man woman\n"
                    ": gram-plural\nking kings queen queens\nthrone thronez castle castlez\n",
                    encoding="utf-8")
    return path


@pytest.fixture
def pairs(tmp_path):
    path = tmp_path / "pairs.txt"
    path.write_text("king queen 8\nkingdomz kingdom 9\nman woman 7\ncastle crown 5\n"
                    "ab king 1\n", encoding="utf-8")
    return path


def test_evaluations_with_and_without_subwords(kv, questions, pairs):
    plain = evaluate_analogies(kv, questions)
    composed = evaluate_analogies(kv, questions, subwords=True)
    assert (plain.answered, plain.total, plain.overall.oov) == (2, 4, 2)
    assert (composed.answered, composed.total, composed.overall.oov) == (4, 4, 0)
    assert set(composed.composed_words) == {"kingz", "queenz", "thronez", "castlez"}
    assert plain.composed_words == () and not plain.subwords and composed.subwords
    words = evaluate_word_pairs(kv, pairs)
    with_subwords = evaluate_word_pairs(kv, pairs, subwords=True)
    assert (words.pairs_used, with_subwords.pairs_used) == (3, 5)
    assert set(with_subwords.composed_words) == {"kingdomz", "ab"}
    # The composed vectors are the ones queries use: the pair's cosine is kv.similarity's.
    one = pairs.parent / "one.txt"
    one.write_text("kingdomz kingdom 1\nking queen 2\nman woman 3\n", encoding="utf-8")
    assert evaluate_word_pairs(kv, one, subwords=True).pairs_used == 3


def test_an_unseen_answer_can_be_predicted(kv, tmp_path):
    # d = 'kingdomz' is not in the vocabulary: with subwords it joins the candidate answers.
    path = tmp_path / "q.txt"
    path.write_text(": x\nking kingdomz king kingdomz\n", encoding="utf-8")
    assert evaluate_analogies(kv, path).answered == 0
    result = evaluate_analogies(kv, path, subwords=True)
    assert result.answered == 1


def test_eval_commands_report_coverage_both_ways(source, questions, pairs):
    result = run_cli("eval", "analogy", questions, "-v", source, "--format", "tsv")
    assert result.exit_code == 0, result.output
    rows = {line.split("\t")[0]: line.split("\t") for line in result.stdout.splitlines()[1:]}
    assert rows["overall"][2:4] == ["4", "4"] and rows["overall"][5] == "1.000000"
    assert rows["overall, in vocabulary"][2:4] == ["2", "4"]
    assert "note: 4 words not in the vocabulary were scored through vectors composed" in \
        result.stderr
    result = run_cli("eval", "analogy", questions, "-v", source, "--no-subwords", "--format",
                     "tsv")
    assert "overall, in vocabulary" not in result.stdout and "composed" not in result.stderr
    document = json.loads(run_cli("eval", "analogy", questions, "-v", source, "--format",
                                  "json").stdout)
    assert document["subwords"] is True and document["overall"]["answered"] == 4
    assert document["in_vocabulary"]["overall"]["answered"] == 2

    result = run_cli("eval", "similarity", pairs, "-v", source, "--format", "tsv")
    lines = [line.split("\t") for line in result.stdout.splitlines()]
    assert lines[0][0] == "words" and lines[1][0] == "with-subwords"
    assert lines[1][3:5] == ["5", "5"] and lines[2][0] == "in-vocabulary"
    assert lines[2][3:5] == ["3", "5"]
    text = run_cli("eval", "similarity", pairs, "-v", source, "--format", "table").stdout
    assert "pairs 5/5" in text and "in vocabulary only: Spearman rho" in text and "3/5" in text


def test_eval_report_adds_rows_with_subwords(source):
    result = run_cli("eval", "-v", source, "--format", "tsv")
    assert result.exit_code == 0, result.output
    sets = [line.split("\t")[0] for line in result.stdout.splitlines()[1:]]
    assert sets == ["analogy (questions-words.txt)", "semantic", "syntactic",
                    "analogy (questions-words.txt), with subwords", "semantic, with subwords",
                    "syntactic, with subwords", "WordSim353 (wordsim353.tsv)",
                    "WordSim353 (wordsim353.tsv), with subwords"]
    rows = {line.split("\t")[0]: line.split("\t") for line in result.stdout.splitlines()[1:]}
    assert rows["analogy (questions-words.txt), with subwords"][5] == "1.000000"
    assert float(rows["analogy (questions-words.txt)"][5]) < 0.01
    document = json.loads(run_cli("eval", "-v", source, "--format", "json").stdout)
    assert document["wordsim353_subwords"]["pairs_used"] == 353
    assert document["wordsim353"]["pairs_used"] < 353
    plain = run_cli("eval", "-v", source, "--no-subwords", "--format", "tsv").stdout
    assert "with subwords" not in plain


def test_too_few_pairs_in_the_vocabulary_is_nan_with_subwords():
    saved = subword_model(words=["alpha", "beta", "gamma", "delta"])
    kv = SubwordKeyedVectors.from_input_matrix(saved.words, saved.w_in, minn=3, maxn=6,
                                               bucket=BUCKET)
    report = quality_report(kv, subwords=True)
    assert np.isnan(report.wordsim353.spearman) and report.wordsim353.pairs_used == 0
    assert report.wordsim353_subwords.pairs_used == 353
    with pytest.raises(W2VError, match="only 0 of 353 pairs"):
        quality_report(kv)  # vocabulary words only: an error, as for word vectors


def test_subwords_option_needs_subword_vectors(tmp_path, kv, questions):
    words = tmp_path / "vectors.txt"
    kv.save_word2vec_format(words)
    result = run_cli("eval", "analogy", questions, "-v", words, "--subwords")
    assert result.exit_code == 2
    assert "holds word vectors without character n-grams" in result.output
