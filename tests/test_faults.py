"""Faults survived: Ctrl-C, divergence, too little memory, a full disk."""

import errno
import json
import re
import signal
import subprocess

import numpy as np
import pytest

import w2vcli.io
import w2vcli.training
from conftest import W2V, child_env, default_sigint, finish, run_cli as run, run_w2v, wait_for

WORDS = [f"w{i}" for i in range(60)]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    rng = np.random.default_rng(8)
    path = tmp_path_factory.mktemp("faults") / "corpus.txt"
    ids = rng.zipf(1.3, size=(12000, 40)) % len(WORDS)
    path.write_text("\n".join(" ".join(WORDS[i] for i in row) for row in ids) + "\n")
    return path  # 480k tokens


ARGS = ["--dim", "32", "--min-count", "1", "--threads", "1", "--seed", "3", "--epochs", "4"]


def _interrupted_at(stderr: str) -> tuple[int, int]:
    """(words done, words in the run) from the "Interrupted in epoch ..." line."""
    found = re.search(r"Interrupted in epoch \d+ of \d+ after ([\d,]+) of ([\d,]+) words", stderr)
    assert found, stderr
    return int(found[1].replace(",", "")), int(found[2].replace(",", ""))


def test_ctrl_c_stops_inside_the_run_checkpoints_and_resumes_to_the_same_bytes(corpus, tmp_path):
    """How fast Ctrl-C stops (within the batch in progress) is a matter for benchmarks; here,
    that it stops inside the run and that the checkpoint resumes to the same bytes."""
    args = [*ARGS[:-1], "8"]  # 8 epochs: the interrupt lands well inside the run
    full, out, ckpt = tmp_path / "full.txt", tmp_path / "out.txt", tmp_path / "ckpt"
    run_w2v("train", corpus, "-o", full, *args)
    out.write_text("previous good vectors\n")
    with open(tmp_path / "stderr.txt", "w+") as err:  # a file: the child never blocks on it
        proc = subprocess.Popen([*W2V, "train", str(corpus), "-o", str(out), *args,
                                 "--save-model", str(ckpt), "--checkpoint-every", "1"],
                                stderr=err, env=child_env(), preexec_fn=default_sigint)
        # Epoch 1 is done and checkpointed: we are inside epoch 2.
        wait_for((ckpt / "model.json").exists, proc, "the epoch-1 checkpoint")
        proc.send_signal(signal.SIGINT)
        finish(proc)
        rest = (tmp_path / "stderr.txt").read_text()
    assert proc.returncode == 130, rest
    done, total = _interrupted_at(rest)
    assert 0 < done < total
    assert f"continue with 'w2v train --resume {ckpt}'" in rest
    assert out.read_text() == "previous good vectors\n"  # untouched
    meta = json.loads((ckpt / "model.json").read_text())
    assert meta["epochs_done"] >= 1 and meta["epochs_done"] < 8
    run_w2v("train", "--resume", ckpt, "--threads", "1")
    assert out.read_bytes() == full.read_bytes()


def test_ctrl_c_without_save_model_writes_nothing(corpus, tmp_path):
    out = tmp_path / "v.txt"
    log = tmp_path / "log" / "loss.csv"  # written after each epoch: training is under way
    log.parent.mkdir()
    args = [*ARGS[:-1], "30", "--loss-log", str(log)]  # the interrupt lands inside the run
    with open(log.parent / "stderr.txt", "w+") as err:  # a file: the child never blocks on it
        proc = subprocess.Popen([*W2V, "train", str(corpus), "-o", str(out), *args], stderr=err,
                                env=child_env(), preexec_fn=default_sigint)
        wait_for(log.exists, proc, "the loss log of epoch 1")
        proc.send_signal(signal.SIGINT)
        finish(proc)
        rest = (log.parent / "stderr.txt").read_text()
    assert proc.returncode == 130, rest
    assert _interrupted_at(rest)[0] > 0
    assert "nothing was written (--save-model DIR keeps interrupted work)" in rest
    assert "Traceback" not in rest
    assert not out.exists() and not list(tmp_path.glob(".v.txt*"))


def test_divergence_names_the_epoch_and_keeps_the_old_output(corpus, tmp_path):
    out = tmp_path / "v.txt"
    out.write_text("good\n")
    result = run("train", corpus, "-o", out, *ARGS, "--alpha", "10", "--kernel", "pair")
    assert result.exit_code == 1
    line = result.output.strip().splitlines()[-1]
    assert line.startswith("Error: training diverged in epoch 1")
    assert line.endswith("use a smaller --alpha than 10")
    assert out.read_text() == "good\n"


def test_too_little_memory_is_refused_before_allocating(corpus, tmp_path, monkeypatch):
    monkeypatch.setattr(w2vcli.training, "available_memory", lambda: 1000)
    result = run("train", corpus, "-o", tmp_path / "v.txt", *ARGS)
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == (
        "Error: the model needs 0.0 GiB (60 words x 32 dims x 2 float32 matrices) but 0.0 GiB of "
        "memory is available; use a smaller --dim, a higher --min-count or --max-vocab"
    )


def test_check_memory_figures():
    config = w2vcli.training.TrainConfig(dim=300)
    with pytest.raises(w2vcli.training.InsufficientMemoryError, match=r"needs 6\.7 GiB \(3,000,000 words"):
        w2vcli.training.check_memory(3_000_000, config, available=4 * 1024**3)
    w2vcli.training.check_memory(3_000_000, config, available=8 * 1024**3)


def test_disk_full_while_writing_leaves_the_old_file(corpus, tmp_path, monkeypatch):
    out = tmp_path / "v.txt"
    out.write_text("good\n")

    def full_disk(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(w2vcli.io.os, "fsync", full_disk)
    result = run("train", corpus, "-o", out, *ARGS, "--epochs", "1")
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == (
        "Error: no space left on the device; free some space, or write the output (-o) or the "
        "encoded corpus (TMPDIR) to another disk"
    )
    assert out.read_text() == "good\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.txt"]


def test_neg_larger_than_the_vocabulary(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("a b c a b c\n" * 20)
    result = run("train", path, "-o", tmp_path / "v.txt", "--min-count", "1", "--neg", "5")
    assert result.exit_code == 2
    assert ("Invalid value for --neg: 5 noise words per prediction is more than the 3 words in "
            "the vocabulary; use fewer") in result.output
