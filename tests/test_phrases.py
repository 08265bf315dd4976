"""word2phrase (w2vcli.phrases and `w2v phrases`): scores, joining, passes, streaming, errors."""

from __future__ import annotations

import gzip
import math
from collections import Counter

import numpy as np
import pytest

import w2vcli.phrases as phrases_module
from conftest import run_cli as run
from w2vcli.errors import CorpusError, W2VError
from w2vcli.phrases import PhrasesError, find_phrases, pass_thresholds, phrase_scores
from w2vcli.tokenize import make_tokenizer

WHITESPACE = make_tokenizer("whitespace")


def write(path, lines):
    path.write_text("".join(line + "\n" for line in lines))
    return path


def read_lines(path):
    return path.read_text().splitlines()


@pytest.fixture(scope="module")
def city_lines():
    """~10k tokens of random filler (300 words) with planted 'new york city' / 'new york'.

    Counts: new 160, york 160, city 100; 'new york' 120 times (60 of them followed by 'city');
    'new', 'york' and 'city' also 40 times each on their own. Filler pairs occur a few times at
    most, so they stay below min_count 5.
    """
    rng = np.random.default_rng(7)
    filler = [f"w{i}" for i in range(300)]
    inserts = [["new", "york", "city"]] * 60 + [["new", "york"]] * 60
    inserts += [["new"]] * 40 + [["york"]] * 40 + [["city"]] * 40 + [[]] * 760
    lines = []
    for k in rng.permutation(len(inserts)):
        words = [filler[i] for i in rng.integers(0, len(filler), size=10)]
        cut = int(rng.integers(1, 10))
        lines.append(" ".join(words[:cut] + inserts[k] + words[cut:]))
    return lines


@pytest.fixture(scope="module")
def city_result(city_lines, tmp_path_factory):
    folder = tmp_path_factory.mktemp("city")
    out = folder / "out.txt"
    stats = find_phrases([write(folder / "in.txt", city_lines)], out, threshold=20)
    return stats, read_lines(out)


def naive_word2phrase(sentences, threshold, min_count, delimiter="_"):
    """One pass of word2phrase.c on lists of strings, word by word (the obvious version)."""
    unigrams, bigrams, n = Counter(), Counter(), 0
    for s in sentences:
        unigrams.update(s)
        bigrams.update(zip(s, s[1:]))
        n += len(s)
    out = []
    for s in sentences:
        joined = [s[0]]
        pa = unigrams[s[0]]
        for a, b in zip(s, s[1:]):
            pb = unigrams[b]
            ok = pa >= min_count and pb >= min_count
            if ok and (bigrams[a, b] - min_count) / pa / pb * n > threshold:
                joined[-1] += delimiter + b
                pb = 0  # as word2phrase.c: b is taken, so it cannot start the next pair
            else:
                joined.append(b)
            pa = pb
        out.append(joined)
    return out


def test_matches_naive_word2phrase_on_a_random_corpus(tmp_path):
    # Zipf-distributed words, each followed by its successor v(i+1) 30% of the time: runs such
    # as 'v3 v4 v5' where overlapping pairs compete, plus random pairs around min_count.
    rng = np.random.default_rng(3)
    p = 1 / np.arange(1, 61)
    sentences = []
    for _ in range(800):
        ids = rng.choice(60, size=int(rng.integers(1, 25)), p=p / p.sum())
        for j in range(1, len(ids)):
            if rng.random() < 0.3:
                ids[j] = (ids[j - 1] + 1) % 60
        sentences.append([f"v{i}" for i in ids])
    expected = naive_word2phrase(naive_word2phrase(sentences, 6.0, 3), 3.0, 3)
    out = tmp_path / "out.txt"
    stats = find_phrases([write(tmp_path / "in.txt", [" ".join(s) for s in sentences])], out,
                         threshold=3.0, min_count=3, passes=2)
    assert read_lines(out) == [" ".join(s) for s in expected]
    assert (stats.passes[0].joined, stats.passes[1].joined) == (1488, 847)  # not vacuous


def test_pass_thresholds_halve_towards_the_last():
    assert pass_thresholds(100, 2) == [200.0, 100.0]
    assert pass_thresholds(10, 3) == [40.0, 20.0, 10.0]
    assert pass_thresholds(50, 1) == [50.0]


