"""The transaction journal: append-only events, sale records and the outbox, in one SQLite file.

Durability (SPEC section 3): WAL with synchronous=FULL, one SQLite transaction per event,
and the sale record plus its outbox message written in the same transaction as the event
that completed the payment, so a paid sale is never lost and never recorded twice.

Damage is detected, not trusted away:
- a torn WAL tail (power cut mid-write) is discarded by SQLite's frame checksums, so the
  last committed event is the recovery point;
- every row carries a CRC over its sequence number and content; a row that fails it (bit
  rot, a torn page in the main file) and every row after it are moved to `quarantine`
  (kept, never deleted) and the last good event is the recovery point;
- a file SQLite cannot read as a whole is renamed aside (kept for forensics) and its
  readable prefix copied into a fresh journal.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import NamedTuple

from kiosk.domain.codec import CodecError, from_jsonable, to_jsonable
from kiosk.domain.sale import RefundRecord, Sale
from kiosk.domain.transaction import (
    EVENT_TYPES,
    INITIAL,
    Event,
    OutOfService,
    Transaction,
    reduce,
)
from kiosk.errors import JournalError, KioskError
from kiosk.store.sqlite import connect, migrate

log = logging.getLogger(__name__)

SCHEMA: tuple[str, ...] = (
    """
    CREATE TABLE journal (
        seq INTEGER PRIMARY KEY,          -- monotonic, assigned by us, never reused
        tx_id TEXT,
        kind TEXT NOT NULL,
        body TEXT NOT NULL,               -- the event as JSON (kiosk.domain.codec)
        at_rest INTEGER NOT NULL,         -- 1 when no transaction is open after this event
        crc INTEGER NOT NULL              -- CRC-32 of seq, tx_id, kind and body
    );
    CREATE INDEX journal_at_rest ON journal(seq) WHERE at_rest = 1;
    CREATE TABLE sale (
        tx_id TEXT PRIMARY KEY,
        seq INTEGER NOT NULL,             -- the event that completed the payment
        completed_at TEXT NOT NULL,
        total_minor INTEGER NOT NULL,
        currency TEXT NOT NULL,
        body TEXT NOT NULL
    );
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        key TEXT NOT NULL UNIQUE,         -- idempotency key: the controller dedupes on it
        body TEXT NOT NULL,
        created_seq INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_sent_at TEXT,
        acked_at TEXT
    );
    CREATE INDEX outbox_pending ON outbox(id) WHERE acked_at IS NULL;
    CREATE TABLE quarantine (
        seq INTEGER,
        tx_id TEXT,
        kind TEXT,
        body TEXT,
        crc INTEGER,
        reason TEXT NOT NULL,
        found_at TEXT NOT NULL
    );
    """,
    """
    CREATE TABLE refund (
        refund_id TEXT PRIMARY KEY,
        seq INTEGER NOT NULL,             -- the event that settled it
        tx_id TEXT NOT NULL,
        intent_id TEXT NOT NULL,
        amount_minor INTEGER NOT NULL,
        body TEXT NOT NULL
    );
    CREATE INDEX refund_intent ON refund(intent_id);
    """,
)


class JournalDamaged(JournalError):
    """Part of the journal failed its checks; it was quarantined and recovery went on."""


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    id: int
    kind: str
    key: str
    body: str
    attempts: int


class JournalEntry(NamedTuple):
    """One event to append, the state it leads to, and the record it completes, if any."""

    event: Event
    state_after: Transaction
    sale: Sale | None = None
    refund: RefundRecord | None = None


@dataclass(frozen=True, slots=True)
class Restored:
    """What `Journal.restore` found: the state to continue from and any damage it set aside."""

    state: Transaction
    last_seq: int
    quarantined: int
    salvaged_from: Path | None


def _crc(seq: int, tx_id: str | None, kind: str, body: str) -> int:
    return zlib.crc32(f"{seq}\x1f{tx_id or ''}\x1f{kind}\x1f{body}".encode())


def _encode(value: object) -> str:
    return json.dumps(to_jsonable(value), ensure_ascii=False, separators=(",", ":"))


def decode_event(kind: str, body: str) -> Event:
    try:
        cls = EVENT_TYPES[kind]
    except KeyError:
        raise CodecError(f"unknown event kind {kind!r}") from None
    try:
        return from_jsonable(cls, json.loads(body))
    except json.JSONDecodeError as exc:
        raise CodecError(f"event body is not JSON: {exc}") from None


class Journal:
    """The kiosk's single writer of events. Not thread-safe: one owner thread."""

    def __init__(self, path: Path, conn: sqlite3.Connection, salvaged_from: Path | None) -> None:
        self.path = path
        self._conn = conn
        self._salvaged_from = salvaged_from
        row = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM journal").fetchone()
        self._last_seq: int = row[0]

    @classmethod
    def open(cls, path: Path) -> Journal:
        """Open (or create) the journal at `path`, salvaging it if SQLite finds it damaged."""
        path.parent.mkdir(parents=True, exist_ok=True)
        salvaged_from: Path | None = None
        try:
            conn = cls._open_checked(path)
        except sqlite3.DatabaseError as exc:
            salvaged_from = _salvage(path, str(exc))
            conn = cls._open_checked(path)
        return cls(path, conn, salvaged_from)

    @staticmethod
    def _open_checked(path: Path) -> sqlite3.Connection:
        conn = connect(path)
        try:
            migrate(conn, SCHEMA, name="journal")
            problem = conn.execute("PRAGMA quick_check").fetchone()[0]
            if problem != "ok":
                raise sqlite3.DatabaseError(f"quick_check: {problem}")
        except BaseException:
            conn.close()
            raise
        return conn

    def close(self) -> None:
        self._conn.close()

    @property
    def last_seq(self) -> int:
        return self._last_seq

    # ------------------------------------------------------------ writing

    def append(
        self,
        event: Event,
        state_after: Transaction,
        sale: Sale | None = None,
        refund: RefundRecord | None = None,
    ) -> int:
        """Durably append `event` (with `sale` or `refund`: that record and its outbox message).

        Returns the event's sequence number once it is committed to disk.
        """
        return self.append_all((JournalEntry(event, state_after, sale, refund),))[-1]

    def append_all(
        self,
        entries: Sequence[JournalEntry],
        *,
        before_commit: Callable[[], None] | None = None,
    ) -> list[int]:
        """Durably append several events in one SQLite transaction: all of them or none.

        For events that only make sense together (a session opened by its first scan), so
        that they cost one commit (one fsync) and a crash never leaves half of them.
        Returns their sequence numbers once committed.

        `before_commit` is called just before the COMMIT, once the events are written but
        not yet durable: to start work on another thread that overlaps the COMMIT's wait
        for the disk (SQLite lets other Python threads run meanwhile). It must not raise.
        """
        if not entries:
            raise ValueError("append_all needs at least one event")
        first = self._last_seq + 1
        conn = self._conn
        seq = first
        try:
            conn.execute("BEGIN IMMEDIATE")
            for seq, entry in enumerate(entries, start=first):
                self._insert(seq, entry)
            if before_commit is not None:
                before_commit()
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            kind = entries[seq - first].event.kind
            raise JournalError(f"{self.path}: cannot append {kind} #{seq}: {exc}") from exc
        except BaseException:
            # An event that cannot be encoded (a bug) must not leave the write lock held.
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        self._last_seq = seq
        return list(range(first, seq + 1))

    def _insert(self, seq: int, entry: JournalEntry) -> None:
        event, state_after, sale, refund = entry
        body = _encode(event)
        tx_id = state_after.tx_id if state_after.tx_id is not None else _tx_of(event)
        conn = self._conn
        conn.execute(
            "INSERT INTO journal (seq, tx_id, kind, body, at_rest, crc) VALUES (?,?,?,?,?,?)",
            (
                seq,
                tx_id,
                event.kind,
                body,
                int(state_after.is_at_rest),
                _crc(seq, tx_id, event.kind, body),
            ),
        )
        if sale is not None:
            sale_body = _encode(sale)
            # ON CONFLICT: a sale salvaged from a damaged journal may already be here.
            conn.execute(
                "INSERT INTO sale (tx_id, seq, completed_at, total_minor, currency, body)"
                " VALUES (?,?,?,?,?,?) ON CONFLICT (tx_id) DO NOTHING",
                (
                    sale.tx_id,
                    seq,
                    sale.completed_at.isoformat(),
                    sale.total_minor,
                    sale.priced.currency,
                    sale_body,
                ),
            )
            conn.execute(
                "INSERT INTO outbox (kind, key, body, created_seq) VALUES ('sale', ?, ?, ?)"
                " ON CONFLICT (key) DO NOTHING",
                (sale.tx_id, sale_body, seq),
            )
        if refund is not None:
            refund_body = _encode(refund)
            conn.execute(
                "INSERT INTO refund (refund_id, seq, tx_id, intent_id, amount_minor, body)"
                " VALUES (?,?,?,?,?,?) ON CONFLICT (refund_id) DO NOTHING",
                (
                    refund.refund_id,
                    seq,
                    refund.tx_id,
                    refund.intent_id,
                    refund.amount_minor,
                    refund_body,
                ),
            )
            conn.execute(
                "INSERT INTO outbox (kind, key, body, created_seq) VALUES ('refund', ?, ?, ?)"
                " ON CONFLICT (key) DO NOTHING",
                (refund.refund_id, refund_body, seq),
            )

    # ------------------------------------------------------------ reading

    def restore(self) -> Restored:
        """Rebuild the state after the last good event.

        Replays only the events after the last point at rest (no open transaction).
        """
        quarantined = 0
        while True:  # the last point at rest that passes its check (damage is set aside)
            rest = self._conn.execute(
                "SELECT seq, tx_id, kind, body, crc FROM journal WHERE at_rest = 1"
                " ORDER BY seq DESC LIMIT 1"
            ).fetchone()
            if rest is None:
                break
            problem = self._check_row(rest, expected_seq=rest[0])
            if problem is None:
                break
            quarantined += self._quarantine_from(rest[0], problem)
        state = INITIAL
        start = 0
        if rest is not None:
            start = rest[0]
            if rest[2] == "out_of_service":
                event = decode_event(rest[2], rest[3])
                assert isinstance(event, OutOfService)
                state, _ = reduce(INITIAL, event)
        rows = self._conn.execute(
            "SELECT seq, tx_id, kind, body, crc FROM journal WHERE seq > ? ORDER BY seq", (start,)
        ).fetchall()
        expected = start + 1
        for row in rows:
            problem = self._check_row(row, expected)
            if problem is None:
                try:
                    state, _ = reduce(state, decode_event(row[2], row[3]))
                except KioskError as exc:
                    problem = f"does not replay: {exc}"
            if problem is not None:
                quarantined += self._quarantine_from(row[0], problem)
                break
            expected += 1
        last = self._conn.execute("SELECT COALESCE(MAX(seq), 0) FROM journal").fetchone()[0]
        self._last_seq = last
        return Restored(state, last, quarantined, self._salvaged_from)

    @staticmethod
    def _check_row(row: tuple[int, str | None, str, str, int], expected_seq: int) -> str | None:
        seq, tx_id, kind, body, crc = row
        if seq != expected_seq:
            return f"sequence gap: expected #{expected_seq}, found #{seq}"
        if _crc(seq, tx_id, kind, body) != crc:
            return f"event #{seq} fails its CRC"
        return None

    def _quarantine_from(self, seq: int, reason: str) -> int:
        """Move event `seq` and everything after it to the quarantine table (kept, not lost)."""
        found_at = datetime.now(UTC).isoformat()
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        moved: int = conn.execute(
            "INSERT INTO quarantine (seq, tx_id, kind, body, crc, reason, found_at)"
            " SELECT seq, tx_id, kind, body, crc, ?, ? FROM journal WHERE seq >= ?",
            (reason, found_at, seq),
        ).rowcount
        conn.execute("DELETE FROM journal WHERE seq >= ?", (seq,))
        conn.execute("COMMIT")
        log.error(
            "journal damaged; events quarantined",
            extra={"journal": str(self.path), "from_seq": seq, "events": moved, "reason": reason},
        )
        return moved

    def events(self, after_seq: int = 0) -> Iterator[tuple[int, Event]]:
        for seq, kind, body in self._conn.execute(
            "SELECT seq, kind, body FROM journal WHERE seq > ? ORDER BY seq", (after_seq,)
        ):
            yield seq, decode_event(kind, body)

    def sale(self, tx_id: str) -> Sale | None:
        row = self._conn.execute("SELECT body FROM sale WHERE tx_id = ?", (tx_id,)).fetchone()
        return None if row is None else from_jsonable(Sale, json.loads(row[0]))

    def sales_completed_on(self, day: date) -> Iterator[Sale]:
        """The sales completed on `day`, by the date in their (kiosk-local) timestamp."""
        rows = self._conn.execute(
            "SELECT body FROM sale WHERE substr(completed_at, 1, 10) = ? ORDER BY seq",
            (day.isoformat(),),
        )
        for (body,) in rows:
            yield from_jsonable(Sale, json.loads(body))

    def refunds_on(self, day: date) -> Iterator[RefundRecord]:
        """The refunds settled on `day` (kiosk-local date)."""
        for (body,) in self._conn.execute("SELECT body FROM refund ORDER BY seq"):
            record = from_jsonable(RefundRecord, json.loads(body))
            if record.refunded_at.date() == day:
                yield record

    def refunded_minor(self, intent_id: str) -> int:
        """How much of a payment has been refunded already."""
        row = self._conn.execute(
            "SELECT COALESCE(SUM(amount_minor), 0) FROM refund WHERE intent_id = ?", (intent_id,)
        ).fetchone()
        return int(row[0])

    def sale_ids(self) -> list[str]:
        return [r[0] for r in self._conn.execute("SELECT tx_id FROM sale ORDER BY seq")]

    def outbox_pending(self, limit: int = 100) -> list[OutboxMessage]:
        rows = self._conn.execute(
            "SELECT id, kind, key, body, attempts FROM outbox WHERE acked_at IS NULL"
            " ORDER BY id LIMIT ?",
            (limit,),
        ).fetchall()
        return [OutboxMessage(*row) for row in rows]

    def outbox_acknowledge(self, keys: list[str], at: datetime) -> int:
        with self._conn:
            cursor = self._conn.executemany(
                "UPDATE outbox SET acked_at = ? WHERE key = ? AND acked_at IS NULL",
                [(at.isoformat(), key) for key in keys],
            )
        return cursor.rowcount

    def count_kind(self, kind: str) -> int:
        return int(
            self._conn.execute("SELECT COUNT(*) FROM journal WHERE kind = ?", (kind,)).fetchone()[0]
        )

    def quarantined(self) -> int:
        return int(self._conn.execute("SELECT COUNT(*) FROM quarantine").fetchone()[0])


