"""The encoded corpus (GBs for a large corpus) leaves no file behind however w2v ends.

Every run here has TMPDIR set to a fresh directory and is a real process (``python -m w2vcli``):
what is tested is what happens when a process ends. Each wait has a timeout.
"""

import os
import signal
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import DEAD_PID, ROOT, default_sigint, finish, wait_for
from w2vcli.cli import cli
from w2vcli.model import load_model
from w2vcli.phrases import find_phrases

WORDS = [f"w{i}" for i in range(50)]
TIMEOUT = 60


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    rng = np.random.default_rng(5)
    path = tmp_path_factory.mktemp("cleanup") / "corpus.txt"
    ids = rng.integers(0, len(WORDS), size=(1000, 20))
    path.write_text("\n".join(" ".join(WORDS[i] for i in row) for row in ids) + "\n")
    return path  # 20k tokens: an epoch takes milliseconds


@pytest.fixture
def tmpdir_env(tmp_path):
    """A fresh TMPDIR, and the environment that points w2v at it."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    return tmp, dict(os.environ, TMPDIR=str(tmp), PYTHONPATH=str(ROOT))


def start(env, *args, **popen):
    return subprocess.Popen([sys.executable, "-m", "w2vcli", "train", *map(str, args),
                             "--min-count", "1", "--threads", "1"], env=env,
                            stderr=subprocess.PIPE, text=True, preexec_fn=default_sigint,
                            **popen)


def corpus_dirs(tmp, pid="*"):
    return sorted(tmp.glob(f"w2v-corpus-{pid}-*"))


def reading_stdin(env, tmp):
    """A run reading the corpus from a pipe kept open: it waits in the reader, its encoded
    corpus directory made (named with its pid)."""
    proc = start(env, "-", "-o", tmp.parent / "v.txt", stdin=subprocess.PIPE)
    proc.stdin.write("a b c\n" * 100)
    proc.stdin.flush()
    wait_for(lambda: corpus_dirs(tmp, proc.pid), proc, "the encoded corpus directory", TIMEOUT)
    return proc


def test_a_normal_exit_removes_the_corpus_and_what_dead_processes_left(corpus, tmpdir_env):
    tmp, env = tmpdir_env
    killed = reading_stdin(env, tmp)
    killed.kill()  # kill -9: no code runs, the directory stays
    finish(killed, TIMEOUT)
    assert len(corpus_dirs(tmp, killed.pid)) == 1
    for name in (f"w2v-corpus-{DEAD_PID}-abcd1234", f"w2v-phrases-{DEAD_PID}-abcd1234",
                 f"w2v-corpus-{os.getpid()}-abcd1234"):  # the last: this test, running
        (tmp / name).mkdir()
        (tmp / name / "ids.i32").write_bytes(bytes(8))
    proc = start(env, corpus, "-o", tmp.parent / "v.txt", "--epochs", "1")
    _, err = finish(proc, TIMEOUT)
    assert proc.returncode == 0, err
    assert sorted(p.name for p in tmp.iterdir()) == [f"w2v-corpus-{os.getpid()}-abcd1234"]


def test_an_error_exit_removes_the_corpus(corpus, tmpdir_env):
    tmp, env = tmpdir_env
    proc = start(env, corpus, "-o", tmp.parent / "v.txt", "--alpha", "10")
    _, err = finish(proc, TIMEOUT)
    assert proc.returncode == 1 and "Error: training diverged in epoch 1" in err, err
    assert list(tmp.iterdir()) == []


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_while_reading_removes_the_corpus(tmpdir_env, signum):
    tmp, env = tmpdir_env
    proc = reading_stdin(env, tmp)
    proc.send_signal(signum)
    _, err = finish(proc, TIMEOUT)  # closes the pipe too
    assert proc.returncode == 128 + signum, err
    assert err == ("Terminated.\n" if signum == signal.SIGTERM else "Interrupted.\n")
    assert list(tmp.iterdir()) == []


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_while_training_saves_a_checkpoint_and_removes_the_corpus(corpus, tmpdir_env,
                                                                            signum):
    tmp, env = tmpdir_env
    model = tmp.parent / "m"
    proc = start(env, corpus, "-o", tmp.parent / "v.txt", "--epochs", "100000",
                 "--save-model", model, "--checkpoint-every", "1")
    # Epoch 1 is checkpointed: training is under way (and 100,000 epochs are far from done).
    wait_for(lambda: (model / "model.json").exists(), proc, "the first checkpoint", TIMEOUT)
    assert len(corpus_dirs(tmp, proc.pid)) == 1
    proc.send_signal(signum)
    _, err = finish(proc, TIMEOUT)
    assert proc.returncode == 128 + signum, err
    assert f"saved a checkpoint to {model}" in err and "Traceback" not in err
    assert list(tmp.iterdir()) == []
    assert load_model(model).meta["epochs_done"] >= 1
    assert not (tmp.parent / "v.txt").exists()


def test_phrases_removes_its_files_and_dead_processes_leftovers(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("new york is big\n" * 20)
    dead = tmp_path / f"w2v-phrases-{DEAD_PID}-abcd1234"
    dead.mkdir()
    find_phrases([str(path)], tmp_path / "out.txt", min_count=1, tmp_dir=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.txt", "out.txt"]


@pytest.mark.parametrize("command", ["train", "phrases"])
def test_help_says_where_the_temporary_files_go(command):
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert f"w2v-{'corpus' if command == 'train' else 'phrases'}-<pid>-* in TMPDIR" in text
    assert "4 bytes per token" in text and "SIGTERM" in text