def test_new_york_city_after_two_passes(city_lines, city_result):
    stats, lines = city_result
    tokens = " ".join(lines).split()
    assert len(lines) == len(city_lines)
    assert tokens.count("new_york_city") == 60
    assert tokens.count("new_york") == 60
    # The separate occurrences stay separate words.
    assert (tokens.count("new"), tokens.count("york"), tokens.count("city")) == (40, 40, 40)
    first, second = stats.passes
    assert (first.threshold, second.threshold) == (40.0, 20.0)
    assert first.top_by_count[0].text == "new_york" and first.top_by_count[0].count == 120
    assert [p.text for p in second.top_by_count] == ["new_york_city"]
    assert (first.joined, second.joined) == (120, 60)
    # Filler pairs are below min_count: only the planted pairs get joined.
    assert {p.text for p in first.top_by_count} <= {"new_york", "york_city"}
    n = sum(len(line.split()) for line in city_lines)
    assert (stats.tokens_in, first.tokens_in) == (n, n)
    assert (first.tokens_out, second.tokens_in) == (n - 120, n - 120)
    assert stats.tokens_out == len(tokens) == n - 180


def test_one_pass_makes_no_trigrams(city_lines, tmp_path):
    out = tmp_path / "out.txt"
    stats = find_phrases([write(tmp_path / "in.txt", city_lines)], out, threshold=40, passes=1)
    tokens = out.read_text().split()
    assert len(stats.passes) == 1 and stats.passes[0].threshold == 40.0
    assert tokens.count("new_york") == 120 and "new_york_city" not in tokens


def test_score_matches_hand_computation_and_scan_is_left_to_right(tmp_path):
    corpus = write(tmp_path / "in.txt", ["a b c"] * 3 + ["a d", "e f g h"])
    out = tmp_path / "out.txt"
    # N = 15 tokens; c_a = 4, c_b = 3, c_c = 3, c_ab = c_bc = 3; with min_count 1:
    # score(a, b) = (3 - 1) / (4 * 3) * 15 = 2.5, score(b, c) = (3 - 1) / (3 * 3) * 15 = 3.33...
    stats = find_phrases([corpus], out, threshold=2, min_count=1, passes=1)
    by_score = {p.text: p for p in stats.passes[0].top_by_score}
    assert set(by_score) == {"a_b", "b_c"}
    assert by_score["a_b"].score == pytest.approx(2.5, rel=1e-12)
    assert by_score["b_c"].score == pytest.approx(10 / 3, rel=1e-12)
    assert by_score["a_b"].count == 3
    # Both pairs are above 2; a_b comes first, so b is taken and c stays alone.
    assert read_lines(out) == ["a_b c"] * 3 + ["a d", "e f g h"]
    assert (stats.passes[0].phrases, stats.passes[0].joined) == (2, 3)
    # Above 2.5 only b_c is left.
    find_phrases([corpus], out, threshold=2.5, min_count=1, passes=1)
    assert read_lines(out) == ["a b_c"] * 3 + ["a d", "e f g h"]


def test_run_of_joinable_pairs_joins_every_other_pair(tmp_path):
    corpus = write(tmp_path / "in.txt", ["p q r s t"] * 20 + ["x y z"] * 30)
    out = tmp_path / "out.txt"
    find_phrases([corpus], out, threshold=1, min_count=1, passes=1, tokenizer=WHITESPACE)
    assert read_lines(out)[:20] == ["p_q r_s t"] * 20


def test_phrase_scores_formula_and_min_count():
    scores = phrase_scores(np.array([10, 10, 3]), np.array([20, 4, 20]), np.array([50, 50, 50]),
                           1000, min_count=5)
    assert scores[0] == pytest.approx((10 - 5) / (20 * 50) * 1000)
    assert scores[1] == -math.inf  # c_a = 4 < min_count
    assert scores[2] < 0  # c_ab below min_count: negative, never above a positive threshold


def test_pair_rarer_than_min_count_is_not_joined(tmp_path):
    # 'zebra quagga' occurs 4 times, each word 10 times: a huge ratio, but 4 < min_count 5.
    lines = ["zebra quagga"] * 4 + ["zebra"] * 6 + ["quagga"] * 6 + ["a b c d e f g h"] * 50
    out = tmp_path / "out.txt"
    stats = find_phrases([write(tmp_path / "in.txt", lines)], out, threshold=1, passes=1)
    assert read_lines(out)[:4] == ["zebra quagga"] * 4
    assert "zebra_quagga" not in {p.text for p in stats.passes[0].top_by_score}
    # With min_count 3 the same pair is joined.
    find_phrases([write(tmp_path / "in.txt", lines)], out, threshold=1, min_count=3, passes=1)
    assert read_lines(out)[:4] == ["zebra_quagga"] * 4