def _tx_of(event: Event) -> str | None:
    return getattr(event, "tx_id", None)


def _salvage(path: Path, why: str) -> Path:
    """Rename a damaged journal aside and copy its readable prefix into a fresh one."""
    n = 1
    while path.with_name(f"{path.name}.damaged-{n}").exists():
        n += 1
    damaged = path.with_name(f"{path.name}.damaged-{n}")
    for suffix in ("", "-wal", "-shm"):
        src = Path(f"{path}{suffix}")
        if src.exists():
            os.replace(src, Path(f"{damaged}{suffix}"))
    log.error(
        "journal unreadable; salvaging its readable prefix",
        extra={"journal": str(path), "kept_as": str(damaged), "reason": why},
    )
    fresh = connect(path)
    migrate(fresh, SCHEMA, name="journal")
    copied = 0
    try:
        old = sqlite3.connect(f"file:{damaged}?mode=ro", uri=True)
    except sqlite3.Error:
        fresh.close()
        return damaged
    try:
        for table, columns in (
            ("journal", "seq, tx_id, kind, body, at_rest, crc"),
            ("sale", "tx_id, seq, completed_at, total_minor, currency, body"),
            ("outbox", "id, kind, key, body, created_seq, attempts, last_sent_at, acked_at"),
        ):
            marks = ",".join("?" * len(columns.split(",")))
            try:
                for row in old.execute(f"SELECT {columns} FROM {table} ORDER BY 1"):
                    fresh.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", row)
                    copied += 1
            except sqlite3.Error as exc:
                log.error(
                    "salvage stopped at damage",
                    extra={"journal": str(damaged), "table": table, "reason": str(exc)},
                )
        # Sales and outbox rows are kept even when the event that made them was not
        # salvaged: the money was taken. Replaying the payment later records nothing twice
        # (sale and outbox inserts are idempotent by transaction id).
    finally:
        old.close()
        fresh.commit()
        fresh.close()
    log.warning("journal salvaged", extra={"journal": str(path), "rows": copied})
    return damaged
