"""The ZVT simulator's ledger: what the simulated terminal charged, in a SQLite file.

It stands for the acquirer's books. A crash test compares it with the kiosk's journal:
every row is one authorisation, refund or reversal, keyed by the terminal's receipt
number and by the ECR reference the kiosk sent (BMP 3C), written with synchronous=FULL
before the terminal tells the ECR anything, so a charge the ECR never heard of is
still here. Refunds (06 31) are rows of their own kind: `charged()` never nets them,
`refunded()` sums them by their reference (the kiosk's refund id).

Open it from another process (`SimLedger(path)`) to read it while the simulator runs.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Kind = Literal["payment", "refund", "reversal", "end-of-day"]
Status = Literal["approved", "declined", "aborted", "reversed"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS txn (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    receipt_no INTEGER NOT NULL,
    trace INTEGER NOT NULL,
    kind TEXT NOT NULL,
    reference TEXT,
    amount_minor INTEGER NOT NULL,
    currency INTEGER NOT NULL,
    status TEXT NOT NULL,
    result_code INTEGER NOT NULL,
    masked_pan TEXT,
    card_type INTEGER,
    original_receipt INTEGER,
    original_trace INTEGER,
    settled INTEGER NOT NULL DEFAULT 0,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS txn_reference ON txn (reference);
CREATE INDEX IF NOT EXISTS txn_receipt ON txn (receipt_no);
"""


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    seq: int
    receipt_no: int
    trace: int
    kind: Kind
    reference: str | None
    amount_minor: int
    currency: int
    status: Status
    result_code: int
    masked_pan: str | None
    card_type: int | None
    original_receipt: int | None
    original_trace: int | None
    settled: bool
    at: float

    @property
    def charged(self) -> bool:
        """An approved payment not reversed since: money the shopper paid."""
        return self.kind == "payment" and self.status == "approved"


_COLUMNS = (
    "seq, receipt_no, trace, kind, reference, amount_minor, currency, status, result_code, "
    "masked_pan, card_type, original_receipt, original_trace, settled, at"
)


def _entry(row: tuple[object, ...]) -> LedgerEntry:
    values = list(row)
    values[13] = bool(values[13])
    return LedgerEntry(*values)  # type: ignore[arg-type]


