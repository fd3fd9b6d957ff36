"""A STUB payment method for demos and crash drills, until the real card/QR providers land.

It is clearly not a payment: it approves every charge. It behaves like a real provider
in the one way that matters for crash safety: it keeps its own ledger (a SQLite file,
as a bank's host would) and is idempotent by intent id, so tests can compare what it
"charged" with what the kiosk journalled.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from kiosk.payment.provider import PaymentOutcome


class StubPaymentProvider:
    method = "stub"

    def __init__(self, ledger: Path) -> None:
        ledger.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(ledger, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS charge ("
            " intent_id TEXT PRIMARY KEY, amount_minor INTEGER NOT NULL, currency TEXT NOT NULL)"
        )

    def charge(self, intent_id: str, amount_minor: int, currency: str) -> PaymentOutcome:
        self._conn.execute(
            "INSERT INTO charge (intent_id, amount_minor, currency) VALUES (?,?,?)"
            " ON CONFLICT (intent_id) DO NOTHING",
            (intent_id, amount_minor, currency),
        )
        return self.query(intent_id)

    def query(self, intent_id: str) -> PaymentOutcome:
        row = self._conn.execute(
            "SELECT amount_minor FROM charge WHERE intent_id = ?", (intent_id,)
        ).fetchone()
        if row is None:
            return PaymentOutcome("not_found")
        return PaymentOutcome("approved", reference=f"STUB-{intent_id[-6:]}")

    def refund(self, intent_id: str, refund_id: str, amount_minor: int) -> PaymentOutcome:
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS refund (refund_id TEXT PRIMARY KEY,"
            " intent_id TEXT NOT NULL, amount_minor INTEGER NOT NULL)"
        )
        if self.query(intent_id).status != "approved":
            return PaymentOutcome("declined", reason="no such charge")
        self._conn.execute(
            "INSERT INTO refund VALUES (?,?,?) ON CONFLICT (refund_id) DO NOTHING",
            (refund_id, intent_id, amount_minor),
        )
        return PaymentOutcome("approved", reference=f"STUB-R-{refund_id[-6:]}")

    def ledger(self) -> dict[str, int]:
        return dict(self._conn.execute("SELECT intent_id, amount_minor FROM charge"))

    def close(self) -> None:
        self._conn.close()
