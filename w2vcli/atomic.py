"""Atomic writes of files and directories, and temporary directories that name their process.

A leaf module: it imports only the standard library and :mod:`w2vcli.errors`, so every layer
may use it.

- :func:`atomic_output` writes a file under a temporary name and renames it into place: the
  path holds the old file or the complete new one, never a part.
- :func:`atomic_directory` does the same for a directory (a saved model). The new directory is
  swapped with the old one in one step (Linux ``renameat2(RENAME_EXCHANGE)``); where the file
  system cannot, the old one is first renamed aside, and :func:`recover_directory` (which
  :func:`w2vcli.model.load_model` and the next save call) puts it back if the process died in
  the instant between the two renames. So after a kill at any moment, the path is the old or
  the new directory, complete, or is restored to the old one on the next load.
- Temporary names carry the process id: ``.<name>.tmp-<pid>-<random>`` beside the target, and
  ``w2v-corpus-<pid>-<random>`` (:func:`remove_orphans`) for the encoded corpus. What a
  process killed with ``kill -9`` left behind is removed by the next process that writes there,
  and only if that pid is no longer running: another live process's files are never touched.
  (A pid says whether the process is alive on this machine, in this pid namespace: do not share
  one directory of temporary files between containers or hosts.)
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from w2vcli.errors import W2VError

__all__ = [
    "atomic_directory",
    "atomic_output",
    "check_writable",
    "process_alive",
    "recover_directory",
    "remove_orphans",
]

# Whether atomic_directory tries renameat2(RENAME_EXCHANGE) before the two-rename fallback.
_USE_EXCHANGE = True


def _step(name: str) -> None:
    """Called at each step of :func:`atomic_directory` and :func:`remove_orphans`; does nothing.

    Tests replace it to record the steps or to kill the process at one of them.
    """


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


# -- processes and their temporary directories ------------------------------------------------


def process_alive(pid: int) -> bool:
    """Whether a process with id ``pid`` exists on this machine (``os.kill(pid, 0)``).

    A process of another user counts as alive. Ids below 1 (they would name process groups),
    and every id on Windows (where ``os.kill`` would end the process), count as alive too:
    whatever they own is kept.
    """
    if pid < 1 or os.name == "nt":  # on Windows os.kill would end the process
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it exists, and belongs to someone else
        return True
    return True


def _owner_pid(name: str, prefix: str) -> int | None:
    """The pid in ``<prefix><pid>-<rest>``, or None if ``name`` is not of that form."""
    if not name.startswith(prefix):
        return None
    pid, sep, rest = name[len(prefix):].partition("-")
    return int(pid) if sep and rest and pid.isdigit() else None


def _orphans(directory: Path, prefix: str) -> list[Path]:
    """Directories ``<prefix><pid>-*`` in ``directory`` owned by this user whose pid is dead."""
    found = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return found
    uid = os.getuid() if hasattr(os, "getuid") else None
    for entry in entries:
        pid = _owner_pid(entry.name, prefix)
        if pid is None or pid == os.getpid():
            continue
        try:
            if not entry.is_dir(follow_symlinks=False):
                continue
            if uid is not None and entry.stat(follow_symlinks=False).st_uid != uid:
                continue
        except OSError:
            continue
        if not process_alive(pid):
            found.append(Path(entry.path))
    return found


def _discard(path: Path, trash_prefix: str, label: str) -> None:
    """Remove directory ``path``: first renamed to ``<trash_prefix><our pid>-<random>`` (which
    claims it, should two processes clean at once, and marks it as garbage even if we die while
    deleting it), then deleted. A directory that is already gone is not an error. ``label``
    names the steps (``<label>-claimed``, ``<label>-removed``)."""
    trash = path.with_name(f"{trash_prefix}{os.getpid()}-{secrets.token_hex(4)}")
    try:
        os.rename(path, trash)
    except FileNotFoundError:
        return
    except OSError:
        trash = path  # cannot rename (e.g. a sticky directory): delete it in place
    _step(f"{label}-claimed")
    shutil.rmtree(trash, ignore_errors=True)
    _step(f"{label}-removed")


def remove_orphans(directory: str | os.PathLike[str], prefix: str) -> list[Path]:
    """Remove the directories ``<prefix><pid>-*`` in ``directory`` whose process has died.

    For leftovers of a process killed with ``kill -9`` (or power loss), e.g. an encoded corpus
    ``w2v-corpus-<pid>-<random>`` in ``TMPDIR``. Only directories of this user are considered;
    those of a running process (:func:`process_alive`), of this process, symbolic links and names
    without a pid are kept. Errors while removing are ignored (the next run tries again).

    Returns:
        The directories removed.
    """
    removed = _orphans(Path(directory), prefix)
    for path in removed:
        _discard(path, prefix, "orphan")
    return removed


# -- directories ------------------------------------------------------------------------------


def _names(target: Path) -> tuple[str, str]:
    """Prefixes of the temporary (being written, or garbage) and old (complete) directories."""
    return f".{target.name}.tmp-", f".{target.name}.old-"


def _fsync_dir(path: str | os.PathLike[str]) -> None:
    """Make the entries of a directory durable (no-op where directories cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except (PermissionError, IsADirectoryError):  # Windows cannot open a directory
        return
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno != errno.EINVAL:  # some file systems cannot fsync a directory
            raise
    finally:
        os.close(fd)


def _fsync_tree(root: Path) -> None:
    """fsync every file under ``root``, then every directory, ``root`` last."""
    for folder, _dirs, files in os.walk(root, topdown=False):
        for name in files:
            path = os.path.join(folder, name)
            if os.path.islink(path):
                continue
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _fsync_dir(folder)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step with Linux ``renameat2(RENAME_EXCHANGE)``.

    Returns False, having changed nothing, where that is not available (not Linux, a C library
    without ``renameat2``, a kernel or file system that answers ENOSYS or EINVAL).

    Raises:
        OSError: any other error of the call.
    """
    if not _USE_EXCHANGE or not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(a), None, str(b))


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return -1


def recover_directory(target: str | os.PathLike[str]) -> bool:
    """Put back the previous directory at ``target`` if a save died between its two renames.

    Only where :func:`atomic_directory` could not swap in one step: it renames ``target`` to
    ``.<name>.old-<pid>-<random>`` and the new directory onto ``target``. If ``target`` is
    missing and such an old directory of a dead process exists, it is renamed back (the newest,
    should there be several) and the parent directory fsynced. Directories of a running process
    are left alone: that save is still going on.

    Returns:
        Whether a directory was put back.

    Raises:
        OSError: the rename or the fsync failed.
    """
    target = Path(target)
    if os.path.lexists(target):
        return False
    parent = target.parent if str(target.parent) else Path(".")
    candidates = _orphans(parent, _names(target)[1])
    if not candidates:
        return False
    newest = max(candidates, key=_mtime)
    try:
        os.rename(newest, target)
    except FileNotFoundError:  # another process recovered it first
        return False
    _fsync_dir(parent)
    return True


def _default_dir_mode() -> int:
    """Permission bits ``os.mkdir`` would give a new directory (0o777 minus umask)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o777 & ~umask


def _swap_in(tmp: Path, target: Path) -> Path | None:
    """Move the complete directory ``tmp`` to ``target``; returns where the old one now is."""
    if not os.path.lexists(target):
        os.rename(tmp, target)
        _step("moved-in")
        return None
    if _exchange(tmp, target):
        _step("exchanged")
        return tmp  # now the old directory, under a temporary name
    old = target.with_name(f"{_names(target)[1]}{os.getpid()}-{secrets.token_hex(4)}")
    os.rename(target, old)
    _step("old-moved-aside")  # target is missing until the next rename: recover_directory
    os.rename(tmp, target)
    _step("moved-in")
    return old


@contextlib.contextmanager
def atomic_directory(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Write a directory that replaces ``target`` whole, only when the ``with`` block succeeds.

    Yields a new empty directory ``.<name>.tmp-<pid>-<random>`` beside ``target`` to fill. When
    the block ends without an exception, every file and directory in it is fsynced, it gets the
    permissions ``os.mkdir`` would give, it takes the place of ``target`` (swapped in one step
    on Linux, else see :func:`recover_directory`), the parent directory is fsynced, and the old
    directory is deleted. If the block or any step raises (``KeyboardInterrupt`` included), the
    temporary directory is removed and ``target`` is untouched.

    Before that, a previous save that died halfway is cleaned up: ``target`` is recovered if it
    is missing, and the temporary and old directories of ``target`` whose process is dead are
    removed (never those of a running process).

    A kill at any instant leaves ``target`` as the old or the new complete directory, or missing
    with the old one beside it, which the next :func:`recover_directory` puts back.

    Raises:
        W2VError: the parent directory does not exist or is not writable, or ``target`` exists
            and is not a directory.
        OSError: writing, fsync or rename failed (the temporary directory is removed).
    """
    target = Path(target)
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise W2VError(f"cannot write {target}: directory {parent} does not exist")
    if os.path.lexists(target) and not target.is_dir():
        raise W2VError(f"cannot write {target}: it exists and is not a directory")
    tmp_prefix, old_prefix = _names(target)
    recover_directory(target)
    for orphan in _orphans(parent, tmp_prefix) + _orphans(parent, old_prefix):
        _discard(orphan, tmp_prefix, "orphan")
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f"{tmp_prefix}{os.getpid()}-", dir=parent))
    except OSError as exc:
        raise W2VError(f"cannot write {target}: directory {parent} is not writable "
                       f"({exc.strerror or exc})") from None
    _step("temp-created")
    try:
        yield tmp
        _step("files-written")
        os.chmod(tmp, _default_dir_mode())
        _fsync_tree(tmp)
        _step("fsynced")
        old = _swap_in(tmp, target)
        _fsync_dir(parent)
        _step("parent-fsynced")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)  # after a swap, tmp is the old directory or gone
        raise
    if old is not None:
        if old != tmp:  # .old-: rename it to a temporary name before deleting it
            _discard(old, tmp_prefix, "old")
        else:
            shutil.rmtree(old, ignore_errors=True)
            _step("old-removed")

