"""The PIN pad's lock-out, shared by every process of one kiosk and kept over restarts.

Without it, restarting the kiosk or running `kiosk refund` again would start each
guesser with a fresh count. The state is a small JSON file in the data directory,
read and written under an exclusive flock so two processes never lose a failure.
The lock-out's end is stored as wall-clock time (a monotonic clock does not survive
a restart) and converted to and from the caller's clock at the edges.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass(slots=True)
class LockoutCount:
    failures: int = 0
    locked_until: float | None = None  # in the caller's clock


class SharedLockout:
    def __init__(self, path: Path, wall: Callable[[], float] = time.time) -> None:
        self.path = path
        self._wall = wall

    @contextmanager
    def hold(self, now: float) -> Iterator[LockoutCount]:
        """The current count, locked against other processes; saved when the block ends."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            count = self._read(fd, now)
            try:
                yield count
            finally:  # a rejected PIN leaves by an exception: it must be counted too
                self._write(fd, now, count)
        finally:
            os.close(fd)

    def _read(self, fd: int, now: float) -> LockoutCount:
        raw = os.pread(fd, 4096, 0)
        if not raw:
            return LockoutCount()
        try:
            data = json.loads(raw)
            failures = int(data["failures"])
            until = data["locked_until_wall"]
            locked = None if until is None else now + (float(until) - self._wall())
        except (ValueError, KeyError, TypeError):
            # A damaged file must not unlock the pad: count it as locked right now.
            log.warning("PIN lock-out state unreadable; locking", extra={"path": str(self.path)})
            return LockoutCount(failures=0, locked_until=now + 60.0)
        return LockoutCount(max(0, failures), locked)

    def _write(self, fd: int, now: float, count: LockoutCount) -> None:
        until = None if count.locked_until is None else self._wall() + (count.locked_until - now)
        body = json.dumps({"failures": count.failures, "locked_until_wall": until}).encode()
        os.ftruncate(fd, 0)
        os.pwrite(fd, body, 0)
        os.fsync(fd)
