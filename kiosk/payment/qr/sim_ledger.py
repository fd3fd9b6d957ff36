"""The provider simulator's ledger: what it charged, in SQLite (WAL, synchronous=FULL),
so that a crash test can compare it with the kiosk's journal after any kill.

Orders are keyed by (provider, out_trade_no): an order can be charged at most once.
Every movement of money is an event row, so a double charge would show as two
`charged` events for one order. Only the last 4 digits of a payment code are kept.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

# Order states: PAYING (shopper confirming), SUCCESS (money held), FAILED (not paid,
# still open), CLOSED / REVOKED (closed; money returned if it had been taken).
STATES = ("PAYING", "SUCCESS", "FAILED", "CLOSED", "REVOKED")

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS orders (
        provider TEXT NOT NULL, out_trade_no TEXT NOT NULL,
        amount_minor INTEGER NOT NULL, currency TEXT NOT NULL, state TEXT NOT NULL,
        scenario TEXT NOT NULL, code_tail TEXT NOT NULL, transaction_id TEXT NOT NULL,
        queries INTEGER NOT NULL DEFAULT 0, refunded_minor INTEGER NOT NULL DEFAULT 0,
        created_at REAL NOT NULL, updated_at REAL NOT NULL,
        PRIMARY KEY (provider, out_trade_no))""",
    """CREATE TABLE IF NOT EXISTS refunds (
        provider TEXT NOT NULL, out_refund_no TEXT NOT NULL, out_trade_no TEXT NOT NULL,
        amount_minor INTEGER NOT NULL, PRIMARY KEY (provider, out_refund_no))""",
    """CREATE TABLE IF NOT EXISTS events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, provider TEXT NOT NULL,
        out_trade_no TEXT NOT NULL, kind TEXT NOT NULL, amount_minor INTEGER NOT NULL,
        at REAL NOT NULL)""",
)


@dataclass(frozen=True, slots=True)
class LedgerOrder:
    provider: str
    out_trade_no: str
    amount_minor: int
    currency: str
    state: str
    scenario: str
    code_tail: str
    transaction_id: str
    queries: int
    refunded_minor: int


_FIELDS = tuple(LedgerOrder.__dataclass_fields__)
_COLUMNS = ", ".join(_FIELDS)


class SimLedger:
    """Thread-safe: every public method is one SQLite transaction under one lock."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._clock = clock
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        with self.atomic():
            for statement in _SCHEMA:
                self._conn.execute(statement)

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """One transaction (reentrant) holding the ledger lock: read-modify-write safely."""
        with self._lock:
            if self._conn.in_transaction:
                yield
                return
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def get(self, provider: str, out_trade_no: str) -> LedgerOrder | None:
        with self._lock:
            row = self._conn.execute(
                f"SELECT {_COLUMNS} FROM orders WHERE provider = ? AND out_trade_no = ?",
                (provider, out_trade_no),
            ).fetchone()
        return None if row is None else LedgerOrder(*row)

    def put(self, order: LedgerOrder) -> None:
        """Insert or replace an order; record `charged` when it newly holds money."""
        with self.atomic():
            before = self.get(order.provider, order.out_trade_no)
            now = self._clock()
            updates = ", ".join(
                f"{name} = excluded.{name}" for name in (*_FIELDS[2:], "updated_at")
            )
            self._conn.execute(
                f"INSERT INTO orders ({_COLUMNS}, created_at, updated_at)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
                f" ON CONFLICT (provider, out_trade_no) DO UPDATE SET {updates}",
                (*_values(order), now, now),
            )
            was_paid = before is not None and before.state == "SUCCESS"
            if order.state == "SUCCESS" and not was_paid:
                self._event(order, "charged", order.amount_minor)
            if was_paid and order.state in ("CLOSED", "REVOKED") and before is not None:
                self._event(order, "returned", before.amount_minor - before.refunded_minor)

    def add_refund(self, order: LedgerOrder, out_refund_no: str, amount_minor: int) -> None:
        with self.atomic():
            self._conn.execute(
                "INSERT INTO refunds (provider, out_refund_no, out_trade_no, amount_minor)"
                " VALUES (?,?,?,?)",
                (order.provider, out_refund_no, order.out_trade_no, amount_minor),
            )
            self._conn.execute(
                "UPDATE orders SET refunded_minor = refunded_minor + ?, updated_at = ?"
                " WHERE provider = ? AND out_trade_no = ?",
                (amount_minor, self._clock(), order.provider, order.out_trade_no),
            )
            self._event(order, "refunded", amount_minor)

    def refund_amount(self, provider: str, out_refund_no: str) -> tuple[str, int] | None:
        """(out_trade_no, amount) of a refund already made under this number."""
        with self._lock:
            row = self._conn.execute(
                "SELECT out_trade_no, amount_minor FROM refunds"
                " WHERE provider = ? AND out_refund_no = ?",
                (provider, out_refund_no),
            ).fetchone()
        return None if row is None else (str(row[0]), int(row[1]))

    # --- for tests and the crash test ------------------------------------------------------

    def orders(self, provider: str | None = None) -> list[LedgerOrder]:
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_COLUMNS} FROM orders WHERE ? IS NULL OR provider = ?"
                " ORDER BY created_at, out_trade_no",
                (provider, provider),
            ).fetchall()
        return [LedgerOrder(*row) for row in rows]

    def charged(self, provider: str | None = None) -> dict[str, int]:
        """out_trade_no -> amount of every order that holds the shopper's money now."""
        return {
            o.out_trade_no: o.amount_minor for o in self.orders(provider) if o.state == "SUCCESS"
        }

    def charge_counts(self, provider: str | None = None) -> dict[str, int]:
        """out_trade_no -> how many times money was taken for it (1 at most, always)."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT out_trade_no, COUNT(*) FROM events WHERE kind = 'charged'"
                " AND (? IS NULL OR provider = ?) GROUP BY out_trade_no",
                (provider, provider),
            ).fetchall()
        return {str(no): int(count) for no, count in rows}

    def events(self) -> list[tuple[str, str, str, int]]:
        """(provider, out_trade_no, kind, amount) in order: charged, returned, refunded."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT provider, out_trade_no, kind, amount_minor FROM events ORDER BY seq"
            ).fetchall()
        return [(str(p), str(n), str(k), int(a)) for p, n, k, a in rows]

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _event(self, order: LedgerOrder, kind: str, amount: int) -> None:
        self._conn.execute(
            "INSERT INTO events (provider, out_trade_no, kind, amount_minor, at)"
            " VALUES (?,?,?,?,?)",
            (order.provider, order.out_trade_no, kind, amount, self._clock()),
        )


def _values(order: LedgerOrder) -> tuple[object, ...]:
    return tuple(getattr(order, name) for name in LedgerOrder.__dataclass_fields__)