def test_small_blocks_and_pruning_give_the_same_phrases(city_lines, city_result, tmp_path,
                                                        monkeypatch):
    corpus = write(tmp_path / "in.txt", city_lines)
    monkeypatch.setattr(phrases_module, "BLOCK_TOKENS", 7)  # shorter than most sentences
    monkeypatch.setattr(phrases_module, "MERGE_PAIRS", 50)
    out = tmp_path / "out.txt"
    stats = find_phrases([corpus], out, threshold=20)
    assert read_lines(out) == city_result[1]
    assert stats.passes[0].pairs == city_result[0].passes[0].pairs
    assert stats.passes[0].pruned_at == 0
    # A pair table of 500 drops the rare filler pairs (most occur once) but not the phrases.
    stats = find_phrases([corpus], out, threshold=20, max_vocab_size=500)
    assert read_lines(out) == city_result[1]
    assert stats.passes[0].pruned_at >= 1 and stats.passes[0].pairs <= 500


def test_long_lines_are_cut_into_lines_and_never_joined_across(tmp_path):
    corpus = write(tmp_path / "in.txt", ["x y " * 6 + "x", "x y"] * 10)
    out = tmp_path / "out.txt"
    find_phrases([corpus], out, threshold=1, min_count=1, passes=1, max_sentence_length=5)
    # 13 tokens -> pieces of 5, 5, 3, each a line; the first piece's last x is not joined
    # to the y that starts the next piece.
    assert read_lines(out)[:4] == ["x_y x_y x", "y_x y_x y", "x_y x", "x_y"]


def test_tokenizers_case_and_delimiter(tmp_path):
    lines = [f"New York a{i}\nnew York b{i}\nthe c{i} d{i} e{i}" for i in range(30)]
    corpus = write(tmp_path / "in.txt", lines)
    out = tmp_path / "out.txt"
    find_phrases([corpus], out, threshold=1, passes=1, delimiter="+")
    assert read_lines(out)[:3] == ["new+york a0", "new+york b0", "the c0 d0 e0"]
    find_phrases([corpus], out, threshold=1, passes=1, tokenizer=WHITESPACE)
    assert read_lines(out)[:3] == ["New_York a0", "new_York b0", "the c0 d0 e0"]


def test_compressed_input_and_phrase_equal_to_an_existing_word(tmp_path):
    # 'ice_cream' is already a token: pass 1's joined 'ice cream' becomes the same word, so in
    # pass 2 'ice_cream van' is counted 3 + 3 = 6 times, reaching min_count 5.
    lines = ["ice cream van"] * 3 + [f"ice cream a{i}" for i in range(7)] + ["ice_cream van"] * 3
    lines += [f"f{i} g{i} h{i}" for i in range(30)]
    corpus = tmp_path / "in.txt.gz"
    with gzip.open(corpus, "wt") as fh:
        fh.write("\n".join(lines) + "\n")
    out = tmp_path / "out.txt"
    stats = find_phrases([corpus], out, threshold=1, passes=2, tokenizer=WHITESPACE)
    assert read_lines(out)[:4] == ["ice_cream_van"] * 3 + ["ice_cream a0"]
    assert read_lines(out)[10:13] == ["ice_cream_van"] * 3
    assert [p.text for p in stats.passes[0].top_by_count] == ["ice_cream"]
    assert [(p.text, p.count) for p in stats.passes[1].top_by_count] == [("ice_cream_van", 6)]
    assert stats.words == 4 + 7 + 90


def test_failed_write_leaves_old_output_and_no_temporary_files(city_lines, tmp_path,
                                                               monkeypatch):
    corpus = write(tmp_path / "in.txt", city_lines)
    out = tmp_path / "out" / "phrases.txt"
    out.parent.mkdir()
    out.write_text("old\n")
    scratch = tmp_path / "scratch"
    scratch.mkdir()

    def fail(*args):
        raise OSError("disk full")

    monkeypatch.setattr(phrases_module, "_write_text", fail)
    with pytest.raises(OSError, match="disk full"):
        find_phrases([corpus], out, threshold=20, tmp_dir=scratch)
    assert out.read_text() == "old\n"
    assert list(out.parent.iterdir()) == [out]
    assert list(scratch.iterdir()) == []


