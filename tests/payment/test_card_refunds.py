"""Card refunds: `CardProvider.refund` over ZVT 06 31, against the simulator over TCP.

The refund id travels as the ECR reference, so a refund whose outcome was lost (link
dropped, kiosk restarted) is answered from the terminal's last transaction and never
sent twice: the simulator's ledger (the acquirer's books) shows exactly one refund.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from drivers.pinpad.zvt import messages as msg
from drivers.pinpad.zvt.sim import ZvtSimulator
from drivers.pinpad.zvt.terminal import ZvtTerminal, ZvtTimeouts
from drivers.simlink import TcpLink
from kiosk.app import open_checkout, seed_demo_store
from kiosk.domain.transaction import SessionStarted
from kiosk.errors import TransitionError
from kiosk.payment.methods import CardProvider
from tests.drivers.waiting import wait_until

NOW = datetime(2026, 11, 27, 15, 0).astimezone()
TIMEOUTS = ZvtTimeouts(ack_s=3.0, completion_s=5.0, abort_grace_s=1.0)


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[ZvtSimulator]:
    with ZvtSimulator(TcpLink(), ledger=tmp_path / "zvt.db", step_s=0.01, down_s=0.2) as s:
        yield s


def terminal_for(sim: ZvtSimulator) -> ZvtTerminal:
    return ZvtTerminal(sim.url, currency=156, timeouts=TIMEOUTS)


@pytest.fixture
def card(sim: ZvtSimulator) -> Iterator[tuple[CardProvider, list[str]]]:
    prompts: list[str] = []
    with terminal_for(sim) as terminal:
        provider = CardProvider(terminal, prompts.append)
        assert provider.charge("intent-1", 2990, "CNY").status == "approved"
        yield provider, prompts


def refunds_sent(sim: ZvtSimulator) -> int:
    return sim.commands.count(msg.REFUND)


def card_ref(sim: ZvtSimulator, refund_id: str) -> str:
    """What the refund's record says: the card's last digits and the terminal receipt."""
    (entry,) = (e for e in sim.ledger.refunds() if e.reference == refund_id)
    return f"**** 4242 #{entry.receipt_no}"


def test_approved_refund_names_the_card_and_is_booked_as_a_refund(
    sim: ZvtSimulator, card: tuple[CardProvider, list[str]]
) -> None:
    provider, prompts = card
    prompts.clear()
    outcome = provider.refund("intent-1", "refund-1", 1000)
    assert (outcome.status, outcome.reference) == ("approved", card_ref(sim, "refund-1"))
    assert prompts, "the terminal's prompts reach the screen during a refund too"
    assert sim.ledger.refunded() == {"refund-1": 1000}
    assert sim.ledger.charged() == {"intent-1": 2990}
    # Asked again (e.g. the checkout resolving it once more): answered, not sent again.
    again = provider.refund("intent-1", "refund-1", 1000)
    assert (again.status, again.reference) == ("approved", card_ref(sim, "refund-1"))
    assert [e.reference for e in sim.ledger.refunds()] == ["refund-1"]
    assert refunds_sent(sim) == 1


@pytest.mark.parametrize(
    ("scenario", "reason"),
    [
        ("decline:55", "55 declined by the authorisation system (host code 55)"),
        ("shopper-abort", "6C abort via timeout or abort-key"),
    ],
)
def test_declined_or_aborted_refund_is_declined_with_its_result_code(
    sim: ZvtSimulator, card: tuple[CardProvider, list[str]], scenario: str, reason: str
) -> None:
    provider, _ = card
    sim.queue(scenario)
    outcome = provider.refund("intent-1", "refund-2", 500)
    assert (outcome.status, outcome.reason) == ("declined", reason)
    assert sim.ledger.refunded() == {}


def test_declined_refund_asked_again_stays_declined_without_a_new_attempt(
    sim: ZvtSimulator, card: tuple[CardProvider, list[str]]
) -> None:
    provider, _ = card
    sim.queue("decline:55")
    assert provider.refund("intent-1", "refund-3", 500).status == "declined"
    again = provider.refund("intent-1", "refund-3", 500)
    assert (again.status, again.reason[:2]) == ("declined", "55")
    assert refunds_sent(sim) == 1
    assert sim.ledger.refunded() == {}


@pytest.mark.parametrize("scenario", ["drop-after-charge", "drop-before-completion"])
def test_link_dropped_after_the_host_approved_then_retried_refunds_exactly_once(
    sim: ZvtSimulator, card: tuple[CardProvider, list[str]], scenario: str
) -> None:
    provider, _ = card
    sim.queue(scenario)
    lost = provider.refund("intent-1", "refund-4", 700)
    assert lost.status == "unknown"
    assert "link lost" in lost.reason
    assert wait_until(lambda: sim.link.plugged)
    retried = provider.refund("intent-1", "refund-4", 700)
    assert (retried.status, retried.reference) == ("approved", card_ref(sim, "refund-4"))
    assert [(e.reference, e.amount_minor) for e in sim.ledger.refunds()] == [("refund-4", 700)]
    assert refunds_sent(sim) == 1


def test_link_dropped_before_the_host_heard_of_it_then_retried_refunds_once(
    sim: ZvtSimulator, card: tuple[CardProvider, list[str]]
) -> None:
    provider, _ = card
    sim.queue("reboot")  # the terminal restarts mid-refund: the host never approved it
    assert provider.refund("intent-1", "refund-5", 800).status == "unknown"
    assert sim.ledger.refunded() == {}
    assert wait_until(lambda: sim.link.plugged)
    assert provider.refund("intent-1", "refund-5", 800).status == "approved"
    assert [(e.reference, e.amount_minor) for e in sim.ledger.refunds()] == [("refund-5", 800)]
    assert refunds_sent(sim) == 2  # the lost attempt, then the one the host approved


def test_refund_lost_before_a_restart_resolves_on_a_new_terminal_by_repeat_receipt(
    sim: ZvtSimulator, card: tuple[CardProvider, list[str]]
) -> None:
    provider, _ = card
    sim.queue("drop-before-completion")
    assert provider.refund("intent-1", "refund-6", 900).status == "unknown"
    assert wait_until(lambda: sim.link.plugged)
    with terminal_for(sim) as restarted:  # a new process: nothing remembered
        resolved = CardProvider(restarted).refund("intent-1", "refund-6", 900)
    assert (resolved.status, resolved.reference) == ("approved", card_ref(sim, "refund-6"))
    assert sim.ledger.refunded() == {"refund-6": 900}
    assert refunds_sent(sim) == 1
    assert sim.commands[-1] == msg.REPEAT_RECEIPT


def test_refund_on_a_terminal_with_no_stored_transaction_is_sent(sim: ZvtSimulator) -> None:
    with terminal_for(sim) as terminal:
        outcome = CardProvider(terminal).refund("intent-9", "refund-7", 100)
    assert outcome.status == "approved"
    assert sim.ledger.refunded() == {"refund-7": 100}


def test_unreachable_terminal_refunds_nothing_and_never_guesses(tmp_path: Path) -> None:
    link = TcpLink()
    url = link.url
    link.close()
    with ZvtTerminal(url, timeouts=ZvtTimeouts(ack_s=0.3)) as terminal:
        outcome = CardProvider(terminal).refund("intent-1", "refund-8", 100)
    # It could not even ask what became of an earlier attempt: unknown, ask again later.
    assert outcome.status == "unknown"
    assert "not connected" in outcome.reason


def test_checkout_refunds_a_card_payment_once_even_when_the_first_answer_is_lost(
    tmp_path: Path, sim: ZvtSimulator
) -> None:
    config = seed_demo_store(tmp_path / "kiosk")
    ids = (f"id{n:04d}" for n in itertools.count())
    checkout = open_checkout(config, clock=lambda: NOW, ids=lambda: next(ids))
    try:
        with terminal_for(sim) as terminal:
            provider = CardProvider(terminal)
            checkout.scan("6920707000049")  # 29.90
            checkout.start_checkout()
            assert checkout.pay(provider).status == "approved"
            tx_id = checkout.state.tx_id
            assert tx_id is not None
            intent = checkout.state.payments[-1].intent_id
            checkout.finish(printed=True)

            sim.queue("drop-before-completion")
            args = {"tx_id": tx_id, "intent_id": intent, "attendant_id": "A7"}
            assert checkout.refund(provider, amount_minor=1000, **args).status == "unknown"
            with pytest.raises(TransitionError, match="unresolved"):
                checkout.dispatch(SessionStarted(NOW, "next-shopper"))
            assert wait_until(lambda: sim.link.plugged)
            resolved = checkout.resolve_pending_refund(provider)
        assert resolved is not None
        assert resolved.status == "approved"
        assert checkout.state.pending_refund is None
        assert checkout.journal.refunded_minor(intent) == 1000
        assert len(sim.ledger.refunds()) == 1
        assert refunds_sent(sim) == 1
    finally:
        checkout.close()
