"""Saved models: checkpoints, kill-and-resume bit equality, --init, vocab files, loss log."""

import csv
import json
import signal
import subprocess

import numpy as np
import pytest

import w2vcli.model
from conftest import W2V, child_env, finish, run_cli as run, run_w2v, wait_for, write_corpus
from w2vcli.io import load_vectors
from w2vcli.model import load_model

WORDS = ["cat", "dog", "cow", "red", "blue", "green", "rome", "oslo", "paris"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    groups = [WORDS[0:3], WORDS[3:6], WORDS[6:9]]
    return write_corpus(tmp_path_factory.mktemp("resume") / "corpus.txt", groups, lines=3000,
                        words_per_line=12, seed=4)


ARGS = ["--dim", "16", "--min-count", "1", "--threads", "1", "--seed", "7", "--epochs", "3"]


def test_interrupted_run_resumes_to_the_same_bytes(corpus, tmp_path, monkeypatch):
    full = tmp_path / "full.txt"
    assert run("train", corpus, "-o", full, *ARGS).exit_code == 0

    real_save = w2vcli.model.save_model
    calls = []

    def save_then_die(path, model):
        real_save(path, model)
        calls.append(model.meta["epochs_done"])
        raise KeyboardInterrupt  # the process dies right after the epoch-1 checkpoint

    monkeypatch.setattr(w2vcli.model, "save_model", save_then_die)
    out = tmp_path / "resumed.txt"
    ckpt = tmp_path / "ckpt"
    result = run("train", corpus, "-o", out, *ARGS, "--save-model", ckpt, "--checkpoint-every", "1")
    assert result.exit_code == 130 and calls == [1]
    assert not out.exists()
    monkeypatch.setattr(w2vcli.model, "save_model", real_save)
    assert load_model(ckpt).meta["epochs_done"] == 1

    result = run("train", "--resume", ckpt, "--threads", "1")
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == full.read_bytes()
    saved = load_model(ckpt)
    assert saved.meta["epochs_done"] == 3
    assert [row["epoch"] for row in saved.loss] == [1, 2, 3]


def test_kill_9_leaves_a_complete_checkpoint_that_resumes_exactly(corpus, tmp_path):
    big = tmp_path / "big.txt"
    big.write_text(corpus.read_text() * 8)
    full, out, ckpt = tmp_path / "full.txt", tmp_path / "out.txt", tmp_path / "ckpt"
    run_w2v("train", big, "-o", full, *ARGS)
    proc = subprocess.Popen([*W2V, "train", str(big), "-o", str(out), *ARGS, "--save-model",
                             str(ckpt), "--checkpoint-every", "1"], stderr=subprocess.DEVNULL,
                            env=child_env())
    wait_for((ckpt / "model.json").exists, proc, "the first checkpoint")
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    finish(proc)
    meta = json.loads((ckpt / "model.json").read_text())
    assert 1 <= meta["epochs_done"] <= 3
    assert load_model(ckpt).w_in.shape == (9, 16)  # complete and consistent
    out.unlink(missing_ok=True)
    run_w2v("train", "--resume", ckpt, "--threads", "1")
    assert out.read_bytes() == full.read_bytes()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".ckpt")]


def test_resume_refuses_another_corpus_and_new_parameters(corpus, tmp_path):
    ckpt = tmp_path / "m"
    assert run("train", corpus, "-o", tmp_path / "v.txt", *ARGS, "--epochs", "1", "--save-model", ckpt).exit_code == 0
    other = tmp_path / "other.txt"
    other.write_text("\n".join(corpus.read_text().splitlines()[::-1]) + "\n")  # same words, other order
    result = run("train", other, "--resume", ckpt, "--epochs", "2")
    assert result.exit_code == 1
    assert result.output.endswith(
        "Error: the corpus is not the one this checkpoint was trained on (its fingerprint differs); "
        "pass the same corpus, or use --init DIR to train on new text\n")
    result = run("train", "--resume", ckpt, "--dim", "8")
    assert result.exit_code == 2
    assert "--dim: a resumed run keeps its checkpoint's parameters" in result.output
    # --epochs extends the run: 1 done, 2 more to reach 3.
    result = run("train", "--resume", ckpt, "--epochs", "3")
    assert result.exit_code == 0, result.output
    assert load_model(ckpt).meta["epochs_done"] == 3