class SimLedger:
    """Thread-safe; `path=None` keeps the ledger in memory (unit tests)."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = None if path is None else Path(path)
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(
            ":memory:" if self.path is None else self.path,
            isolation_level=None,
            check_same_thread=False,
            timeout=10.0,
        )
        if self.path is not None:
            self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def record(
        self,
        *,
        kind: Kind,
        amount_minor: int,
        currency: int,
        status: Status,
        result_code: int,
        reference: str | None = None,
        masked_pan: str | None = None,
        card_type: int | None = None,
        at: float | None = None,
    ) -> LedgerEntry:
        """Write one transaction durably; receipt and trace numbers come from its sequence."""
        with self._lock:
            seq = self._insert(
                kind=kind,
                reference=reference,
                amount_minor=amount_minor,
                currency=currency,
                status=status,
                result_code=result_code,
                masked_pan=masked_pan,
                card_type=card_type,
                original=None,
                at=at,
            )
            return self._get(seq)

    def _insert(
        self,
        *,
        kind: Kind,
        reference: str | None,
        amount_minor: int,
        currency: int,
        status: Status,
        result_code: int,
        masked_pan: str | None,
        card_type: int | None,
        original: LedgerEntry | None,
        at: float | None,
    ) -> int:
        cur = self._conn.execute(
            "INSERT INTO txn (receipt_no, trace, kind, reference, amount_minor, currency,"
            " status, result_code, masked_pan, card_type, original_receipt, original_trace,"
            " at) VALUES (0, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                kind,
                reference,
                amount_minor,
                currency,
                status,
                result_code,
                masked_pan,
                card_type,
                None if original is None else original.receipt_no,
                None if original is None else original.trace,
                time.time() if at is None else at,
            ),
        )
        seq = int(cur.lastrowid or 0)
        # Receipt numbers are 4 BCD digits (BMP 87), traces 6 (BMP 0B): wrap, skip 0.
        self._conn.execute(
            "UPDATE txn SET receipt_no = ?, trace = ? WHERE seq = ?",
            ((seq - 1) % 9999 + 1, (seq - 1) % 999_999 + 1, seq),
        )
        return seq

    def _get(self, seq: int) -> LedgerEntry:
        row = self._conn.execute(f"SELECT {_COLUMNS} FROM txn WHERE seq = ?", (seq,)).fetchone()
        return _entry(row)

    def record_reversal(self, original: LedgerEntry, *, at: float | None = None) -> LedgerEntry:
        """The reversal of `original` and its new status, in one SQLite transaction."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.execute(
                    "UPDATE txn SET status = 'reversed' WHERE seq = ?", (original.seq,)
                )
                seq = self._insert(
                    kind="reversal",
                    reference=None,
                    amount_minor=original.amount_minor,
                    currency=original.currency,
                    status="approved",
                    result_code=0,
                    masked_pan=original.masked_pan,
                    card_type=original.card_type,
                    original=original,
                    at=at,
                )
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            return self._get(seq)

    def settle(self) -> list[LedgerEntry]:
        """Mark every unsettled approved payment settled (end-of-day) and return them."""
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_COLUMNS} FROM txn WHERE settled = 0 AND kind = 'payment'"
                " AND status = 'approved' ORDER BY seq"
            ).fetchall()
            self._conn.execute("UPDATE txn SET settled = 1 WHERE settled = 0")
        return [_entry(r) for r in rows]

    def last(self) -> LedgerEntry | None:
        """The last payment, refund or reversal with a receipt (what a repeat receipt shows)."""
        with self._lock:
            row = self._conn.execute(
                f"SELECT {_COLUMNS} FROM txn WHERE kind IN ('payment', 'refund', 'reversal')"
                " AND status != 'aborted' ORDER BY seq DESC LIMIT 1"
            ).fetchone()
        return None if row is None else _entry(row)

    def by_receipt(self, receipt_no: int) -> LedgerEntry | None:
        with self._lock:
            row = self._conn.execute(
                f"SELECT {_COLUMNS} FROM txn WHERE receipt_no = ? AND kind = 'payment'"
                " ORDER BY seq DESC LIMIT 1",
                (receipt_no,),
            ).fetchone()
        return None if row is None else _entry(row)

    def by_reference(self, reference: str) -> list[LedgerEntry]:
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_COLUMNS} FROM txn WHERE reference = ? ORDER BY seq", (reference,)
            ).fetchall()
        return [_entry(r) for r in rows]

    def entries(self) -> list[LedgerEntry]:
        with self._lock:
            rows = self._conn.execute(f"SELECT {_COLUMNS} FROM txn ORDER BY seq").fetchall()
        return [_entry(r) for r in rows]

    def refunds(self) -> list[LedgerEntry]:
        """Every approved refund, in order (a refund done twice shows here twice)."""
        return [e for e in self.entries() if e.kind == "refund" and e.status == "approved"]

    def refunded(self) -> dict[str, int]:
        """Reference -> amount refunded to cards (approved 06 31 refunds)."""
        totals: dict[str, int] = {}
        for entry in self.refunds():
            if entry.reference is not None:
                totals[entry.reference] = totals.get(entry.reference, 0) + entry.amount_minor
        return totals

    def charged(self) -> dict[str, int]:
        """Reference -> amount charged and not reversed (what the crash test compares)."""
        totals: dict[str, int] = {}
        for entry in self.entries():
            if entry.charged and entry.reference is not None:
                totals[entry.reference] = totals.get(entry.reference, 0) + entry.amount_minor
        return totals
