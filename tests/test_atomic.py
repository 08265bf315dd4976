"""w2vcli.atomic: directories replaced so that a kill at any instant leaves a loadable model."""

import os
import select
import subprocess
import sys

import numpy as np
import pytest

from conftest import DEAD_PID, ROOT
from w2vcli import atomic
from w2vcli.errors import W2VError
from w2vcli.model import ModelFormatError, SavedModel, load_model, save_model

# For each line "target step exchange" read, forks a process that saves model(2.0) at target and
# dies with os._exit(9) at that step; prints "pid status". One interpreter for every step: a fork
# costs milliseconds, starting Python and numpy a third of a second. BLAS is held to one thread
# so that the forking process has no other thread.
SAVER = """
import os, sys
import numpy as np
from w2vcli import atomic, model

for line in sys.stdin:
    target, step, exchange = line.split()
    pid = os.fork()
    if pid == 0:
        atomic._USE_EXCHANGE = exchange == "1"
        atomic._step = lambda name: os._exit(9) if name == step else None
        try:
            model.save_model(target, model.SavedModel(
                ["a", "b", "c"], np.array([5, 3, 1]), np.full((3, 4), 2.0, np.float32),
                np.zeros((3, 4), np.float32)))
        finally:
            os._exit(0)
    print(pid, os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), flush=True)
"""


@pytest.fixture(scope="module")
def save_and_die():
    """``save_and_die(target, step, exchange)``: saves model(2.0) over ``target`` in a process
    that dies at ``step``; returns that (reaped) process's pid."""
    threads = {name: "1" for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                      "MKL_NUM_THREADS")}
    proc = subprocess.Popen([sys.executable, "-c", SAVER], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True,
                            env=dict(os.environ, PYTHONPATH=str(ROOT), **threads))

    def run(target, step: str, exchange: bool) -> int:
        proc.stdin.write(f"{target} {step} {int(exchange)}\n")
        proc.stdin.flush()
        ready, _, _ = select.select([proc.stdout], [], [], 60)
        assert ready, f"no answer within 60 s for step {step}"
        pid, status = map(int, proc.stdout.readline().split())
        assert status == 9, f"the save did not reach step {step} (exit status {status})"
        return pid

    try:
        yield run
    finally:
        proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def model(value: float) -> SavedModel:
    return SavedModel(["a", "b", "c"], np.array([5, 3, 1]), np.full((3, 4), value, np.float32),
                      np.zeros((3, 4), np.float32))


def value_of(path) -> float:
    w_in = load_model(path).w_in
    assert np.all(w_in == w_in[0, 0])
    return float(w_in[0, 0])


def beside(target):
    return sorted(p.name for p in target.parent.iterdir() if p != target)


def fake_leftover(target, kind: str, pid: int):
    path = target.parent / f".{target.name}.{kind}-{pid}-xyz"
    path.mkdir()
    (path / "w_in.npy").write_bytes(b"half")
    return path


CLEANUP_STEPS = ["orphan-claimed", "orphan-removed"]  # the dead process's leftover
EXCHANGE_STEPS = [*CLEANUP_STEPS, "temp-created", "files-written", "fsynced", "exchanged",
                  "parent-fsynced", "old-removed"]
TWO_RENAME_STEPS = [*CLEANUP_STEPS, "temp-created", "files-written", "fsynced", "old-moved-aside",
                    "moved-in", "parent-fsynced", "old-claimed", "old-removed"]


def recorded_steps(tmp_path, monkeypatch, exchange: bool) -> list[str]:
    """The steps of a save over an existing model, with a dead process's leftover beside it."""
    target = tmp_path / "record" / "m"
    target.parent.mkdir()
    save_model(target, model(1.0))
    fake_leftover(target, "tmp", DEAD_PID)
    steps = []
    with monkeypatch.context() as patch:
        patch.setattr(atomic, "_USE_EXCHANGE", exchange)
        patch.setattr(atomic, "_step", steps.append)
        save_model(target, model(2.0))
    assert value_of(target) == 2.0 and beside(target) == []
    return steps


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2-exchange", "two-renames"])
def test_a_kill_at_every_step_leaves_the_old_or_the_new_model(tmp_path, monkeypatch, exchange,
                                                              save_and_die):
    steps = recorded_steps(tmp_path, monkeypatch, exchange)
    # Where the file system cannot exchange (EINVAL), atomic_directory falls back to two renames.
    assert steps == (EXCHANGE_STEPS if exchange and "exchanged" in steps else TWO_RENAME_STEPS)
    swap = "exchanged" if "exchanged" in steps else "moved-in"
    for i, step in enumerate(steps):
        target = tmp_path / step / "m"
        target.parent.mkdir()
        save_model(target, model(1.0))
        fake_leftover(target, "tmp", DEAD_PID)
        pid = save_and_die(target, step, exchange)
        for name in beside(target):  # leftovers carry the pid of their process
            assert name.startswith((f".m.tmp-{pid}-", f".m.old-{pid}-",
                                    f".m.tmp-{DEAD_PID}-")), (step, name)
        # Killed before the swap: the old model (put back if it was renamed aside); after: new.
        assert value_of(target) == (2.0 if i >= steps.index(swap) else 1.0), step
        save_model(target, model(3.0))  # the next save removes what the dead process left
        assert value_of(target) == 3.0 and beside(target) == [], step


