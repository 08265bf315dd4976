"""Training is tested by quality (loss falls, planted neighbours found), not exact floats."""

import numpy as np
import pytest

from w2vcli.corpus import read_corpus
from w2vcli.tokenize import make_tokenizer
from w2vcli.training import TrainConfig, split_sentences, train

GROUPS = {
    "animal": ["cat", "dog", "horse", "cow", "sheep", "goat"],
    "colour": ["red", "green", "blue", "yellow", "purple", "orange"],
    "fruit": ["apple", "pear", "plum", "grape", "melon", "cherry"],
    "tool": ["hammer", "saw", "drill", "wrench", "chisel", "pliers"],
    "city": ["paris", "rome", "oslo", "vienna", "berlin", "madrid"],
}
FILLER = ["the", "a", "of", "and", "to", "in"]


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """Sentences that each draw their content words from one group, plus shared filler."""
    rng = np.random.default_rng(0)
    names = list(GROUPS)
    lines = []
    for _ in range(3000):
        group = GROUPS[names[rng.integers(len(names))]]
        words = [group[i] if rng.random() < 0.7 else FILLER[rng.integers(len(FILLER))]
                 for i in rng.integers(0, len(group), size=12)]
        lines.append(" ".join(words))
    path = tmp_path_factory.mktemp("planted") / "corpus.txt"
    path.write_text("\n".join(lines) + "\n")
    return read_corpus([path], make_tokenizer(), min_count=1)


def _group_recall(vocab, w_in, k=5):
    unit = w_in / np.linalg.norm(w_in, axis=1, keepdims=True)
    hits = total = 0
    for members in GROUPS.values():
        for word in members:
            sims = unit @ unit[vocab.index[word]]
            sims[vocab.index[word]] = -np.inf
            neighbours = {vocab.words[i] for i in np.argsort(-sims)[:k]}
            hits += len(neighbours & set(members))
            total += k
    return hits / total


CONFIG = dict(dim=20, window=3, negative=5, sample=0, epochs=4, alpha=0.025, seed=3)


@pytest.mark.parametrize(
    "threads,mode",
    [
        (1, dict()),  # the default: context combining
        (2, dict()),
        (2, dict(combine=16)),
        (1, dict(kernel="hogbatch")),
        (2, dict(kernel="hogbatch")),
        (4, dict(kernel="hogbatch")),
        (1, dict(kernel="pair")),
        (2, dict(kernel="pair")),
        (2, dict(loss="hs")),
        (2, dict(model="cbow")),
        (2, dict(model="cbow", loss="hs")),
        (2, dict(model="cbow", cbow_mean=False, alpha=0.01)),
        (2, dict(loss="softmax")),
        (2, dict(model="cbow", loss="softmax")),
        (2, dict(shrink_windows=False)),
    ],
)
def test_finds_planted_neighbours_and_loss_falls(planted, threads, mode):
    vocab, corpus = planted
    config = dict(CONFIG, **{k: v for k, v in mode.items() if k != "alpha"})
    if "alpha" in mode or mode.get("model") == "cbow":
        config["alpha"] = mode.get("alpha", 0.05)
    result = train(vocab, corpus, TrainConfig(threads=threads, **config))
    assert _group_recall(vocab, result.w_in) > 0.9
    losses = [e.mean_loss for e in result.epochs]
    assert losses[-1] < losses[0]
    assert result.words == 4 * len(corpus)
    assert result.w_in.dtype == np.float32 and result.w_in.shape == (len(vocab), 20)
    assert result.w_out.shape == (len(vocab) - (mode.get("loss") == "hs"), 20)


def test_one_thread_is_reproducible_and_seed_matters(planted):
    vocab, corpus = planted
    cfg = dict(CONFIG, epochs=1, threads=1)
    a = train(vocab, corpus, TrainConfig(**cfg))
    b = train(vocab, corpus, TrainConfig(**cfg))
    c = train(vocab, corpus, TrainConfig(**dict(cfg, seed=4)))
    assert np.array_equal(a.w_in, b.w_in) and np.array_equal(a.w_out, b.w_out)
    assert a.epochs[0].mean_loss == b.epochs[0].mean_loss
    assert not np.array_equal(a.w_in, c.w_in)


@pytest.mark.parametrize("threads", [2, 4])
def test_mean_loss_agrees_across_thread_counts(planted, threads):
    """Hogwild: the loss is tallied per thread in float64 and summed, so it matches one thread's."""
    vocab, corpus = planted
    one = train(vocab, corpus, TrainConfig(threads=1, **CONFIG))
    many = train(vocab, corpus, TrainConfig(threads=threads, **CONFIG))
    assert (one.threads, many.threads) == (1, threads)
    for e1, e2 in zip(one.epochs, many.epochs):
        assert e2.mean_loss == pytest.approx(e1.mean_loss, rel=0.03)
        assert e2.pairs == pytest.approx(e1.pairs, rel=0.02)


def test_progress_reports_every_batch(planted):
    vocab, corpus = planted
    seen = []
    train(vocab, corpus, TrainConfig(threads=1, **dict(CONFIG, epochs=2)), progress=seen.append)
    assert [p.epoch for p in seen][-1] == 2
    assert seen[-1].words_done == seen[-1].total_words == 2 * len(corpus)
    assert all(a.words_done < b.words_done for a, b in zip(seen, seen[1:]))
    assert seen[-1].alpha == pytest.approx(0.0001)  # min-alpha at the very end


def test_split_sentences_balances_tokens():
    ends = np.cumsum(np.full(100, 10, dtype=np.int64))
    cuts = split_sentences(ends, 0, 100, 4)
    assert cuts.tolist() == [0, 25, 50, 75, 100]
    cuts = split_sentences(ends, 10, 30, 2)
    assert cuts[0] == 10 and cuts[-1] == 30 and 19 <= cuts[1] <= 21


@pytest.mark.parametrize("field,value,message", [
    ("dim", 0, "dim must be at least 1"),
    ("alpha", 0.0, "alpha must be positive"),
    ("min_alpha", 1.0, "min-alpha must be between 0 and alpha"),
])
def test_config_validation(field, value, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**{field: value}).validate()


def test_divergence_is_reported(planted):
    from w2vcli.training import TrainingDivergedError

    vocab, corpus = planted
    with pytest.raises(TrainingDivergedError, match="training diverged in epoch 1.*smaller --alpha"):
        train(vocab, corpus, TrainConfig(**dict(CONFIG, alpha=1e30, threads=1)))
