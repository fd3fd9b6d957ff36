"""Shared fixtures. A test that leaks a thread or a child process fails (STYLE.md)."""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def no_leaked_threads_or_children() -> Iterator[None]:
    threads_before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 2.0
    leaked: list[str] = []
    while time.monotonic() < deadline:
        leaked = [t.name for t in threading.enumerate() if t not in threads_before and t.is_alive()]
        children = multiprocessing.active_children()
        if not leaked and not children:
            return
        time.sleep(0.02)
    assert not leaked, f"test leaked threads: {leaked}"
    assert not multiprocessing.active_children(), "test leaked child processes"