def test_the_gap_between_two_renames_is_recovered_by_the_next_save_too(tmp_path, monkeypatch,
                                                                       save_and_die):
    target = tmp_path / "m"
    save_model(target, model(1.0))
    save_and_die(target, "old-moved-aside", exchange=False)
    assert not target.exists()

    def fail(name):
        if name == "files-written":
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic, "_step", fail)
    with pytest.raises(W2VError, match=r"^cannot save the model to .*: No space left on device$"):
        save_model(target, model(3.0))
    assert value_of(target) == 1.0 and beside(target) == []  # put back, then kept


def test_a_running_process_keeps_its_temporary_directories(tmp_path):
    target = tmp_path / "m"
    live = os.getppid()  # pytest's parent: alive while the test runs
    save_model(target, model(1.0))
    mine = [fake_leftover(target, "tmp", live), fake_leftover(target, "old", live)]
    save_model(target, model(2.0))
    assert value_of(target) == 2.0 and all(p.is_dir() for p in mine)
    # A missing target beside a running save's old directory: that save is still going on.
    target.rename(tmp_path / "elsewhere")
    with pytest.raises(ModelFormatError, match="no model.json"):
        load_model(target)
    assert all(p.is_dir() for p in mine)


def test_a_failed_save_leaves_the_old_model_and_no_temporary_directory(tmp_path):
    target = tmp_path / "m"
    save_model(target, model(1.0))
    with pytest.raises(TypeError):  # not JSON: fails writing model.json, the last file
        save_model(target, SavedModel(["a"], np.array([1]), np.zeros((1, 4), np.float32),
                                      np.zeros((1, 4), np.float32), meta={"x": {1, 2}}))
    assert value_of(target) == 1.0 and beside(target) == []
    with pytest.raises(KeyboardInterrupt):
        with atomic.atomic_directory(target) as tmp:
            (tmp / "model.json").write_text("{}")
            raise KeyboardInterrupt
    assert value_of(target) == 1.0 and beside(target) == []


def test_save_model_refusals_keep_their_messages(tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "keep.txt").write_text("mine")
    with pytest.raises(W2VError, match=r"notes exists and is not a w2v model directory; choose "
                                       r"another --save-model path$"):
        save_model(tmp_path / "notes", model(1.0))
    assert (tmp_path / "notes" / "keep.txt").read_text() == "mine"
    with pytest.raises(W2VError, match=r"^cannot save the model to .*: directory .*missing "
                                       r"does not exist$"):
        save_model(tmp_path / "missing" / "m", model(1.0))


def test_remove_orphans_removes_only_dead_processes_directories(tmp_path):
    dead = tmp_path / f"w2v-corpus-{DEAD_PID}-abc"
    kept = [tmp_path / f"w2v-corpus-{os.getppid()}-abc",  # a running process
            tmp_path / f"w2v-corpus-{os.getpid()}-abc",  # this one
            tmp_path / "w2v-corpus-abcdefgh",  # no pid (an older w2v): owner unknown
            tmp_path / f"w2v-phrases-{DEAD_PID}-abc"]  # another prefix
    for path in [dead, *kept]:
        path.mkdir()
        (path / "ids.i32").write_bytes(b"\0" * 8)
    (tmp_path / f"w2v-corpus-{DEAD_PID}-link").symlink_to(kept[0])
    assert atomic.remove_orphans(tmp_path, "w2v-corpus-") == [dead]
    assert not dead.exists() and all(p.is_dir() for p in kept)
    assert (tmp_path / f"w2v-corpus-{DEAD_PID}-link").is_symlink()
    assert atomic.process_alive(os.getpid()) and not atomic.process_alive(DEAD_PID)
