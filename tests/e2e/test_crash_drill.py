"""Power-cut drill: SIGKILL a real `kiosk drill` process at random points during 200
scripted transactions; after every restart the open basket is exactly what was
acknowledged, and at the end no sale is lost or duplicated and the payment ledger agrees.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from kiosk.app import demo_file
from kiosk.commands.drill import code_pool, plan_for
from tests.e2e.drill_support import run_with_kills

TRANSACTIONS = 200
SEED = 11


def test_sigkill_at_random_points_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    data_dir = tmp_path / "kiosk"
    args = ["--data-dir", str(data_dir), "--transactions", str(TRANSACTIONS), "--seed", str(SEED)]
    result = run_with_kills(args, SEED)
    assert result.kills >= 10, "too few kills to mean anything"

    pool = code_pool(demo_file("demo_catalogue.csv"))
    planned_sales = {
        f"K01-drill-{k:06d}" for k in range(TRANSACTIONS) if not plan_for(SEED, k, pool).cancel
    }
    journal = sqlite3.connect(data_dir / "journal.db")
    ledger = sqlite3.connect(data_dir / "stub-ledger.db")
    try:
        sales = dict(journal.execute("SELECT tx_id, total_minor FROM sale"))
        outbox = [key for (key,) in journal.execute("SELECT key FROM outbox WHERE kind='sale'")]
        assert set(sales) == planned_sales, "a completed sale was lost or an extra one appeared"
        assert sorted(outbox) == sorted(sales), "outbox and sales disagree"
        assert result.acked_paid <= set(sales)
        charged = dict(ledger.execute("SELECT intent_id, amount_minor FROM charge"))
        paid_by_sale: dict[str, int] = {}
        for (body,) in journal.execute("SELECT body FROM sale"):
            sale = json.loads(body)
            for payment in sale["payments"]:
                assert charged.get(payment["intent_id"]) == payment["amount_minor"]
                paid_by_sale[payment["intent_id"]] = payment["amount_minor"]
        # Every charge the "provider" made belongs to exactly one recorded sale.
        assert charged == paid_by_sale
        assert sum(charged.values()) == sum(sales.values())
    finally:
        journal.close()
        ledger.close()
