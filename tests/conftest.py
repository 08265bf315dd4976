"""Shared fixtures and helpers: paths to ../shared/data (tests skip cleanly without), the ``w2v``
command in-process and as a subprocess (always with a timeout), and small corpus and vectors
files.

Test modules import the helpers by name (``from conftest import run_cli``): pytest puts this
folder on ``sys.path``.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"

#: ``w2v`` as a subprocess of the interpreter running the tests.
W2V = (sys.executable, "-m", "w2vcli")
#: Seconds any child process may take before the test fails instead of hanging (a training run
#: of the suite takes a few seconds; cold Numba compilation adds ~10 s).
CHILD_TIMEOUT = 180


@pytest.fixture
def shared_data() -> Path:
    """``../shared/data`` relative to the project root; skips the test where it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data folder {SHARED_DATA} is absent")
    return SHARED_DATA

# Above Linux's PID_MAX_LIMIT (2**22): never the id of a running process. Names a fake leftover
# of a process that died.
DEAD_PID = 2**22 + 1


def run_cli(*args, input=None):
    """``w2v ARGS`` in this process (click's CliRunner); every argument is ``str()``-ed.

    ``result.output`` holds stdout and stderr; ``result.exception`` is a ``SystemExit`` for
    every clean exit, the exception itself where a command crashed.
    """
    from click.testing import CliRunner

    from w2vcli.cli import cli

    return CliRunner().invoke(cli, [str(a) for a in args], input=input)


def assert_one_line_error(result, message: str, code: int = 1) -> None:
    """Exit ``code``, no traceback, and exactly ``Error: message`` on one line."""
    assert result.exit_code == code, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.output == f"Error: {message}\n"


def child_env() -> dict[str, str]:
    """The environment for a child Python: this checkout first on ``PYTHONPATH``, so the child
    runs the code under test even where the installed ``w2vcli`` is another checkout's."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def run_w2v(*args, timeout: float = CHILD_TIMEOUT, check: bool = True, **kwargs):
    """``w2v ARGS`` in a child process (:func:`child_env`), output captured as text; fails the
    test (rather than hanging it) if the child runs longer than ``timeout`` seconds."""
    return subprocess.run([*W2V, *(str(a) for a in args)], capture_output=True, text=True,
                          timeout=timeout, check=check, env=child_env(), **kwargs)


def finish(proc: subprocess.Popen, timeout: float = CHILD_TIMEOUT) -> tuple:
    """Wait for a child that should be ending and return its remaining ``(stdout, stderr)``;
    if it runs past ``timeout`` seconds, kill it and fail the test (rather than hang)."""
    try:
        return proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail(f"{proc.args} did not end within {timeout} s")


def wait_for(condition, proc: subprocess.Popen, what: str,
             timeout: float = CHILD_TIMEOUT) -> None:
    """Poll ``condition()`` until it holds while child ``proc`` runs.

    Fails the test (never hangs it) if the child exits before ``condition()`` holds, or if
    ``timeout`` seconds pass (then the child is killed). ``what`` names the awaited event in
    the failure message.
    """
    deadline = time.monotonic() + timeout
    while not condition():
        if proc.poll() is not None:
            if condition():  # it happened just before the child ended
                return
            pytest.fail(f"the child exited with status {proc.returncode} before {what}")
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            pytest.fail(f"no {what} within {timeout} s")
        time.sleep(0.01)


def write_corpus(path: Path, groups: Sequence[Sequence[str]], lines: int, words_per_line: int,
                 seed: int = 0, end: str = "") -> Path:
    """A corpus of ``lines`` lines, each ``words_per_line`` words drawn from one of ``groups``
    (words of a group co-occur, so their vectors come out close), then ``end``. Returns
    ``path``."""
    rng = np.random.default_rng(seed)
    text = []
    for g in rng.integers(len(groups), size=lines):
        group = groups[g]
        words = (group[i] for i in rng.integers(len(group), size=words_per_line))
        text.append(" ".join(words) + end)
    path.write_text("\n".join(text) + "\n")
    return path


def random_text(words: Sequence[str], lines: int = 200, words_per_line: int = 8,
                seed: int = 0) -> str:
    """``lines`` lines of ``words_per_line`` words drawn uniformly from ``words``."""
    rng = random.Random(seed)
    return "".join(" ".join(rng.choices(words, k=words_per_line)) + "\n" for _ in range(lines))


def write_vectors(path: Path, words: Sequence[str], dim: int = 4, seed: int = 0,
                  binary: bool = False) -> Path:
    """A word2vec vectors file of ``words`` with standard-normal vectors. Returns ``path``."""
    from w2vcli.io import save_word2vec_format
    from w2vcli.keyedvectors import KeyedVectors

    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((len(words), dim)).astype(np.float32)
    save_word2vec_format(KeyedVectors(list(words), vectors), path, binary=binary)
    return path


def default_sigint() -> None:
    """``preexec_fn`` for a child that a test will Ctrl-C: SIGINT back to its default action,
    so the child Python installs its KeyboardInterrupt handler even when this test run was
    started in the background by a non-interactive shell (which leaves SIGINT ignored, and an
    ignored signal stays ignored across exec)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)
