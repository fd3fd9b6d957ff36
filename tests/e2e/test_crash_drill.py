"""Power-cut drill: SIGKILL a real `kiosk drill` process at random points during 200
scripted transactions; after every restart the open basket is exactly what was
acknowledged, and at the end no sale is lost or duplicated and the payment ledger agrees.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from kiosk.app import demo_file
from kiosk.commands.drill import code_pool, plan_for

TRANSACTIONS = 200
SEED = 11
MAX_RUNS = 200  # bounded: the drill finishes long before this many restarts


def _start(data_dir: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kiosk",
            "drill",
            "--data-dir",
            str(data_dir),
            "--transactions",
            str(TRANSACTIONS),
            "--seed",
            str(SEED),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def _run_once(data_dir: Path, kill_after_lines: int | None) -> tuple[list[dict[str, Any]], int]:
    """Run the drill; SIGKILL it once it has acknowledged `kill_after_lines` commits."""
    proc = _start(data_dir)
    assert proc.stdout is not None
    assert proc.stderr is not None
    lines: list[dict[str, Any]] = []
    stderr_chunks: list[str] = []
    drain = threading.Thread(target=lambda: stderr_chunks.append(proc.stderr.read()))  # type: ignore[union-attr]
    drain.start()
    try:
        for raw in proc.stdout:
            lines.append(json.loads(raw))
            if kill_after_lines is not None and len(lines) > kill_after_lines:
                proc.send_signal(signal.SIGKILL)
                break
        # Whatever it printed before it died is still in the pipe: read it all.
        lines.extend(json.loads(raw) for raw in proc.stdout)
        code = proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        drain.join()
        proc.stdout.close()
        proc.stderr.close()
    if code not in (0, -signal.SIGKILL):
        raise AssertionError(f"drill failed with {code}: {''.join(stderr_chunks)[-2000:]}")
    return lines, code


def test_sigkill_at_random_points_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    data_dir = tmp_path / "kiosk"
    rng = random.Random(SEED)
    last_ack: dict[str, Any] | None = None
    acked_paid: set[str] = set()
    kills = 0
    deadline = time.monotonic() + 900
    for _ in range(MAX_RUNS):
        assert time.monotonic() < deadline, "drill did not finish in time"
        lines, code = _run_once(data_dir, kill_after_lines=rng.randint(1, 150))
        restored = lines[0]["restored"]
        if last_ack is not None:
            # The restart sees every acknowledged commit, and at most the one commit that
            # was made but killed before its acknowledgement was printed.
            assert restored["seq"] in (last_ack["seq"], last_ack["seq"] + 1)
            if restored["seq"] == last_ack["seq"]:
                for key in ("tx", "status", "lines", "member"):
                    assert restored[key] == last_ack[key], (key, restored, last_ack)
            elif restored["tx"] == last_ack["tx"]:
                assert restored["lines"][: len(last_ack["lines"])] == last_ack["lines"]
        acks = [line for line in lines[1:] if "seq" in line]
        for ack in acks:
            if ack["status"] == "paid":
                acked_paid.add(ack["tx"])
        if acks:
            last_ack = acks[-1]
        elif last_ack is not None and restored["seq"] == last_ack["seq"] + 1:
            last_ack = restored
        if code == 0:
            assert "done" in lines[-1]
            break
        kills += 1
    else:
        raise AssertionError("drill never completed")
    assert kills >= 10, "too few kills to mean anything"

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
        assert acked_paid <= set(sales)
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
