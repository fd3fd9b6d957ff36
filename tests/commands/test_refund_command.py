"""`kiosk refund`: an attendant refunds a recorded sale from the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.app import open_checkout, seed_demo_store
from kiosk.lane_setup import ATTENDANTS_FILE
from kiosk.payment.qr.sim_ledger import SimLedger
from kiosk.security.attendants import seed_demo_attendants

SUPERVISOR_PIN, ATTENDANT_PIN = "2580", "1234"


def kiosk(*args: str, pin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk", *args],
        input=pin + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo store with one sale: paid part by card, the rest by WeChat Pay."""
    data = tmp_path_factory.mktemp("refund") / "d"
    done = kiosk("demo", "--data-dir", str(data))
    assert done.returncode == 0, done.stderr
    seed_demo_attendants(data / ATTENDANTS_FILE)
    return data


def listing(store: Path) -> list[dict[str, object]]:
    result = kiosk("refund", "list", "--data-dir", str(store), "--json")
    assert result.returncode == 0, result.stderr
    rows: list[dict[str, object]] = json.loads(result.stdout)
    return rows


def wechat_refunded(store: Path) -> int:
    ledger = SimLedger(store / "payment-sim" / "qr-sim.db")
    try:
        return sum(o.refunded_minor for o in ledger.orders("wechat"))
    finally:
        ledger.close()


def test_refund_list_shows_the_sale_with_what_each_payment_may_still_refund(store: Path) -> None:
    (sale,) = listing(store)
    payments = sale["payments"]
    assert isinstance(payments, list)
    assert sorted(p["method"] for p in payments) == ["card", "wechat"]
    assert sum(p["paid_minor"] for p in payments) == sale["total_minor"]


def test_a_pin_without_the_refund_permission_is_refused_and_nothing_moves(store: Path) -> None:
    (sale,) = listing(store)
    before = wechat_refunded(store)
    result = kiosk(
        "refund", str(sale["tx"]), "--method", "wechat", "--data-dir", str(store), pin=ATTENDANT_PIN
    )
    assert result.returncode == 2
    assert "may not refund" in result.stderr
    wrong = kiosk(
        "refund", str(sale["tx"]), "--method", "wechat", "--data-dir", str(store), pin="9999"
    )
    assert wrong.returncode == 2
    assert "PIN" in wrong.stderr
    assert wechat_refunded(store) == before


def test_supervisor_refunds_part_then_the_rest_of_the_wechat_payment_once(store: Path) -> None:
    (sale,) = listing(store)
    tx = str(sale["tx"])
    payments = sale["payments"]
    assert isinstance(payments, list)
    (wechat,) = [p for p in payments if p["method"] == "wechat"]
    args = ("refund", tx, "--method", "wechat", "--data-dir", str(store))
    part = kiosk(*args, "--amount", "1.00", pin=SUPERVISOR_PIN)
    assert part.returncode == 0, part.stderr
    assert "refunded" in part.stdout
    rest = kiosk(*args, pin=SUPERVISOR_PIN)
    assert rest.returncode == 0, rest.stderr
    assert wechat_refunded(store) == wechat["paid_minor"]
    again = kiosk(*args, pin=SUPERVISOR_PIN)
    assert again.returncode == 2
    assert "nothing left to refund" in again.stderr
    assert wechat_refunded(store) == wechat["paid_minor"]
    (after,) = listing(store)
    after_payments = after["payments"]
    assert isinstance(after_payments, list)
    left = {p["method"]: p["refundable_minor"] for p in after_payments}
    assert left["wechat"] == 0


def test_refund_is_refused_while_the_lane_is_open_in_another_process(store: Path) -> None:
    checkout = open_checkout(seed_demo_store(store))  # as the running kiosk holds it
    try:
        result = kiosk("refund", "list", "--data-dir", str(store))
    finally:
        checkout.close()
    assert result.returncode == 2
    assert "in use by process" in result.stderr


def test_wrong_pins_lock_the_command_as_they_lock_the_pin_pad(tmp_path: Path) -> None:
    data = tmp_path / "d"
    seed_demo_store(data)
    seed_demo_attendants(data / ATTENDANTS_FILE)
    args = ("refund", "some-sale", "--data-dir", str(data))
    answers = [kiosk(*args, pin="9999").stderr for _ in range(5)]  # the demo allows 5
    assert "1 in a row" in answers[0]
    assert "locked" in answers[-1].lower()
    right = kiosk(*args, pin=SUPERVISOR_PIN)  # each run is a new process: still locked
    assert right.returncode == 2
    assert "locked" in right.stderr.lower()
