"""Prices a basket on a thread of its own while the checkout's journal commit waits for the disk.

Why a thread: a scan's event is committed with synchronous=FULL (an fsync) and its basket
is then priced; SQLite lets other Python threads run while a COMMIT waits for the disk, so
pricing started just before the COMMIT (`Journal.append_all(before_commit=...)`) runs in
that wait instead of after it. `python -m bench.checkout`: the p99 of a scan was the
slowest fsyncs plus pricing a full basket. The job is handed over right before the
COMMIT, not earlier: a worker woken while the lane's thread still runs Python (encoding
the event, the INSERT) would take the GIL at the INSERT and the two would run in turn.

Pricing is pure, and the checkout waits for each job before it prices anything itself, so
the promotion set's memo is never used by two threads at once.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

from kiosk.domain.pricing import PricedBasket

log = logging.getLogger(__name__)


class PricingJob:
    """One basket to price; `wait()` returns its priced basket, or None if pricing failed
    or the job was never submitted (the caller then prices on its own thread, where an
    error is raised and seen)."""

    __slots__ = ("_done", "_price", "_result", "submitted")

    def __init__(self, price: Callable[[], PricedBasket]) -> None:
        self._price = price
        self._done = threading.Event()
        self._result: PricedBasket | None = None
        self.submitted = False

    def run(self) -> None:
        try:
            self._result = self._price()
        except Exception:  # priced again on the caller's thread, where it raises
            log.debug("pricing on the worker failed", exc_info=True)
            self._result = None
        finally:
            self._done.set()

    def wait(self) -> PricedBasket | None:
        if not self.submitted:
            return None
        self._done.wait()
        return self._result


class PricingWorker:
    """One thread, started on the first job; `close()` stops it."""

    def __init__(self, name: str = "pricing") -> None:
        self._name = name
        self._jobs: queue.SimpleQueue[PricingJob | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def submit(self, job: PricingJob) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()
        job.submitted = True
        self._jobs.put(job)

    def close(self) -> None:
        if self._thread is not None:
            self._jobs.put(None)
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            job.run()