def test_option_errors():
    for bad in (0, -1.0, math.nan, math.inf):
        with pytest.raises(PhrasesError, match="threshold must be a positive number"):
            find_phrases(["-"], "unused.txt", threshold=bad)
    with pytest.raises(PhrasesError, match="^passes must be at least 1, got 0$"):
        find_phrases(["-"], "unused.txt", passes=0)
    with pytest.raises(PhrasesError, match="^delimiter ' ' must be non-empty and contain no"):
        find_phrases(["-"], "unused.txt", delimiter=" ")
    assert issubclass(PhrasesError, W2VError)


def test_no_pairs_at_all(tmp_path):
    out = tmp_path / "out.txt"
    stats = find_phrases([write(tmp_path / "in.txt", ["a", "b", "c"])], out, min_count=1)
    assert read_lines(out) == ["a", "b", "c"]
    assert [(p.pairs, p.phrases, p.joined) for p in stats.passes] == [(0, 0, 0), (0, 0, 0)]


def test_empty_corpus_is_an_error(tmp_path):
    corpus = write(tmp_path / "in.txt", ["", "!!! ...", ""])
    with pytest.raises(CorpusError, match="has no tokens"):
        find_phrases([corpus], tmp_path / "out.txt")
    assert not (tmp_path / "out.txt").exists()


# -- the command ------------------------------------------------------------------------------


def test_cli_reads_stdin_and_prints_a_summary(city_lines, city_result, tmp_path):
    out = tmp_path / "out.txt"
    result = run("phrases", "-", "-o", out, "--threshold", "20",
                 input="\n".join(city_lines) + "\n")
    assert result.exit_code == 0, result.output
    assert read_lines(out) == city_result[1]
    assert ("Pass 1/2 (threshold 40): 1 phrase from 8,741 scored pairs, 120 joined; "
            "10,420 -> 10,300 tokens\n") in result.output
    assert ("Pass 2/2 (threshold 20): 1 phrase from 8,754 scored pairs, 60 joined; "
            "10,300 -> 10,240 tokens\n") in result.output
    assert "new_york_city" in result.output and "Most frequent phrases of pass 2" in result.output
    assert f"Wrote {out}: 1,000 sentences, 10,240 tokens (from 10,420) in " in result.output


def test_cli_whitespace_tokenizer_and_passes(tmp_path):
    corpus = write(tmp_path / "in.txt", ["A B c", "A B d"] * 10 + ["e f g h i j"] * 10)
    out = tmp_path / "out.txt"
    result = run("phrases", corpus, "-o", out, "--tokenizer", "whitespace", "--passes", "1",
                 "--threshold", "1", "--min-count", "2", "--delimiter", "-")
    assert result.exit_code == 0, result.output
    assert read_lines(out)[:2] == ["A-B c", "A-B d"]


def test_cli_errors(tmp_path):
    result = run("phrases", tmp_path / "nope.txt", "-o", tmp_path / "out.txt")
    assert result.exit_code == 1
    assert result.output == (
        f"Error: corpus file '{tmp_path / 'nope.txt'}' does not exist; check the path\n"
    )
    result = run("phrases", tmp_path / "nope.txt", "-o", tmp_path / "no" / "out.txt")
    assert result.exit_code == 1
    assert result.output == (
        f"Error: cannot write '{tmp_path / 'no' / 'out.txt'}': directory '{tmp_path / 'no'}' "
        "does not exist; create it first or choose another output path\n"
    )
    result = run("phrases", "-", "-o", tmp_path / "out.txt", "--threshold", "0")
    assert result.exit_code == 2
    assert "Invalid value for '--threshold': 0.0 is not in the range x>0, finite." in result.output
    result = run("phrases", "-", "-o", tmp_path / "out.txt", "--threshold", "nan")
    assert result.exit_code == 2  # refused by click, before the library's own check
    assert "Error: Invalid value for '--threshold': 'nan' is not a finite number.\n" in result.output
    result = run("phrases", "-", "-o", tmp_path / "out.txt", input="... !!!\n")
    assert result.exit_code == 1
    assert result.output == (
        "Error: the corpus (-) has no tokens; check the file, or try --tokenizer whitespace "
        "if it is not made of letters and digits\n"
    )


def test_wikitext_finds_well_known_phrases(shared_data, tmp_path):
    corpus = shared_data / "corpora" / "wikitext103_valid.tokens"
    if not corpus.is_file():
        pytest.skip(f"{corpus} is absent")
    out = tmp_path / "out.txt"
    stats = find_phrases([corpus], out)
    formed = {p.text for p in stats.passes[0].top_by_count}
    assert {"united_states", "new_york", "new_zealand"} <= formed
    tokens = out.read_text().split()
    assert tokens.count("united_states") > 80 and "new_south_wales" in tokens
