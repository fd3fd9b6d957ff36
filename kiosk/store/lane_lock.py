"""One process owns a lane's journal: an advisory lock next to it, held while open.

Two writers on one journal would each keep their own idea of the open transaction:
a technician's `kiosk refund` while the kiosk is running could start a refund the
running kiosk never hears of. The lock (flock on `<journal>.lock`) is released by the
kernel when the process dies, so a power cut or SIGKILL never leaves it stuck; the
file holds the owner's pid only to say who has it.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from kiosk.errors import KioskError


class LaneBusy(KioskError):
    """Another process has this lane's journal open."""


class LaneLock:
    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    @classmethod
    def acquire(cls, journal: Path) -> LaneLock:
        """Lock `journal`'s lane or raise `LaneBusy` naming the process that has it."""
        path = journal.with_name(journal.name + ".lock")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise LaneBusy(
                f"journal {journal} is in use by process {owner} (a running kiosk?);"
                " stop it first, or do this from its attendant panel"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        return cls(path, fd)

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None
