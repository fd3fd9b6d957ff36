"""Payments that never double-charge: SIGKILL the kiosk at random points during 200 card
payments (ZVT terminal simulator over TCP) and 200 QR payments (WeChat Pay / Alipay
provider simulator over HTTP); after the restarts, what each simulator charged and what
the kiosk journalled agree exactly: no double charge, no charge without a sale.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from drivers.pinpad.zvt.sim_ledger import SimLedger as ZvtLedger
from kiosk.payment.qr import order_number
from kiosk.payment.qr.sim_ledger import SimLedger as QrLedger
from tests.e2e.drill_support import (
    journalled_payments,
    planned_sales,
    run_with_kills,
    start_simulator,
    stop,
)

TRANSACTIONS = 200


@pytest.fixture
def pinpad(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    ledger = tmp_path / "zvt-ledger.db"
    # --step: seconds per simulated terminal step ("insert card", "PIN"): fast here.
    sim = ["pinpad", "--tcp", "--step", "0.01", "--ledger", str(ledger)]
    proc, url = start_simulator(sim, tmp_path)
    yield url, ledger
    stop(proc)


@pytest.fixture
def provider(tmp_path: Path) -> Iterator[tuple[str, Path, Path]]:
    ledger = tmp_path / "qr-ledger.db"
    keys = tmp_path / "qr-keys.json"
    proc, url = start_simulator(
        ["payment-provider", "--ledger", str(ledger), "--credentials", str(keys)], tmp_path
    )
    yield url, ledger, keys
    stop(proc)


def test_card_payments_survive_sigkill_without_double_charge(
    tmp_path: Path, pinpad: tuple[str, Path]
) -> None:
    url, ledger_path = pinpad
    seed = 21
    data_dir = tmp_path / "kiosk"
    args = ["--data-dir", str(data_dir), "--transactions", str(TRANSACTIONS)]
    result = run_with_kills(
        [*args, "--seed", str(seed), "--pay", "card", "--pinpad-url", url], seed
    )
    assert result.kills >= 10

    sales, payments = journalled_payments(data_dir / "journal.db")
    assert sales == planned_sales(seed, TRANSACTIONS, "card")
    assert result.acked_paid <= sales
    ledger = ZvtLedger(ledger_path)
    try:
        charged = ledger.charged()  # intent id (ECR reference) -> amount not reversed
    finally:
        ledger.close()
    assert charged == {intent: amount for intent, (_, amount) in payments.items()}


def test_qr_payments_survive_sigkill_without_double_charge(
    tmp_path: Path, provider: tuple[str, Path, Path]
) -> None:
    url, ledger_path, keys = provider
    seed = 22
    data_dir = tmp_path / "kiosk"
    args = ["--data-dir", str(data_dir), "--transactions", str(TRANSACTIONS), "--seed", str(seed)]
    qr = ["--pay", "qr", "--provider-url", url, "--provider-credentials", str(keys)]
    result = run_with_kills([*args, *qr], seed)
    assert result.kills >= 10

    sales, payments = journalled_payments(data_dir / "journal.db")
    assert sales == planned_sales(seed, TRANSACTIONS, "qr")
    assert result.acked_paid <= sales
    assert {method for method, _ in payments.values()} == {"wechat", "alipay"}
    ledger = QrLedger(ledger_path)
    try:
        charged = ledger.charged()  # provider order number -> amount holding money now
        counts = ledger.charge_counts()
    finally:
        ledger.close()
    expected = {order_number(intent, ""): amount for intent, (_, amount) in payments.items()}
    assert charged == expected
    assert all(n == 1 for n in counts.values()), "an order was charged twice"
