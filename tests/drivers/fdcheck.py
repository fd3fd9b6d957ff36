"""A fixture for driver tests: fail a test that leaves a file descriptor open."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest


def _open_fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


@pytest.fixture
def no_fd_leaks() -> Iterator[None]:
    before = _open_fds()
    yield
    leaked: set[str] = set()
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:  # bounded: threads may still be closing
        leaked = _open_fds() - before
        if not leaked:
            return
        time.sleep(0.02)
    targets = []
    for fd in sorted(leaked):
        try:
            targets.append(f"{fd} -> {os.readlink(f'/proc/self/fd/{fd}')}")
        except OSError:
            targets.append(fd)
    pytest.fail(f"test leaked file descriptors: {targets}")
