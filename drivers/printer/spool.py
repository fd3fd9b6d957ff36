"""Durable print-job queue: a receipt is never lost because the printer was offline.

Jobs live in one SQLite file (a transaction per change, so a power cut leaves either
the old or the new state). They are printed strictly in the order they were added;
a job that keeps failing blocks the ones after it, because receipts printed out of
order would confuse the shopper and the attendant. `stuck()` reports jobs waiting
too long so the attendant can fix the printer or cancel the job.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from drivers.printer.errors import PrintQueueError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS print_jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id TEXT NOT NULL UNIQUE,
    data BLOB NOT NULL,
    created_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    printed_at REAL
);
CREATE INDEX IF NOT EXISTS print_jobs_pending ON print_jobs (printed_at, seq);
"""

_KEEP_PRINTED = 500  # printed jobs kept so a repeated job id is recognised, not reprinted


@dataclass(frozen=True, slots=True)
class SpooledJob:
    """One print job as stored."""

    job_id: str
    data: bytes
    created_at: float
    attempts: int
    last_error: str | None
    printed_at: float | None

    @property
    def printed(self) -> bool:
        return self.printed_at is not None


class PrintSpool:
    """The print-job queue in one SQLite file (or `:memory:` for a throw-away spool)."""

    def __init__(self, path: str | Path, clock: Callable[[], float] = time.time) -> None:
        self.path = str(path)
        self._clock = clock
        self._lock = threading.Lock()
        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise PrintQueueError(f"print spool {self.path}: cannot open: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def add(self, job_id: str, data: bytes) -> SpooledJob:
        """Store a job; adding a job id that is already stored returns the stored job."""
        if not job_id:
            raise PrintQueueError(f"print spool {self.path}: a job needs a non-empty id")
        with self._lock:
            try:
                self._db.execute(
                    "INSERT OR IGNORE INTO print_jobs (job_id, data, created_at) VALUES (?, ?, ?)",
                    (job_id, bytes(data), self._clock()),
                )
            except sqlite3.Error as exc:
                raise PrintQueueError(
                    f"print spool {self.path}: cannot store job {job_id!r}: {exc}"
                ) from exc
        job = self.get(job_id)
        assert job is not None
        return job

    def get(self, job_id: str) -> SpooledJob | None:
        rows = self._query("SELECT * FROM print_jobs WHERE job_id = ?", (job_id,))
        return rows[0] if rows else None

    def pending(self) -> list[SpooledJob]:
        """Jobs not yet printed, oldest first."""
        return self._query("SELECT * FROM print_jobs WHERE printed_at IS NULL ORDER BY seq", ())

    def mark_printed(self, job_id: str) -> None:
        self._execute(
            "UPDATE print_jobs SET printed_at = ?, last_error = NULL WHERE job_id = ?",
            (self._clock(), job_id),
        )
        self._execute(
            "DELETE FROM print_jobs WHERE printed_at IS NOT NULL AND seq NOT IN "
            "(SELECT seq FROM print_jobs WHERE printed_at IS NOT NULL ORDER BY seq DESC LIMIT ?)",
            (_KEEP_PRINTED,),
        )

    def record_failure(self, job_id: str, error: str) -> None:
        self._execute(
            "UPDATE print_jobs SET attempts = attempts + 1, last_error = ? WHERE job_id = ?",
            (error, job_id),
        )

    def cancel(self, job_id: str) -> bool:
        """Drop a pending job (attendant decision); True when there was one."""
        with self._lock:
            cursor = self._db.execute(
                "DELETE FROM print_jobs WHERE job_id = ? AND printed_at IS NULL", (job_id,)
            )
            return cursor.rowcount > 0

    def stuck(self, older_than_s: float) -> list[SpooledJob]:
        """Pending jobs added more than `older_than_s` seconds ago, oldest first."""
        cutoff = self._clock() - older_than_s
        return [job for job in self.pending() if job.created_at <= cutoff]

    def _execute(self, sql: str, params: tuple[object, ...]) -> None:
        with self._lock:
            try:
                self._db.execute(sql, params)
            except sqlite3.Error as exc:
                raise PrintQueueError(f"print spool {self.path}: {exc}") from exc

    def _query(self, sql: str, params: tuple[object, ...]) -> list[SpooledJob]:
        with self._lock:
            try:
                rows = self._db.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise PrintQueueError(f"print spool {self.path}: {exc}") from exc
        return [
            SpooledJob(
                job_id=row[1],
                data=bytes(row[2]),
                created_at=row[3],
                attempts=row[4],
                last_error=row[5],
                printed_at=row[6],
            )
            for row in rows
        ]
