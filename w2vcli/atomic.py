"""Atomic writes of files.

A leaf module: it imports only the standard library and :mod:`w2vcli.errors`, so every layer
may use it.

- :func:`atomic_output` writes a file under a temporary name and renames it into place: the
  path holds the old file or the complete new one, never a part.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from w2vcli.errors import W2VError

__all__ = [
    "atomic_output",
    "check_writable",
]


# -- files ------------------------------------------------------------------------------------


def check_writable(path: str | os.PathLike[str]) -> None:
    """Fail early, before a long training run, if ``path`` cannot be written.

    Creates and removes a temporary file next to ``path`` (the way :func:`atomic_output` will
    write), which also catches read-only file systems and permission rules that ``os.access``
    misses. An existing file at ``path`` is left alone.

    Raises
    ------
    W2VError
        If ``path`` is a directory, its parent directory does not exist, or the directory is not
        writable; the message names the path and the fix.
    """
    path = Path(path)
    parent = path.parent
    if path.is_dir():
        raise W2VError(
            f"output path '{path}' is a directory; give a file name such as "
            f"'{path / 'vectors.txt'}'"
        )
    if not parent.is_dir():
        raise W2VError(
            f"cannot write '{path}': directory '{parent}' does not exist; create it first "
            "or choose another output path"
        )
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=parent)
    except OSError as exc:
        raise W2VError(
            f"cannot write '{path}': directory '{parent}' is not writable ({exc.strerror}); "
            "choose another output path"
        ) from None
    os.close(fd)
    os.unlink(tmp)


def _default_file_mode() -> int:
    """Permission bits a plain ``open(path, "w")`` would give a new file (0o666 minus umask)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def atomic_output(
    path: str | os.PathLike[str], mode: str = "w", encoding: str = "utf-8"
) -> Iterator[IO]:
    """Open a file for writing that replaces ``path`` only when the ``with`` block succeeds.

    Writes go to a temporary file ``.<name>.<random>.tmp`` in the same directory as ``path``; on
    success it is flushed, ``os.fsync``-ed and moved onto ``path`` with ``os.replace`` (atomic on
    POSIX and Windows). If the block raises (including ``KeyboardInterrupt``), the temporary file
    is removed, any existing file at ``path`` is untouched, and the exception propagates. The new
    file gets the permissions of the file it replaces, or the usual umask-based ones.

    Parameters
    ----------
    mode
        ``"w"`` (text; written with ``"\\n"`` line ends on every platform) or ``"wb"``.
    encoding
        Text encoding for mode ``"w"``.

    Raises
    ------
    W2VError
        If the temporary file cannot be created (missing or unwritable directory).
    ValueError
        If ``mode`` is not ``"w"`` or ``"wb"``.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_output mode must be 'w' or 'wb', got {mode!r}")
    path = Path(path)
    check_writable(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        if mode == "wb":
            f = os.fdopen(fd, "wb")
        else:
            f = os.fdopen(fd, "w", encoding=encoding, newline="\n")
        with f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        try:
            file_mode = path.stat().st_mode & 0o7777
        except OSError:
            file_mode = _default_file_mode()
        os.chmod(tmp, file_mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
