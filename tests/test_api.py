"""The Python API: w2vcli.train / w2vcli.load, as a gensim user would use them."""

import numpy as np
import pytest

import w2vcli
from w2vcli.errors import W2VError
from w2vcli.session import OptionError

GROUPS = [["cat", "dog", "cow"], ["red", "blue", "green"], ["rome", "oslo", "paris"]]


def _sentences(n=2000, seed=0):
    """A generator (not a list): the API must stream it, not need len() or a second pass."""
    rng = np.random.default_rng(seed)
    for g in rng.integers(0, 3, size=n):
        yield [GROUPS[g][i] for i in rng.integers(0, 3, size=10)]


OPTIONS = dict(dim=16, min_count=1, threads=1, seed=3, epochs=3, sample=0.0, window=3)


def test_train_on_sentences_finds_the_planted_groups():
    model = w2vcli.train(_sentences(), **OPTIONS)
    wv = model.wv
    assert sorted(wv.index_to_key) == sorted(w for g in GROUPS for w in g)
    assert wv.vectors.shape == (9, 16) and wv.vectors.dtype == np.float32
    assert wv["cat"].shape == (16,) and "cat" in wv and "lion" not in wv
    assert wv.key_to_index["cat"] == wv.index_to_key.index("cat")
    for group in GROUPS:
        neighbours = [w for w, _ in wv.most_similar(group[0], topn=2)]
        assert set(neighbours) == set(group[1:]), (group, neighbours)
    assert wv.similarity("cat", "dog") > wv.similarity("cat", "red")
    assert [row["epoch"] for row in model.loss_history] == [1, 2, 3]
    assert model.loss_history[-1]["mean_loss"] < model.loss_history[0]["mean_loss"]
    assert model.options["dim"] == 16 and model.w_out.shape == (9, 16)


def test_a_path_and_a_list_of_paths_train_the_same(tmp_path):
    text = "\n".join(" ".join(s) for s in _sentences(500)) + "\n"
    (tmp_path / "a.txt").write_text(text)
    one = w2vcli.train(tmp_path / "a.txt", **OPTIONS)
    listed = w2vcli.train([str(tmp_path / "a.txt")], **OPTIONS)
    streamed = w2vcli.train(_sentences(500), **OPTIONS)
    np.testing.assert_array_equal(one.wv.vectors, listed.wv.vectors)
    np.testing.assert_array_equal(one.wv.vectors, streamed.wv.vectors)  # one thread, one seed


def test_save_load_and_resume_from_the_cli(tmp_path):
    from click.testing import CliRunner

    from w2vcli.cli import cli

    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join(" ".join(s) for s in _sentences(500)) + "\n")
    model = w2vcli.train(corpus, **OPTIONS, output=tmp_path / "v.txt")
    model.save(tmp_path / "m")
    back = w2vcli.load(tmp_path / "m")
    np.testing.assert_array_equal(back.wv.vectors, model.wv.vectors)
    np.testing.assert_array_equal(back.w_out, model.w_out)
    assert back.loss_history == model.loss_history and back.options["dim"] == 16
    from_file = w2vcli.load(tmp_path / "v.txt")
    np.testing.assert_allclose(from_file.wv.vectors, model.wv.vectors, rtol=1e-6)
    with pytest.raises(W2VError, match="save_word2vec_format"):
        from_file.save(tmp_path / "other")
    result = CliRunner().invoke(cli, ["train", "--resume", str(tmp_path / "m"), "--epochs", "4"])
    assert result.exit_code == 0, result.output
    assert [r["epoch"] for r in w2vcli.load(tmp_path / "m").loss_history] == [1, 2, 3, 4]


def test_progress_callback_and_errors():
    seen = []
    w2vcli.train(_sentences(300), **OPTIONS, progress=seen.append)
    assert seen and seen[-1].words_done == seen[-1].total_words
    with pytest.raises(OptionError, match="w2v calls it dim"):
        w2vcli.train(_sentences(10), vector_size=10)
    with pytest.raises(W2VError, match="sentence 1 has the token 'a b'"):
        w2vcli.train([["x"], ["a b"]], min_count=1)
    with pytest.raises(W2VError, match="sentence 0 is a str"):
        w2vcli.train(iter(["the cat sat"]), min_count=1)


def test_to_gensim_gives_the_same_neighbours():
    pytest.importorskip("gensim")
    wv = w2vcli.train(_sentences(500), **OPTIONS).wv
    gensim_kv = wv.to_gensim()
    assert gensim_kv.index_to_key == wv.index_to_key
    np.testing.assert_array_equal(gensim_kv.vectors, wv.vectors)
    assert [w for w, _ in gensim_kv.most_similar("cat", topn=3)] == \
        [w for w, _ in wv.most_similar("cat", topn=3)]
    assert gensim_kv.get_vecattr("cat", "count") == wv.counts[wv.key_to_index["cat"]]
