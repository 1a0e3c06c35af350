"""One build at a time per build folder, and stale Snakemake locks told from live ones.

Snakemake locks its working directory (``.snakemake/locks``) and, when a
build is killed, leaves the lock behind with nothing in it that says whose
it is: every later build of that folder then fails. Every build of a folder
(``brief build`` and the Snakefile's ``onstart``, for plain ``snakemake``)
also holds an advisory lock (flock) on ``.work/build.lock``; the kernel
releases it when the process ends, however it ends. A Snakemake lock found
while nobody holds ours is stale, and is removed.
"""

from __future__ import annotations

import errno
import fcntl
import os
from pathlib import Path


class BuildLockError(Exception):
    """The build folder cannot be locked (read-only, not writable)."""


class BuildLock:
    def __init__(self, build_dir: Path):
        self.build_dir = Path(build_dir)
        self.path = self.build_dir / ".work" / "build.lock"
        self.cleared_stale = False
        self._fd: int | None = None

    def _open(self) -> int:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            return os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            reason = {errno.EROFS: "the folder is read-only", errno.EACCES: "you may not write there",
                      errno.ENOSPC: "the disk is full"}.get(exc.errno, exc.strerror)
            raise BuildLockError(f"{self.build_dir}: error: cannot build there: {reason} "
                                 "(choose another folder with --build-dir)") from None

    def acquire(self, wait: bool = True, announce=None) -> None:
        """Take the lock (waiting for a running build if ``wait``); clear a stale Snakemake lock."""
        fd = self._open()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            if not wait:
                os.close(fd)
                raise BuildLockError(f"{self.build_dir}: error: a build is running there{holder} "
                                     "(wait for it to finish)") from None
            if announce:
                announce(f"brief: waiting for the build that is running in {self.build_dir}{holder}")
            fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        locks = self.build_dir / ".snakemake" / "locks"
        stale = [p for p in locks.iterdir() if p.is_file()] if locks.is_dir() else []
        for path in stale:
            path.unlink(missing_ok=True)
        self.cleared_stale = bool(stale)

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _read_holder(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        pid = os.read(fd, 32).decode().strip()
    except OSError:
        return ""
    return f" (process {pid})" if pid.isdigit() else ""


def hold_for_snakemake(build_dir: Path) -> int | None:
    """For plain ``snakemake`` (the Snakefile's onstart): hold the lock while Snakemake runs, if it is free.

    Under ``brief build`` the CLI already holds it; then nothing is done.
    Returns the descriptor, which stays open until the process ends.
    """
    lock = BuildLock(build_dir)
    try:
        fd = lock._open()
    except BuildLockError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd
