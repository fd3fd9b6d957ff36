"""Refunds by an attendant: journalled first, settled once, never more than was paid."""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from kiosk.app import open_checkout, seed_demo_store
from kiosk.checkout import Checkout, RefundRefused
from kiosk.config import KioskConfig
from kiosk.domain.transaction import SessionStarted, Status
from kiosk.errors import TransitionError
from kiosk.payment.methods import QrProvider
from kiosk.payment.provider import PaymentOutcome
from kiosk.payment.qr import PollPolicy, WeChatPayMicropay
from kiosk.payment.qr.sim import PaymentProviderSimulator
from kiosk.payment.qr.sim_keys import SimCredentials
from kiosk.payment.settlement import settlement_report
from kiosk.payment.stub import StubPaymentProvider

NOW = datetime(2026, 11, 27, 15, 0).astimezone()


@pytest.fixture
def store(tmp_path: Path) -> KioskConfig:
    return seed_demo_store(tmp_path / "kiosk")


def lane(store: KioskConfig) -> Checkout:
    ids = (f"{n:04d}" for n in itertools.count())
    return open_checkout(store, clock=lambda: NOW, ids=lambda: f"id{next(ids)}-{id(store)}")


def sell(checkout: Checkout, provider: StubPaymentProvider | QrProvider) -> tuple[str, str, int]:
    checkout.scan("6920707000049")  # 29.90
    checkout.start_checkout()
    assert checkout.pay(provider).status == "approved"
    tx_id = checkout.state.tx_id
    assert tx_id is not None
    intent = checkout.state.payments[-1].intent_id
    checkout.finish(printed=True)
    return tx_id, intent, 2990


def test_partial_refunds_never_exceed_the_payment(store: KioskConfig, tmp_path: Path) -> None:
    checkout = lane(store)
    stub = StubPaymentProvider(tmp_path / "stub.db")
    try:
        tx_id, intent, paid = sell(checkout, stub)
        args = {"tx_id": tx_id, "intent_id": intent, "attendant_id": "A7"}
        assert checkout.refund(stub, amount_minor=1000, **args).status == "approved"
        with pytest.raises(RefundRefused, match=f"between 1 and {paid - 1000}"):
            checkout.refund(stub, amount_minor=paid, **args)
        assert checkout.refund(stub, amount_minor=paid - 1000, **args).status == "approved"
        assert checkout.journal.refunded_minor(intent) == paid
        with pytest.raises(RefundRefused, match="no recorded sale"):
            checkout.refund(stub, amount_minor=1, tx_id="nope", intent_id=intent, attendant_id="A")
        refunds = [m for m in checkout.journal.outbox_pending() if m.kind == "refund"]
        assert len(refunds) == 2
        report = settlement_report(checkout.journal, "K01", NOW.date(), "CNY")
        assert [(m.method, m.payments, m.amount.minor) for m in report.refunds] == [
            ("stub", 2, paid)
        ]
        assert checkout.state.status is Status.IDLE
    finally:
        stub.close()
        checkout.close()


class Unreachable:
    """A provider that cannot be reached: the refund's outcome is unknown."""

    method = "stub"

    def refund(self, intent_id: str, refund_id: str, amount_minor: int) -> PaymentOutcome:
        return PaymentOutcome("unknown", reason="no route to host")


def test_unknown_refund_blocks_the_lane_until_resolved_even_across_a_restart(
    store: KioskConfig, tmp_path: Path
) -> None:
    checkout = lane(store)
    stub = StubPaymentProvider(tmp_path / "stub.db")
    try:
        tx_id, intent, _ = sell(checkout, stub)
        outcome = checkout.refund(
            Unreachable(), tx_id=tx_id, intent_id=intent, amount_minor=500, attendant_id="A7"
        )
        assert outcome.status == "unknown"
        with pytest.raises(TransitionError, match="unresolved"):
            checkout.dispatch(SessionStarted(NOW, "next-shopper"))
        checkout.close()

        checkout = lane(store)  # power cut: the pending refund comes back
        pending = checkout.state.pending_refund
        assert pending is not None
        assert pending.amount_minor == 500
        assert checkout.resolve_pending_refund(stub) is not None
        assert checkout.state.pending_refund is None
        assert checkout.journal.refunded_minor(intent) == 500
        # Asking the provider again used the same refund id: refunded once.
        ledger = sqlite3.connect(tmp_path / "stub.db")
        assert ledger.execute("SELECT COUNT(*), SUM(amount_minor) FROM refund").fetchone() == (
            1,
            500,
        )
        ledger.close()
    finally:
        stub.close()
        checkout.close()


@pytest.fixture
def wechat(tmp_path: Path) -> Iterator[WeChatPayMicropay]:
    creds = SimCredentials.generate()
    with PaymentProviderSimulator(tmp_path / "qr.db", creds) as sim:
        policy = PollPolicy(interval_s=0.05, bound_s=2, unknown_wait_s=0.05, retry_wait_s=0.05)
        yield WeChatPayMicropay(creds.wechat_config(sim.url), policy)


def test_wechat_payment_is_refunded_through_the_provider(
    store: KioskConfig, wechat: WeChatPayMicropay
) -> None:
    checkout = lane(store)
    try:
        tx_id, intent, paid = sell(checkout, QrProvider(wechat, "134567890123456791"))
        outcome = checkout.refund(
            QrProvider(wechat, None),
            tx_id=tx_id,
            intent_id=intent,
            amount_minor=paid,
            attendant_id="A7",
        )
        assert outcome.status == "approved"
        assert checkout.journal.refunded_minor(intent) == paid
    finally:
        checkout.close()
