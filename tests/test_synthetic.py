"""The synthetic-corpus generator of examples/synthetic.py: determinism, size, frequencies and
the planted structure, plus the scoring helpers the demo uses."""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _load_synthetic():
    path = EXAMPLES / "synthetic.py"
    spec = importlib.util.spec_from_file_location("w2v_example_synthetic", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


syn = _load_synthetic()


@pytest.fixture(scope="module")
def counts_1m() -> np.ndarray:
    """Word counts of the default 1M-token corpus (seed 0), indexed like syn.VOCABULARY."""
    ids, ends = syn.generate_ids(1_000_000, seed=0)
    assert ids.shape == (1_000_000,) and ends[-1] == 1_000_000
    return np.bincount(ids, minlength=len(syn.VOCABULARY))


def test_deterministic_for_a_seed_and_different_for_another():
    a = syn.generate_corpus(20_000, seed=7)
    b = syn.generate_corpus(20_000, seed=7)
    c = syn.generate_corpus(20_000, seed=8)
    assert a == b
    assert a != c
    # A different seed still gives the same kind of corpus: same size, overlapping vocabulary.
    assert sum(map(len, c)) == 20_000
    assert len({w for s in a for w in s} & {w for s in c for w in s}) > 300


@pytest.mark.parametrize("n", [0, 1, 5, 17, 1000, 123_457])
def test_exact_token_count_and_sentence_lengths(n):
    sentences = syn.generate_corpus(n, seed=1)
    lengths = [len(s) for s in sentences]
    assert sum(lengths) == n
    assert all(1 <= k <= syn.MAX_LEN for k in lengths)
    assert all(k >= syn.MIN_LEN for k in lengths[:-1])  # only the last may be cut short


def test_negative_token_count_is_rejected():
    with pytest.raises(ValueError):
        syn.generate_corpus(-1)


def test_zipf_like_frequencies(counts_1m):
    freq = np.sort(counts_1m)[::-1].astype(np.float64)
    ranks = np.arange(1, len(freq) + 1)
    slope = np.polyfit(np.log(ranks), np.log(freq), 1)[0]
    assert -1.3 < slope < -0.7, slope  # Zipf's law: slope about -1
    # A heavy head and a long way down: the top word is a few percent of the text, and counts
    # span more than two orders of magnitude.
    assert 0.03 < freq[0] / freq.sum() < 0.15
    assert freq[0] / freq[-1] > 100
    # The most frequent words are function words, as in real text.
    top = [syn.VOCABULARY[i] for i in np.argsort(-counts_1m)[:5]]
    assert set(top) <= set(syn.FILLER_WORDS), top


def test_every_word_is_frequent_enough_for_min_count_5(counts_1m):
    planted = syn.planted_words()
    assert len(planted) == 80 + 40
    planted_counts = {w: int(counts_1m[syn._INDEX[w]]) for w in planted}
    assert min(planted_counts.values()) >= 100, min(planted_counts.items(), key=lambda kv: kv[1])
    assert counts_1m.min() >= 5  # so a min-count-5 vocabulary keeps every generated word


def test_truth_metadata_is_consistent():
    groups = syn.planted_groups()
    assert len(groups) == 10 and all(len(m) == 8 for m in groups.values())
    relations = syn.planted_pairs()
    assert set(relations) == {"gender", "capital"}
    assert syn.PLANTED_PAIRS == [p for pairs in relations.values() for p in pairs]
    # Every word has one role only (member, context, pair word, marker or filler).
    assert len(set(syn.VOCABULARY.tolist())) == len(syn.VOCABULARY)
    # Copies, not the module's own lists.
    groups["animals"].append("unicorn")
    assert "unicorn" not in syn.PLANTED_GROUPS["animals"]
    questions = syn.analogy_questions()
    assert all(len(q) == 90 for q in questions.values())
    assert ("king", "queen", "man", "woman") in questions["gender"]


def test_planted_structure_is_in_the_text():
    sentences = syn.generate_corpus(200_000, seed=2)
    member_of = {w: g for g, ms in syn.PLANTED_GROUPS.items() for w in ms}
    pair_word = {w for p in syn.PLANTED_PAIRS for w in p}
    side_of = {}
    for rel, pairs in syn.PLANTED_RELATIONS.items():
        for a, b in pairs:
            side_of[a], side_of[b] = (rel, 0), (rel, 1)
    markers = {
        m: (rel, side)
        for rel, sides in syn.RELATION_MARKERS.items()
        for side in (0, 1)
        for m in sides[side]
    }
    context_topic = {w: g for g, cs in syn.TOPIC_CONTEXTS.items() for w in cs}
    ctx_counts = {w: Counter() for w in member_of}
    for s in sentences[:-1]:  # the last sentence may be cut short
        subjects = [w for w in s if w in member_of or w in pair_word]
        assert len(subjects) == 1, s  # exactly one subject per sentence
        (subject,) = subjects
        if subject in member_of:
            topics = {context_topic[w] for w in s if w in context_topic}
            assert topics <= {member_of[subject]}, s  # only its own topic's contexts
            ctx_counts[subject].update(w for w in s if w in context_topic)
        else:
            assert all(markers[w] == side_of[subject] for w in s if w in markers), s
    # Members of a group share a context distribution; members of different groups do not.
    names = sorted(context_topic)
    vec = {w: np.array([c[n] for n in names], dtype=float) for w, c in ctx_counts.items()}
    cos = lambda a, b: a @ b / (np.linalg.norm(a) * np.linalg.norm(b))  # noqa: E731
    groups = list(syn.PLANTED_GROUPS.values())
    same = [cos(vec[a], vec[b]) for g in groups for a in g for b in g if a < b]
    cross = [
        cos(vec[a], vec[b])
        for i, g in enumerate(groups)
        for h in groups[i + 1 :]
        for a in g
        for b in h
    ]
    assert min(same) > 0.9 and max(cross) == 0.0


def test_script_writes_corpus_and_questions(tmp_path):
    out, questions = tmp_path / "syn.txt", tmp_path / "q.txt"
    argv = ["-o", str(out), "--tokens", "5000", "--seed", "3", "--questions", str(questions)]
    assert syn.main(argv) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines == list(syn.iter_lines(5000, seed=3))
    assert [l.split() for l in lines] == syn.generate_corpus(5000, seed=3)
    q = questions.read_text(encoding="utf-8").splitlines()
    assert q[0] == ": gender" and ": capital" in q
    assert len([l for l in q if not l.startswith(":")]) == 180
    assert all(len(l.split()) == 4 for l in q if not l.startswith(":"))


def _oracle_vectors(noise: float, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """Vectors with the planted structure built in: a direction per group / pair / side."""
    rng = np.random.default_rng(seed)
    words = syn.VOCABULARY.tolist()
    dim = 64
    basis = rng.normal(size=(60, dim))
    vectors = rng.normal(size=(len(words), dim)) * 1.5  # everything else: random
    for g, members in enumerate(syn.PLANTED_GROUPS.values()):
        for w in members:
            vectors[syn._INDEX[w]] = basis[g] * 3 + rng.normal(size=dim) * noise
    for p, (a, b) in enumerate(syn.PLANTED_PAIRS):
        rel = 0 if p < 10 else 1
        for side, w in enumerate((a, b)):
            offset = basis[50 + 2 * rel + side] * 2  # the same for every pair of the relation
            vectors[syn._INDEX[w]] = basis[20 + p] * 3 + offset + rng.normal(size=dim) * noise
    return words, vectors


def test_group_recall_and_analogy_accuracy_scoring():
    words, good = _oracle_vectors(noise=0.1)
    recall = syn.group_recall(words, good)
    assert set(recall) == set(syn.PLANTED_GROUPS) and min(recall.values()) == 1.0
    assert syn.analogy_accuracy(words, good) == {"gender": 1.0, "capital": 1.0}
    report = syn.report(words, good)
    assert "animals" in report and "100.0%" in report

    random = np.random.default_rng(1).normal(size=good.shape)
    assert np.mean(list(syn.group_recall(words, random).values())) < 0.2
    assert max(syn.analogy_accuracy(words, random).values()) < 0.2
    # Words missing from the vocabulary are skipped (recall) or count as wrong (analogies).
    keep = [i for i, w in enumerate(words) if w not in ("dog", "queen")]
    sub_words = [words[i] for i in keep]
    assert syn.group_recall(sub_words, good[keep])["animals"] < 1.0  # dog's place is taken
    assert syn.analogy_accuracy(sub_words, good[keep])["gender"] < 1.0
