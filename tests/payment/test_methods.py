"""Card and QR providers behind the one PaymentProvider interface, against the simulators."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from drivers.pinpad.zvt.sim import ZvtSimulator
from drivers.pinpad.zvt.terminal import ZvtTerminal
from drivers.simlink import TcpLink
from kiosk.app import open_checkout, seed_demo_store
from kiosk.domain.transaction import Status
from kiosk.payment.methods import CardProvider, QrProvider
from kiosk.payment.qr import PollPolicy, WeChatPayMicropay
from kiosk.payment.qr.sim import PaymentProviderSimulator
from kiosk.payment.qr.sim_keys import SimCredentials


@pytest.fixture
def card(tmp_path: Path) -> Iterator[tuple[ZvtSimulator, CardProvider, list[str]]]:
    prompts: list[str] = []
    sim = ZvtSimulator(
        TcpLink(), ledger=tmp_path / "zvt.db", scenarios=("approve", "decline:55"), step_s=0.01
    )
    with sim, ZvtTerminal(sim.url, currency=156) as terminal:
        yield sim, CardProvider(terminal, prompts.append), prompts


def test_card_approval_is_masked_and_found_again_by_intent(
    card: tuple[ZvtSimulator, CardProvider, list[str]],
) -> None:
    sim, provider, prompts = card
    outcome = provider.charge("intent-1", 1234, "CNY")
    assert outcome.status == "approved"
    assert sum(c.isdigit() for c in outcome.reference.split("#")[0]) <= 4
    assert prompts, "the terminal's prompts reach the screen"
    assert provider.query("intent-1").status == "approved"
    # Another intent was never completed by the terminal: not found, so not charged.
    assert provider.query("intent-2").status == "not_found"
    assert sim.ledger.charged() == {"intent-1": 1234}


def test_card_decline_is_a_decline_with_its_result_code(
    card: tuple[ZvtSimulator, CardProvider, list[str]],
) -> None:
    _, provider, _ = card
    assert provider.charge("intent-1", 500, "CNY").status == "approved"
    declined = provider.charge("intent-2", 700, "CNY")
    assert declined.status == "declined"
    assert declined.reason.startswith("55")
    assert provider.query("intent-2").status in ("declined", "not_found")


@pytest.fixture
def wechat(tmp_path: Path) -> Iterator[WeChatPayMicropay]:
    creds = SimCredentials.generate()
    with PaymentProviderSimulator(tmp_path / "qr.db", creds) as sim:
        policy = PollPolicy(interval_s=0.05, bound_s=2, unknown_wait_s=0.05, retry_wait_s=0.05)
        yield WeChatPayMicropay(creds.wechat_config(sim.url), policy)


def test_qr_attempt_charges_with_the_code_and_resolves_without_it(
    wechat: WeChatPayMicropay,
) -> None:
    outcome = QrProvider(wechat, "134567890123456791").charge("intent-9", 880, "CNY")
    assert outcome.status == "approved"
    # After a restart the code is gone (never stored): the intent is resolved by its id.
    assert QrProvider(wechat, None).query("intent-9").status == "approved"
    assert QrProvider(wechat, None).charge("intent-10", 100, "CNY").status == "declined"


def test_split_tender_card_then_qr_records_one_sale_with_both_payments(
    tmp_path: Path,
    card: tuple[ZvtSimulator, CardProvider, list[str]],
    wechat: WeChatPayMicropay,
) -> None:
    config = seed_demo_store(tmp_path / "kiosk")
    checkout = open_checkout(config)
    try:
        checkout.scan("6920909000014")  # 12.90
        checkout.scan("6920707000049")  # 29.90
        due = checkout.start_checkout().total_minor
        _, provider, _ = card
        assert checkout.pay(provider, 2000).status == "approved"
        assert checkout.state.status is Status.PAYING
        assert checkout.pay(QrProvider(wechat, "134567890123456791")).status == "approved"
        state = checkout.state  # read again: the second payment moved it on
        assert state.status is Status.PAID
        tx_id = state.tx_id
        assert tx_id is not None
        sale = checkout.journal.sale(tx_id)
        assert sale is not None
        assert [(p.method, p.amount_minor) for p in sale.payments] == [
            ("card", 2000),
            ("wechat", due - 2000),
        ]
    finally:
        checkout.close()
