"""Shared fixtures. A test that leaks a thread or a child process fails (STYLE.md)."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Iterator

import pytest
from hypothesis import settings

# Property tests explore new examples on every developer run; CI runs the same examples
# every time (`derandomize`), so a landing never depends on luck. No per-example
# deadline: this machine is shared and noisy, and speed is measured in bench/.
settings.register_profile("dev", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


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
