"""Shared fixtures: paths to ../shared/data, which tests skip cleanly without."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    """``../shared/data`` relative to the project root; skips the test where it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data folder {SHARED_DATA} is absent")
    return SHARED_DATA

# Above Linux's PID_MAX_LIMIT (2**22): never the id of a running process. Names a fake leftover
# of a process that died.
DEAD_PID = 2**22 + 1
