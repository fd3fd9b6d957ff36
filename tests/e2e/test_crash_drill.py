"""Power-cut drill: SIGKILL a real `kiosk drill` process at random points during 200
scripted transactions; after every restart the open basket is exactly what was
acknowledged, and at the end no sale is lost or duplicated and the payment ledger agrees.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.e2e.drill_support import journalled_payments, planned_sales, run_with_kills

TRANSACTIONS = 200
SEED = 11


def test_sigkill_at_random_points_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    data_dir = tmp_path / "kiosk"
    args = ["--data-dir", str(data_dir), "--transactions", str(TRANSACTIONS), "--seed", str(SEED)]
    result = run_with_kills(args, SEED)
    assert result.kills >= 10, "too few kills to mean anything"

    sales, payments = journalled_payments(data_dir / "journal.db")
    assert sales == planned_sales(SEED, TRANSACTIONS), "a sale was lost or an extra one appeared"
    assert result.acked_paid <= sales
    ledger = sqlite3.connect(data_dir / "stub-ledger.db")
    try:
        charged = dict(ledger.execute("SELECT intent_id, amount_minor FROM charge"))
    finally:
        ledger.close()
    # Every charge the "provider" made belongs to exactly one recorded payment, and back.
    assert charged == {intent: amount for intent, (_, amount) in payments.items()}
