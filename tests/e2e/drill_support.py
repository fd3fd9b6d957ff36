"""Run `kiosk drill` in a real child process and SIGKILL it at random points.

After every restart the drill prints what it restored; this checks it against what the
killed run had acknowledged: every acknowledged commit is there, and at most the one
commit that was made but killed before its acknowledgement was printed.
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.app import demo_file
from kiosk.commands.drill import code_pool, plan_for

MAX_RUNS = 300  # bounded: a drill finishes long before this many restarts


@dataclass
class DrillResult:
    kills: int = 0
    acked_paid: set[str] = field(default_factory=set)


def _run_once(args: list[str], kill_after_lines: int) -> tuple[list[dict[str, Any]], int]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "drill", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    stderr = proc.stderr
    lines: list[dict[str, Any]] = []
    errors: list[str] = []
    drain = threading.Thread(target=lambda: errors.append(stderr.read()))
    drain.start()
    try:
        for raw in proc.stdout:
            lines.append(json.loads(raw))
            if len(lines) > kill_after_lines:
                proc.send_signal(signal.SIGKILL)
                break
        # Whatever it printed before it died is still in the pipe: read it all.
        lines.extend(json.loads(raw) for raw in proc.stdout)
        code = proc.wait(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        drain.join()
        proc.stdout.close()
        stderr.close()
    if code not in (0, -signal.SIGKILL):
        raise AssertionError(f"drill failed with {code}: {''.join(errors)[-3000:]}")
    return lines, code


def run_with_kills(args: list[str], seed: int, max_lines: int = 150) -> DrillResult:
    """Run the drill to completion, SIGKILLing it after a random number of commits."""
    rng = random.Random(seed)
    result = DrillResult()
    last_ack: dict[str, Any] | None = None
    deadline = time.monotonic() + 1200
    for _ in range(MAX_RUNS):
        assert time.monotonic() < deadline, "drill did not finish in time"
        lines, code = _run_once(args, kill_after_lines=rng.randint(1, max_lines))
        restored = lines[0]["restored"]
        if last_ack is not None:
            assert restored["seq"] in (last_ack["seq"], last_ack["seq"] + 1)
            if restored["seq"] == last_ack["seq"]:
                for key in ("tx", "status", "lines", "member"):
                    assert restored[key] == last_ack[key], (key, restored, last_ack)
            elif restored["tx"] == last_ack["tx"]:
                assert restored["lines"][: len(last_ack["lines"])] == last_ack["lines"]
        acks = [line for line in lines[1:] if "seq" in line]
        result.acked_paid.update(a["tx"] for a in acks if a["status"] == "paid")
        if acks:
            last_ack = acks[-1]
        elif last_ack is not None and restored["seq"] == last_ack["seq"] + 1:
            last_ack = restored
        if code == 0:
            assert "done" in lines[-1]
            return result
        result.kills += 1
    raise AssertionError("drill never completed")


def start_simulator(args: list[str], data_dir: Path) -> tuple[subprocess.Popen[str], str]:
    """Start `kiosk sim …` in its own process; return it and the URL it prints first."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "sim", *args],
        stdout=subprocess.PIPE,
        stderr=open(data_dir / f"sim-{args[0]}.log", "w"),  # noqa: SIM115 - closed with the process
        text=True,
    )
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    if not url:
        proc.kill()
        proc.wait()
        raise AssertionError(f"simulator {args} printed no URL")
    return proc, url


def stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


def journalled_payments(journal_path: Path) -> tuple[set[str], dict[str, tuple[str, int]]]:
    """The sales, and every payment in them: intent id -> (method, amount)."""
    conn = sqlite3.connect(journal_path)
    try:
        sales: set[str] = set()
        payments: dict[str, tuple[str, int]] = {}
        for tx_id, body in conn.execute("SELECT tx_id, body FROM sale"):
            sales.add(tx_id)
            sale = json.loads(body)
            assert sum(p["amount_minor"] for p in sale["payments"]) == sale["priced"]["total_minor"]
            for p in sale["payments"]:
                assert p["intent_id"] not in payments, "one intent in two sales"
                payments[p["intent_id"]] = (p["method"], p["amount_minor"])
        outbox = [k for (k,) in conn.execute("SELECT key FROM outbox WHERE kind = 'sale'")]
        assert sorted(outbox) == sorted(sales)
    finally:
        conn.close()
    return sales, payments


def planned_sales(seed: int, transactions: int, pay: str = "stub") -> set[str]:
    """The transactions the drill's plan pays for (the rest it cancels)."""
    pool = code_pool(demo_file("demo_catalogue.csv"))
    return {
        f"K01-drill-{k:06d}" for k in range(transactions) if not plan_for(seed, k, pool, pay).cancel
    }
