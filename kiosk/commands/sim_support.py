"""What every `kiosk sim …` command shares: run until Ctrl-C / SIGTERM, commands on stdin."""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from types import FrameType


@contextlib.contextmanager
def until_signalled() -> Iterator[threading.Event]:
    """An event set by SIGINT or SIGTERM (the previous handlers are restored afterwards)."""
    done = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        done.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield done
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def stdin_lines(done: threading.Event, handle: Callable[[str], None], name: str) -> None:
    """Feed stdin lines to `handle` in a daemon thread; `quit` sets `done`, EOF stops reading."""

    def loop() -> None:
        for line in sys.stdin:
            if done.is_set():
                return
            if line.strip() == "quit":
                done.set()
                return
            if line.strip():
                handle(line.strip())

    threading.Thread(target=loop, name=name, daemon=True).start()
