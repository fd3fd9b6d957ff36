"""The UI benchmark (`bench/ui.py`) runs end to end in a tiny mode and reports its keys.

Only shapes and counts are asserted here: speed is the bench's business, not the tests'.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import ui as bench_ui
from kiosk.ui.env import SMALL


def test_tiny_run_reports_every_key_with_sane_types(kivy_window: None) -> None:
    result = bench_ui.run_bench(
        display="800x480@7", cold_runs=1, scans=4, basket_size=2, transactions=4, warmup=2
    )
    json.dumps(result)  # one JSON object, as `main` prints it
    for key in (
        "cold_start_s",
        "cold_start_median_s",
        "scan_to_line_drawn_p99_ms",
        "scan_to_line_drawn_median_ms",
        "scan_to_snapshot_p99_ms",
        "snapshot_to_drawn_p99_ms",
        "rss_mb",
        "rss_growth_pct",
    ):
        assert isinstance(result[key], float), key
        assert result[key] >= 0 or key == "rss_growth_pct", key
    phases = result["cold_start_phases_s"]
    assert phases["python_ready"] <= phases["kivy_prepared"] <= phases["first_screen"]
    assert result["cold_start_runs"] == 1
    assert result["scans"] == 4
    assert result["transactions"] == 4
    assert result["receipts_printed"] == 4  # every transaction was paid and printed
    assert result["rss_growth_500_tx_pct"] is None  # not a 500-transaction run
    assert result["rss_mb"] > 0
    # The reference app ran in its own process on the same GL driver and font.
    reference = result["rss_reference_mb"]
    assert reference > 0
    assert result["rss_over_reference_mb"] == round(result["rss_mb"] - reference, 1)
    assert result["gl_renderer"]


def test_a_transaction_goes_from_attract_through_payment_back_to_attract(
    kivy_window: None, tmp_path: Path
) -> None:
    store = bench_ui.seed_store(tmp_path / "store")
    kiosk = bench_ui.BenchKiosk(store, SMALL).start()
    try:
        codes = bench_ui.sellable_gtins()[:2]
        for method in bench_ui.METHODS:
            kiosk.transaction(codes, method)
        assert kiosk.ui.snap.screen.value == "attract"
        assert kiosk.printer.jobs == len(bench_ui.METHODS)
    finally:
        kiosk.close()


def test_a_transaction_that_does_not_reach_the_receipt_fails_the_bench(
    kivy_window: None, tmp_path: Path
) -> None:
    store = bench_ui.seed_store(tmp_path / "store")
    kiosk = bench_ui.BenchKiosk(store, SMALL).start()
    try:
        with pytest.raises(bench_ui.BenchError, match="after pay: on basket"):
            kiosk.transaction(["6920303000016"], "card")  # beer: an attendant must approve
    finally:
        kiosk.close()
