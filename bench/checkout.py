"""Checkout core benchmarks: `python -m bench.checkout [--quick]` prints one JSON object.

Measured (p99 unless named otherwise):
- barcode_parse_p99_ms: one scan through the parser (mixed EAN-13, GS1, scale labels).
- scan_to_basket_p99_ms: scan -> parse -> catalogue lookup -> journal commit -> priced
  basket, with the full catalogue and 1,000 active promotions (bench/promotions_data.py)
  over a promoted range of 2,000 items that includes every item the bench buys.
- reprice_200_lines_p99_ms: price_basket over a 200-line basket with 1,000 promotions.
- journal_commit_p99_ms: one event appended and committed (WAL, synchronous=FULL), next to
  raw_sqlite_commit_p99_ms: a plain INSERT + COMMIT of a same-sized row with the same
  settings, and their ratio.
- catalogue_import_1m_s: importing a 1,000,000-item CSV (--quick: 50,000 items, scaled
  figure reported separately and the output says so).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bench.catalogue_data import write_synthetic_catalogue
from bench.promotions_data import synthetic_promotions
from bench.stats import percentile_ms
from kiosk.app import seed_demo_store, settle_heap
from kiosk.checkout import Checkout
from kiosk.domain.barcodes import BarcodeConfig, parse_scan
from kiosk.domain.catalogue import Item, Unit
from kiosk.domain.codec import to_jsonable
from kiosk.domain.pricing import BasketLine, load_promotions, price_basket
from kiosk.domain.transaction import (
    Cancelled,
    ItemAdded,
    SessionClosed,
    SessionStarted,
    Transaction,
    reduce,
)
from kiosk.store.catalogue import CatalogueStore
from kiosk.store.catalogue_import import import_catalogue
from kiosk.store.journal import Journal


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def bench_barcodes(runs: int) -> dict[str, float]:
    config = BarcodeConfig()
    scans = [
        "]E06901234567892",
        "6920202888883",
        "]C1010690123456789217271231\x1d10LOT42\x1d21SER9",
        "2810001012345",
        "]Q3https://id.gs1.org/01/06901234567892/10/ABC?17=271231",
        "96385074",
    ]
    valid = []
    for scan in scans:
        try:
            parse_scan(scan, config)
            valid.append(scan)
        except Exception:
            continue
    samples: list[float] = []
    for i in range(runs):
        scan = valid[i % len(valid)]
        start = time.perf_counter()
        parse_scan(scan, config)
        samples.append(time.perf_counter() - start)
    return {
        "barcode_parse_p99_ms": percentile_ms(samples, 0.99),
        "barcode_parse_median_us": round(statistics.median(samples) * 1e6, 2),
    }


def bench_journal(tmp: Path, runs: int) -> dict[str, float]:
    """A journal append vs a raw SQLite insert+commit of the same size, same settings.

    The two are interleaved, one of each per round, so that disk and CPU noise from
    other work on the machine falls on both alike.
    """
    journal = Journal.open(tmp / "bench-journal.db")
    state = Transaction()
    at = datetime(2026, 1, 1).astimezone()
    item = _sample_item()
    event_start = SessionStarted(at, "bench")
    state, _ = reduce(state, event_start)
    journal.append(event_start, state)

    raw = sqlite3.connect(tmp / "bench-raw.db", isolation_level=None)
    raw.execute("PRAGMA journal_mode = WAL")
    raw.execute("PRAGMA synchronous = FULL")
    raw.execute(
        "CREATE TABLE journal (seq INTEGER PRIMARY KEY, tx_id TEXT, kind TEXT, body TEXT,"
        " at_rest INTEGER, crc INTEGER)"
    )
    # The raw row carries as many bytes as the journal's encoded ItemAdded event.
    body = "x" * len(json.dumps(to_jsonable(ItemAdded(at, "line-0", item)), ensure_ascii=False))

    samples = []
    raw_samples = []
    for i in range(runs):
        event = ItemAdded(at + timedelta(seconds=i), f"line-{i}", item)
        state, _ = reduce(state, event)
        start = time.perf_counter()
        journal.append(event, state)
        samples.append(time.perf_counter() - start)

        start = time.perf_counter()
        raw.execute("BEGIN IMMEDIATE")
        raw.execute("INSERT INTO journal VALUES (?, 'bench', 'item_added', ?, 0, 0)", (i + 1, body))
        raw.execute("COMMIT")
        raw_samples.append(time.perf_counter() - start)
    journal.close()
    raw.close()
    journal_p99 = percentile_ms(samples, 0.99)
    raw_p99 = percentile_ms(raw_samples, 0.99)
    return {
        "journal_commit_p99_ms": journal_p99,
        "raw_sqlite_commit_p99_ms": raw_p99,
        "journal_vs_raw_p99_ratio": round(journal_p99 / raw_p99, 3),
        "journal_commit_median_ms": round(statistics.median(samples) * 1000, 4),
        "raw_sqlite_commit_median_ms": round(statistics.median(raw_samples) * 1000, 4),
    }


def _sample_item() -> Item:
    return Item(
        item_id="bench-item",
        names={"zh_CN": "蒙牛纯牛奶 250ml", "en": "Mengniu whole milk 250ml"},
        price_minor=350,
        currency="CNY",
        tax_class="standard",
        unit=Unit.EACH,
        department="dairy",
        gtins=("06901234567892",),
        expected_weight_g=260,
        weight_tolerance_g=15,
    )


def bench_import(tmp: Path, items: int) -> tuple[float, Path, int]:
    src = tmp / f"catalogue-{items}.csv"
    write_synthetic_catalogue(src, items, seed=1)
    db = tmp / "catalogue.db"
    start = time.perf_counter()
    import_catalogue(src, db)
    return time.perf_counter() - start, src, items


def _gtins_from_csv(src: Path, limit: int) -> list[str]:
    out: list[str] = []
    with src.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["unit"] != "each" or int(row.get("age_limit") or 0) or row["active"] != "1":
                continue  # weighed or age-checked items need a scale or an attendant
            out.append(row["gtins"].split("|")[0])
            if len(out) >= limit * 20:
                break
    rng = random.Random(3)
    return rng.sample(out, min(limit, len(out)))


# Items carrying item-level deals. 1,000 promotions name one to six items each, and a
# store does not run half a dozen deals on one item at once: its promoted range is a few
# thousand items, of which a shopper buys some. Fixed, so that --quick (300 items shopped)
# prices the same density of deals per item as the full run (2,000 items shopped).
PROMOTED_ITEMS = 2_000


def _promoted_range(src: Path, shopped: list[str], size: int) -> list[str]:
    """The items the bench shops, then other catalogue items up to `size` in all."""
    taken = set(shopped)
    others: list[str] = []
    with src.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["active"] == "1" and row["item_id"] not in taken:
                others.append(row["item_id"])
                if len(others) >= size * 20:
                    break
    wanted = max(0, min(size - len(shopped), len(others)))
    return shopped + random.Random(4).sample(others, wanted)


def bench_scan_and_pricing(tmp: Path, src: Path, runs: int, n_promotions: int) -> dict[str, Any]:
    config = seed_demo_store(tmp / "store")
    config = replace(
        config,
        paths=replace(config.paths, catalogue=tmp / "catalogue.db", journal=tmp / "scan.db"),
    )
    catalogue = CatalogueStore.open(config.paths.catalogue)
    gtins = _gtins_from_csv(src, max(runs, 200))
    items = [catalogue.lookup_gtin(g.zfill(14)) for g in gtins]
    found = [i for i in items if i is not None]
    item_ids = [i.item_id for i in found]
    departments = sorted({i.department for i in found})
    promoted = _promoted_range(src, item_ids, PROMOTED_ITEMS)
    promotions = load_promotions(
        synthetic_promotions(n_promotions, promoted, departments, seed=5), "synthetic"
    )
    counter = iter(range(10**9))
    clock_base = datetime(2026, 11, 27, 11, 0).astimezone()
    checkout = Checkout(
        config,
        Journal.open(config.paths.journal),
        catalogue,
        promotions,
        clock=lambda: clock_base,
        new_id=lambda: f"id{next(counter)}",
    )
    settle_heap()  # as kiosk.app.open_checkout does once the kiosk has loaded everything
    scan_samples = []
    for i, gtin in enumerate(gtins[:runs]):
        if i and i % 30 == 0:  # a new basket every 30 scans, as shoppers do
            checkout.dispatch(Cancelled(clock_base, "bench"))
            checkout.dispatch(SessionClosed(clock_base))
        start = time.perf_counter()
        outcome = checkout.scan(gtin)
        checkout.priced()
        scan_samples.append(time.perf_counter() - start)
        if outcome.status != "added":
            raise SystemExit(f"bench scan of {gtin} not added: {outcome.message}")
    checkout.close()

    ctx = checkout.pricing_context(clock_base)
    lines = [BasketLine(f"l{i}", found[i % len(found)], 1 + i % 3, None, None) for i in range(200)]
    reprice = timed(lambda: price_basket(lines, promotions, ctx), max(50, runs // 4))
    return {
        "scan_to_basket_p99_ms": percentile_ms(scan_samples, 0.99),
        "scan_to_basket_median_ms": round(statistics.median(scan_samples) * 1000, 4),
        "reprice_200_lines_p99_ms": percentile_ms(reprice, 0.99),
        "reprice_200_lines_median_ms": round(statistics.median(reprice) * 1000, 4),
        "active_promotions": n_promotions,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.checkout")
    parser.add_argument(
        "--quick", action="store_true", help="50,000-item catalogue and fewer runs (< 1 minute)"
    )
    args = parser.parse_args(argv)
    items = 50_000 if args.quick else 1_000_000
    runs = 300 if args.quick else 2000
    result: dict[str, Any] = {
        "quick": args.quick,
        "catalogue_items": items,
        "python": sys.version.split()[0],
    }
    result.update(bench_barcodes(runs * 10))
    with tempfile.TemporaryDirectory(prefix="bench-checkout-") as tmp_name:
        tmp = Path(tmp_name)
        result.update(bench_journal(tmp, runs))
        seconds, src, _ = bench_import(tmp, items)
        if args.quick:
            result["catalogue_import_50k_s"] = round(seconds, 2)
            result["catalogue_import_1m_s"] = None
            result["note"] = "quick run: 50k-item import; run without --quick for the 1M figure"
        else:
            result["catalogue_import_1m_s"] = round(seconds, 2)
        result.update(bench_scan_and_pricing(tmp, src, runs, 1000))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
