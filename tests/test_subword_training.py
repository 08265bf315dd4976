"""fastText's subword model end to end: options, quality on a planted corpus, unseen words,
saved models, --resume and --init, memory checks. Every run is at dim 16 (the kernels
test_subword_kernels.py compiles)."""

import json

import numpy as np
import pytest

import w2vcli.model
from conftest import run_cli as run, write_corpus
from w2vcli.io import load_vectors
from w2vcli.model import continued_weights, load_model
from w2vcli.session import TrainingSession
from w2vcli.subwords import compose, word_vectors
from w2vcli.training import (InsufficientMemoryError, TrainConfig, check_memory, model_bytes,
                             subword_layout)
from w2vcli.vocab import Vocab

#: Groups of words that co-occur: three share a stem within the group, one does not.
GROUPS = [["catalpha", "catbeta", "catgamma", "catdelta"],
          ["dogepsilon", "dogzeta", "dogeta", "dogtheta"],
          ["cowiota", "cowkappa", "cowlambda", "cowmu"],
          ["red", "blue", "green", "pink"]]
ARGS = ["--dim", "16", "--min-count", "1", "--threads", "1", "--seed", "3", "--epochs", "3",
        "--bucket", "2000"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return write_corpus(tmp_path_factory.mktemp("subwords") / "corpus.txt", GROUPS, lines=3000,
                        words_per_line=10, seed=2)


def _cos(a, b):
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


@pytest.mark.parametrize("model", ["sg", "cbow"])
def test_planted_neighbours_and_unseen_words_near_their_group(corpus, model):
    with TrainingSession.prepare([corpus], default_output=None, subwords=True, dim=16,
                                 min_count=1, threads=1, epochs=5, bucket=5000, model=model,
                                 sample=0) as session:
        session.read()
        result = session.train()
        vectors = session.word_vectors(result)
        full = session.layout.expand(result.w_in)
    losses = [e.mean_loss for e in result.epochs]
    assert losses[-1] < losses[0]
    words = session.vocab.words
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    for group in GROUPS:
        for word in group:
            sims = unit @ unit[words.index(word)]
            nearest = [words[i] for i in np.argsort(-sims)[1:4]]
            assert set(nearest) <= set(group) - {word}, (word, nearest)
    # An unseen word composes from its n-grams: one with a group's stem lands nearest it.
    index = {w: i for i, w in enumerate(words)}
    for stem, own in (("cat", 0), ("dog", 1), ("cow", 2)):
        oov = compose(f"{stem}xyzw", index, full, 3, 6, 5000)
        centroids = [vectors[[index[w] for w in g]].mean(axis=0) for g in GROUPS]
        sims = [_cos(oov, c) for c in centroids]
        assert int(np.argmax(sims)) == own, (stem, sims)


def test_subwords_option_saves_fasttext_layout_and_composed_vectors(corpus, tmp_path):
    out, saved = tmp_path / "v.txt", tmp_path / "model"
    result = run("train", corpus, "-o", out, "--save-model", saved, "--subwords", *ARGS)
    assert result.exit_code == 0, result.output
    meta = json.loads((saved / "model.json").read_text())
    assert (meta["config"]["minn"], meta["config"]["maxn"], meta["config"]["bucket"]) == (3, 6, 2000)
    model = load_model(saved)
    assert model.w_in.shape == (16 + 2000, 16) and model.w_out.shape == (16, 16)
    # The vectors written are each word's mean row (fastText's getWordVector and .vec).
    kv = load_vectors(out)
    expected = word_vectors(model.words, model.w_in, 3, 6, 2000)
    np.testing.assert_allclose(kv.vectors, expected, atol=1e-5)
    assert not np.array_equal(kv.vectors, model.w_in[:16])
    # The n-gram rows no word uses are zero; every used one was trained away from zero.
    layout = subword_layout(model.words, TrainConfig(minn=3, maxn=6, bucket=2000))
    used = np.zeros(2016, bool)
    used[16 + layout.buckets] = True
    assert not model.w_in[16:][~used[16:]].any()
    assert np.abs(model.w_in[used]).min(axis=1).all()


def test_giving_any_ngram_option_implies_subwords_and_maxn_0_is_the_word_model(corpus, tmp_path):
    for flags, expected in ((["--minn", "2"], (2, 6, 2000)), (["--maxn", "4"], (3, 4, 2000)),
                            (["--subwords", "--maxn", "0"], (3, 0, 2000)), ([], (3, 0, 2000))):
        saved = tmp_path / f"m{len(flags)}{''.join(flags)}"
        result = run("train", corpus, "-o", tmp_path / "v.txt", "--save-model", saved,
                     *ARGS[:-2], "--epochs", "1", *flags,
                     *(["--bucket", "2000"] if flags[:1] == ["--minn"] or flags[:1] == ["--maxn"]
                       else []))
        assert result.exit_code == 0, result.output
        config = json.loads((saved / "model.json").read_text())["config"]
        got = (config["minn"], config["maxn"], config["bucket"] if config["maxn"] else 2000)
        assert got == expected, flags
        rows = 16 + (expected[2] if expected[1] else 0)
        assert load_model(saved).w_in.shape == (rows, 16)


@pytest.mark.parametrize("flags,message", [
    (["--minn", "5", "--maxn", "4"],
     "Invalid value for --minn: must not exceed --maxn 4 (n-grams of --minn to --maxn characters)"),
    (["--subwords", "--loss", "softmax"],
     "Invalid value for --loss: subwords train with --loss ns or hs (fastText's)"),
])
def test_option_errors_before_reading(flags, message, tmp_path):
    result = run("train", tmp_path / "absent.txt", *flags)
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == f"Error: {message}"


def test_interrupted_subword_run_resumes_to_the_same_bytes(corpus, tmp_path, monkeypatch):
    full = tmp_path / "full.txt"
    assert run("train", corpus, "-o", full, "--subwords", *ARGS).exit_code == 0
    real_save = w2vcli.model.save_model

    def save_then_die(path, model):
        real_save(path, model)
        raise KeyboardInterrupt

    monkeypatch.setattr(w2vcli.model, "save_model", save_then_die)
    out, ckpt = tmp_path / "resumed.txt", tmp_path / "ckpt"
    result = run("train", corpus, "-o", out, "--subwords", *ARGS, "--save-model", ckpt,
                 "--checkpoint-every", "1")
    assert result.exit_code == 130
    monkeypatch.setattr(w2vcli.model, "save_model", real_save)
    assert load_model(ckpt).meta["epochs_done"] == 1
    result = run("train", "--resume", ckpt)
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == full.read_bytes()
    # A resumed run keeps the checkpoint's model: --subwords is not a new option for it.
    result = run("train", "--resume", ckpt, "--subwords")
    assert result.exit_code == 2 and "--subwords: a resumed run keeps" in result.output


def test_init_continues_a_subword_model_and_update_vocab_moves_the_ngram_rows(corpus, tmp_path):
    base = tmp_path / "base"
    assert run("train", corpus, "-o", tmp_path / "v.txt", "--subwords", *ARGS,
               "--save-model", base).exit_code == 0
    new_text = tmp_path / "new.txt"
    new_text.write_text("catalpha catbeta catnew red\n" * 40 + "blue pinkish\n" * 40)
    result = run("train", new_text, "--init", base, "--epochs", "1", "--update-vocab",
                 "-o", tmp_path / "grown.txt", "--save-model", tmp_path / "grown")
    assert result.exit_code == 0, result.output
    grown = load_model(tmp_path / "grown")
    assert set(grown.words[16:]) == {"catnew", "pinkish"}
    assert grown.w_in.shape == (18 + 2000, 16)
    assert json.loads((tmp_path / "grown" / "model.json").read_text())["config"]["maxn"] == 6

    # The starting point: every old word composes exactly as in the saved model, although its
    # n-gram rows moved down by the two new words.
    old = load_model(base)
    config = TrainConfig(dim=16, minn=3, maxn=6, bucket=2000)
    vocab = Vocab(old.words + ["catnew", "pinkish"], np.r_[old.counts, [5, 5]])
    layout = subword_layout(vocab.words, config)
    w_in, w_out = continued_weights(old, vocab, config, layout)
    assert w_in.shape == (layout.input_rows, 16) and w_out.shape == (18, 16)
    before = word_vectors(old.words, old.w_in, 3, 6, 2000)
    from w2vcli.subwords import mean_rows
    np.testing.assert_array_equal(mean_rows(w_in, layout.offsets, layout.rows)[:16], before)

    # A word model cannot be continued as a subword one.
    words = tmp_path / "words"
    assert run("train", corpus, "-o", tmp_path / "w.txt", *ARGS[:-2], "--save-model",
               words).exit_code == 0
    result = run("train", new_text, "--init", words, "--subwords")
    assert result.exit_code == 2 and "the saved model has maxn 0" in result.output


def test_memory_check_counts_the_ngram_rows():
    words = TrainConfig(dim=100)
    sub = TrainConfig(dim=100, maxn=6)
    assert model_bytes(10_000, sub) - model_bytes(10_000, words) >= 2_000_000 * 100 * 4
    layout = subword_layout([f"w{i}" for i in range(50)], TrainConfig(maxn=6, bucket=1000))
    assert model_bytes(50, TrainConfig(maxn=6, bucket=1000, dim=4), layout) < \
        model_bytes(50, TrainConfig(maxn=6, bucket=1000, dim=4))
    with pytest.raises(InsufficientMemoryError, match="2,000,000 n-gram rows.*smaller --bucket"):
        check_memory(10_000, sub, available=100 * 1024**2)


def test_api_trains_saves_and_loads_a_subword_model(corpus, tmp_path):
    import w2vcli

    sentences = [line.split() for line in corpus.read_text().splitlines()[:800]]
    model = w2vcli.train(sentences, subwords=True, dim=16, min_count=1, bucket=2000, threads=1,
                         epochs=2)
    assert (model.options["minn"], model.options["maxn"], model.options["bucket"]) == (3, 6, 2000)
    assert model.options["kernel"] == "pair"  # fastText's noise draws unless told
    model.save(tmp_path / "m")
    saved = load_model(tmp_path / "m")
    assert saved.w_in.shape == (len(model.wv) + 2000, 16)
    np.testing.assert_array_equal(
        word_vectors(saved.words, saved.w_in, 3, 6, 2000), model.wv.vectors)
    # Loading composes each word's mean again (fastText's order of sums): equal to rounding.
    np.testing.assert_allclose(w2vcli.load(tmp_path / "m").wv.vectors, model.wv.vectors,
                               rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(load_vectors(tmp_path / "m").vectors, model.wv.vectors,
                               rtol=1e-6, atol=1e-7)


def test_train_writes_a_fasttext_bin_that_gensim_composes_alike(corpus, tmp_path):
    fasttext_models = pytest.importorskip("gensim.models.fasttext")
    import w2vcli

    out = tmp_path / "model.bin"
    result = run("train", corpus, "-o", out, "--format", "fasttext", *ARGS, "--subwords")
    assert result.exit_code == 0, result.output
    assert "(fasttext)" in result.output
    ours = w2vcli.load(out).wv
    theirs = fasttext_models.load_facebook_vectors(str(out))
    assert theirs.index_to_key == ours.index_to_key
    for word in ["cat", "dogs", "catdog", "zebra"]:  # in the vocabulary, and unseen
        np.testing.assert_allclose(theirs[word], ours[word], rtol=1e-6, atol=1e-7)