def test_init_continues_and_update_vocab_adds_words(corpus, tmp_path):
    base = tmp_path / "base"
    assert run("train", corpus, "-o", tmp_path / "v.txt", *ARGS, "--save-model", base).exit_code == 0
    new_text = tmp_path / "new.txt"
    new_text.write_text("cat dog lion tiger\n" * 50 + "red blue\n" * 50)
    result = run("train", new_text, "--init", base, "--epochs", "2", "-o", tmp_path / "same.txt")
    assert result.exit_code == 0, result.output
    kept = load_vectors(tmp_path / "same.txt")
    assert kept.index_to_key == load_model(base).words  # lion, tiger ignored
    result = run("train", new_text, "--init", base, "--epochs", "2", "--update-vocab",
                 "--min-count", "5", "-o", tmp_path / "grown.txt", "--save-model", tmp_path / "grown")
    assert result.exit_code == 0, result.output
    assert "(2 new)" in result.output
    grown = load_model(tmp_path / "grown")
    assert grown.words[:9] == load_model(base).words and set(grown.words[9:]) == {"lion", "tiger"}
    assert grown.w_in.shape == (11, 16)
    # The saved model's dimension is kept; asking for another is an error.
    result = run("train", new_text, "--init", base, "--dim", "8")
    assert result.exit_code == 2 and "the saved model has dim 16" in result.output


def test_save_and_read_vocab(corpus, tmp_path):
    vocab_file = tmp_path / "vocab.txt"
    assert run("train", corpus, "-o", tmp_path / "a.txt", *ARGS, "--epochs", "1", "--save-vocab", vocab_file).exit_code == 0
    lines = vocab_file.read_text().splitlines()
    assert len(lines) == 9 and all(len(line.split(" ")) == 2 for line in lines)
    counts = [int(line.split()[1]) for line in lines]
    assert counts == sorted(counts, reverse=True) and sum(counts) == 36000
    vocab_file.write_text("\n".join(lines[:4]) + "\n")  # keep only the 4 most frequent words
    result = run("train", corpus, "-o", tmp_path / "b.txt", *ARGS, "--epochs", "1", "--neg", "3", "--read-vocab", vocab_file)
    assert result.exit_code == 0, result.output
    assert load_vectors(tmp_path / "b.txt").index_to_key == [line.split()[0] for line in lines[:4]]


def test_loss_log_and_model_record_every_epoch(corpus, tmp_path):
    log, model_dir = tmp_path / "loss.csv", tmp_path / "m"
    result = run("train", corpus, "-o", tmp_path / "v.txt", *ARGS, "--loss-log", log, "--save-model", model_dir)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(log.open()))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3]
    assert list(rows[0]) == ["epoch", "words", "alpha", "mean_loss", "words_per_sec"]
    losses = [float(r["mean_loss"]) for r in rows]
    assert losses[-1] < losses[0]
    saved = load_model(model_dir)
    assert [r["mean_loss"] for r in saved.loss] == pytest.approx(losses)
    assert saved.meta["config"]["dim"] == 16 and saved.meta["corpus"]["tokens"] == 36000
    info = run("info", model_dir)
    assert info.exit_code == 0 and "fingerprint" in info.output


def test_flag_combinations_are_usage_errors(corpus, tmp_path):
    assert "--update-vocab goes with --init DIR" in run("train", corpus, "--update-vocab").output
    assert "--checkpoint-every needs --save-model DIR" in run("train", corpus, "--checkpoint-every", "1").output
    assert "Missing argument 'CORPUS...'" in run("train").output


def test_resuming_at_the_end_of_an_epoch_records_its_learning_rate(corpus, tmp_path):
    """A checkpoint taken after an epoch's last batch, before its bookkeeping, resumes cleanly."""
    from w2vcli.corpus import read_corpus
    from w2vcli.tokenize import make_tokenizer
    from w2vcli.training import Position, TrainConfig, train

    vocab, encoded = read_corpus([corpus], make_tokenizer(), min_count=1)
    config = TrainConfig(dim=8, threads=1, epochs=2)
    full = train(vocab, encoded, config)
    half = train(vocab, encoded, TrainConfig(dim=8, threads=1, epochs=2, seed=1))
    resumed = train(vocab, encoded, config, weights=(half.w_in.copy(), half.w_out.copy()),
                    start=Position(epoch=2, sentence=encoded.n_sentences, loss=1.0,
                                   pairs=1))
    assert [e.epoch for e in resumed.epochs] == [2]
    assert resumed.epochs[0].alpha == pytest.approx(full.epochs[-1].alpha)


def test_init_and_resume_refuse_a_model_with_nan_weights(corpus, tmp_path):
    base = tmp_path / "base"
    assert run("train", corpus, "-o", tmp_path / "a.txt", *ARGS, "--epochs", "1",
               "--save-model", base).exit_code == 0
    w_out = np.load(base / "w_out.npy")
    w_out[5, 3] = np.nan
    np.save(base / "w_out.npy", w_out)
    for args in (["--init", base], ["--resume", base]):
        result = run("train", corpus, "-o", tmp_path / "b.txt", *args)
        assert result.exit_code == 1, result.output
        assert result.output == (
            f"Error: {base / 'w_out.npy'}: row 5 holds nan (value 4); the model's training "
            "diverged or the file is damaged: retrain it (with a smaller --alpha if it diverged)\n")
    assert not (tmp_path / "b.txt").exists()
