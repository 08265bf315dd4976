import numpy as np
import pytest

from w2vcli.errors import CorpusError
from w2vcli.vocab import Vocab, alias_table


def test_sorted_by_count_then_first_appearance():
    words = ["b", "a", "c", "d", "e"]
    counts = np.array([2, 5, 2, 1, 5])
    vocab, remap = Vocab.from_counts(words, counts, min_count=2)
    assert vocab.words == ["a", "e", "b", "c"]
    assert vocab.counts.tolist() == [5, 5, 2, 2]
    assert remap.tolist() == [2, 0, 3, -1, 1]
    assert vocab.index["c"] == 3 and "d" not in vocab
    assert vocab.total == 14


def test_max_vocab_keeps_most_frequent():
    vocab, remap = Vocab.from_counts(["x", "y", "z"], np.array([3, 9, 5]), min_count=1, max_vocab=2)
    assert vocab.words == ["y", "z"]
    assert remap.tolist() == [-1, 0, 1]


def test_min_count_too_high_says_what_would_work():
    with pytest.raises(CorpusError) as err:
        Vocab.from_counts(["x", "y"], np.array([3, 4]), min_count=5)
    assert str(err.value) == (
        "no word occurs at least --min-count 5 times (2 distinct words, the most frequent seen 4 times); "
        "use --min-count 4 or lower"
    )


def test_keep_probabilities_match_word2vec_formula():
    vocab = Vocab(["a", "b"], np.array([990, 10]))
    p = vocab.keep_probabilities(1e-3)
    f = np.array([0.99, 0.01])
    expected = np.minimum(1, np.sqrt(1e-3 / f) + 1e-3 / f)
    np.testing.assert_allclose(p, expected, rtol=1e-6)
    assert p.dtype == np.float32
    assert (vocab.keep_probabilities(0) == 1).all()


def test_noise_distribution_is_unigram_to_three_quarters():
    vocab = Vocab(["a", "b", "c"], np.array([16, 1, 1]))
    q = vocab.noise_distribution(0.75)
    np.testing.assert_allclose(q, np.array([8, 1, 1]) / 10)


def test_alias_table_reproduces_distribution():
    rng = np.random.default_rng(0)
    p = rng.random(50) ** 3
    p /= p.sum()
    threshold, alias = alias_table(p)
    # Exact probability of each outcome under the alias scheme.
    accept = threshold.astype(np.float64) / 2**32
    implied = accept / len(p)
    np.add.at(implied, alias, (1 - accept) / len(p))
    np.testing.assert_allclose(implied, p, atol=1e-9)
    assert threshold.dtype == np.uint32 and alias.dtype == np.int32
