"""The one background thread a driver or simulator owns, started once and stopped once.

Every reader (scanner, scale, camera) and every simulator runs its loop on its own
thread: `start()` it once, loop `while not worker.stopping.is_set()`, sleep with
`worker.stopping.wait(seconds)` so that `stop()` wakes it at once, and `stop()` joins
it (bounded) and may be called any number of times.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class Worker:
    def __init__(
        self,
        name: str,
        target: Callable[[], None],
        *,
        already_started: type[Exception] = RuntimeError,
    ) -> None:
        self.name = name
        self.stopping = threading.Event()
        self._target = target
        self._already_started = already_started
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def started(self) -> bool:
        """Started and not stopped since (the thread may have ended by itself)."""
        return self._thread is not None

    def start(self) -> None:
        if self._thread is not None:
            raise self._already_started(f"{self.name} already started")
        self.stopping.clear()
        self._thread = threading.Thread(target=self._target, name=self.name)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> bool:
        """Ask the loop to end and join it; True when a thread had been started."""
        self.stopping.set()
        thread, self._thread = self._thread, None
        if thread is None:
            return False
        thread.join(timeout)
        return True
