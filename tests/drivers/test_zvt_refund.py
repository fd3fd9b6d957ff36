"""ZVT refunds (06 31) end to end: the driver against the simulator over TCP and a pty.

The simulator's ledger is the acquirer's truth: a refund is a row of its own kind,
linked to the kiosk by its reference, never netted against charges.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from drivers.pinpad.zvt import (
    Aborted,
    Approved,
    Declined,
    IntermediateUpdate,
    Unknown,
    ZvtTerminal,
)
from drivers.pinpad.zvt import messages as msg
from drivers.pinpad.zvt.sim import ZvtSimulator
from drivers.simlink import TcpLink
from tests.drivers.test_zvt_sim import RawEcr
from tests.drivers.test_zvt_terminal import TIMEOUTS, approved, make_sim, session
from tests.drivers.waiting import wait_until


@pytest.fixture(params=["tcp", "pty"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_approved_refund_is_recorded_apart_from_the_charge_with_receipt_and_trace(
    kind: str, tmp_path: Path
) -> None:
    seen: list[IntermediateUpdate] = []
    with session(kind, tmp_path) as (sim, terminal):
        approved(terminal.authorize(1234, reference="intent-1"))
        refund = approved(terminal.refund(500, reference="refund-1", on_status=seen.append))
        rows = sim.ledger.by_reference("refund-1")
        charged, refunded = sim.ledger.charged(), sim.ledger.refunded()
        commands = list(sim.commands)
    assert (refund.amount_minor, refund.currency, refund.reference) == (500, 978, "refund-1")
    assert refund.masked_pan == "************4242"
    assert [(r.kind, r.status, r.amount_minor) for r in rows] == [("refund", "approved", 500)]
    assert (refund.receipt_no, refund.trace) == (rows[0].receipt_no, rows[0].trace)
    assert refund.original_trace is None
    assert charged == {"intent-1": 1234}  # a refund is not a reversal of the charge
    assert refunded == {"refund-1": 500}
    assert [r.kind for r in refund.receipts] == ["merchant", "customer"]
    assert refund.customer_receipt is not None
    assert "REFUND / GUTSCHRIFT" in refund.customer_receipt.text
    assert "Amount 5.00" in refund.customer_receipt.text
    assert [u.text for u in seen][:2] == ["insert card", "please watch PIN-pad"]
    assert commands == [msg.AUTHORIZATION, msg.REFUND]


def test_declined_refund_names_the_result_code_and_refunds_nothing(
    kind: str, tmp_path: Path
) -> None:
    with session(kind, tmp_path, "decline:71") as (sim, terminal):
        outcome = terminal.refund(300, reference="refund-2")
        last = terminal.repeat_receipt()
        rows = sim.ledger.by_reference("refund-2")
        refunded = sim.ledger.refunded()
    assert isinstance(outcome, Declined)
    assert (outcome.result_code, outcome.text) == (0x71, "credit not sufficient (chip-card)")
    assert outcome.reference == "refund-2"
    assert "REFUND DECLINED" in outcome.receipts[-1].text
    assert [(r.kind, r.status) for r in rows] == [("refund", "declined")]
    assert refunded == {}
    assert isinstance(last, Declined)
    assert last.reference == "refund-2"


def test_shopper_abort_of_a_refund_is_aborted_and_refunds_nothing(
    kind: str, tmp_path: Path
) -> None:
    with session(kind, tmp_path, "shopper-abort") as (sim, terminal):
        outcome = terminal.refund(300, reference="refund-3")
        rows = sim.ledger.by_reference("refund-3")
        refunded = sim.ledger.refunded()
    assert isinstance(outcome, Aborted)
    assert (outcome.result_code, outcome.text) == (0x6C, "abort via timeout or abort-key")
    assert [(r.kind, r.status) for r in rows] == [("refund", "aborted")]
    assert refunded == {}


def test_ecr_abort_during_a_refund_pin_entry_stops_it(kind: str, tmp_path: Path) -> None:
    with session(kind, tmp_path, "slow-pin") as (sim, terminal):

        def stop_at_pin(update: IntermediateUpdate) -> None:
            if update.code == 0x01:  # "please watch PIN-pad"
                terminal.abort()

        outcome = terminal.refund(400, reference="refund-4", on_status=stop_at_pin)
        refunded = sim.ledger.refunded()
    assert isinstance(outcome, Aborted)
    assert refunded == {}


@pytest.mark.parametrize("scenario", ["drop-after-charge", "drop-before-completion"])
def test_link_dropped_during_a_refund_is_unknown_and_the_last_transaction_is_that_refund(
    kind: str, tmp_path: Path, scenario: str
) -> None:
    with session(kind, tmp_path, "approve", scenario) as (sim, terminal):
        approved(terminal.authorize(1000, reference="intent-5"))
        outcome = terminal.refund(600, reference="refund-5")
        assert wait_until(lambda: sim.link.plugged)
        last = terminal.last_transaction()
        repeated = approved(terminal.repeat_receipt())
        refunded = sim.ledger.refunded()
    assert isinstance(outcome, Unknown)
    assert "link lost" in outcome.reason
    assert isinstance(last, Approved)
    assert (last.reference, last.amount_minor, last.original_trace) == ("refund-5", 600, None)
    assert repeated.receipt_no == last.receipt_no
    assert repeated.customer_receipt is not None
    assert "DUPLICATE" in repeated.customer_receipt.text
    assert refunded == {"refund-5": 600}


def test_last_transaction_of_a_terminal_with_none_stored_is_none(kind: str, tmp_path: Path) -> None:
    with session(kind, tmp_path) as (_, terminal):
        nothing = terminal.last_transaction()
        unknown = terminal.repeat_receipt()
        approved(terminal.refund(100, reference="refund-6"))
        last = terminal.last_transaction()
    assert nothing is None
    assert isinstance(unknown, Unknown)
    assert "cannot repeat the receipt: 83" in unknown.reason
    assert isinstance(last, Approved)
    assert last.reference == "refund-6"


def test_refund_in_a_currency_the_terminal_is_not_registered_for_is_refused(
    tmp_path: Path,
) -> None:
    with make_sim("tcp", tmp_path / "ledger.sqlite") as sim:
        with ZvtTerminal(sim.url, currency=978, timeouts=TIMEOUTS) as euro:
            euro.register()
        with ZvtTerminal(sim.url, currency=156, timeouts=TIMEOUTS) as yuan:
            outcome = yuan.refund(100, reference="refund-7")
        entries = sim.ledger.entries()
    assert isinstance(outcome, Declined)
    assert (outcome.result_code, outcome.refused_command) == (0x6F, True)
    assert entries == []


def test_simulator_refuses_a_refund_without_an_amount_as_a_protocol_error() -> None:
    with ZvtSimulator(TcpLink(), step_s=0.01) as sim:
        ecr = RawEcr(sim.url)
        try:
            ecr.send(bytes.fromhex("06 31 06 00 00 00 49 09 78".replace(" ", "")))
            answer = ecr.next()
        finally:
            ecr.close()
        entries = sim.ledger.entries()
    assert answer.encode() == msg.negative_ack(0x9A)
    assert entries == []
