"""The ZVT driver against the ZVT simulator: every scenario over a real TCP socket and a pty.

The simulator's ledger is the acquirer's truth: each test checks that what the driver
reports agrees with what was (or was not) charged.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from drivers.pinpad.zvt import (
    Aborted,
    Approved,
    Declined,
    EndOfDay,
    IntermediateUpdate,
    TransactionOutcome,
    Unknown,
    ZvtBusy,
    ZvtTerminal,
    ZvtTimeouts,
    ZvtUnavailable,
    codec,
)
from drivers.pinpad.zvt import messages as msg
from drivers.pinpad.zvt.codec import Bmp
from drivers.pinpad.zvt.exchange import Exchange, ReceiptCollector, transaction_outcome
from drivers.pinpad.zvt.framing import ApduSplitter
from drivers.pinpad.zvt.sim import ZvtSimulator
from drivers.pinpad.zvt.sim_scenarios import SimCard
from drivers.simlink import PtyLink, TcpLink

TIMEOUTS = ZvtTimeouts(ack_s=3.0, completion_s=5.0, abort_grace_s=1.0)


@pytest.fixture(params=["tcp", "pty"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def make_sim(kind: str, ledger: Path, *scenarios: str, **options: Any) -> ZvtSimulator:
    link = TcpLink() if kind == "tcp" else PtyLink("zvt-pinpad")
    options.setdefault("step_s", 0.02)
    options.setdefault("down_s", 0.3)
    return ZvtSimulator(link, ledger=ledger, scenarios=scenarios, **options)


@contextlib.contextmanager
def session(
    kind: str, tmp_path: Path, *scenarios: str, sim: dict[str, Any] | None = None, **options: Any
) -> Iterator[tuple[ZvtSimulator, ZvtTerminal]]:
    options.setdefault("timeouts", TIMEOUTS)
    with (
        make_sim(kind, tmp_path / "ledger.sqlite", *scenarios, **(sim or {})) as simulator,
        ZvtTerminal(simulator.url, **options) as terminal,
    ):
        yield simulator, terminal


def approved(outcome: TransactionOutcome) -> Approved:
    assert isinstance(outcome, Approved), outcome
    return outcome


# --- approve, decline, abort --------------------------------------------------------------


def test_approved_payment_carries_receipts_card_and_reference(kind: str, tmp_path: Path) -> None:
    with session(kind, tmp_path, "approve") as (sim, terminal):
        outcome = approved(terminal.authorize(1234, reference="intent-1"))
        ledger = sim.ledger.by_reference("intent-1")
    assert outcome.amount_minor == 1234
    assert outcome.currency == 978
    assert outcome.reference == "intent-1"
    assert outcome.masked_pan == "************4242"
    assert (outcome.card_type, outcome.card_name) == (10, "VISA")
    assert [(e.status, e.amount_minor, e.receipt_no) for e in ledger] == [
        ("approved", 1234, outcome.receipt_no)
    ]
    assert outcome.trace == ledger[0].trace
    assert outcome.merchant_receipt is not None
    assert outcome.customer_receipt is not None
    assert "CUSTOMER RECEIPT" in outcome.customer_receipt.text
    assert "Amount 12.34" in outcome.customer_receipt.text
    assert "MERCHANT RECEIPT" in outcome.merchant_receipt.text


def test_slow_pin_entry_reports_each_intermediate_status_in_order(
    kind: str, tmp_path: Path
) -> None:
    seen: list[IntermediateUpdate] = []
    with session(kind, tmp_path, "slow-pin") as (_, terminal):
        approved(terminal.authorize(500, on_status=seen.append))
    texts = [u.text for u in seen]
    assert texts[:2] == ["insert card", "PT has detected customer card insertion"]
    assert texts.count("please watch PIN-pad") == 4
    assert texts[-3:] == [
        "please wait",
        "PT is waiting for response from FEP",
        "please remove card",
    ]


@pytest.mark.parametrize(
    ("scenario", "code", "text"),
    [
        ("decline", 0x05, "declined by the authorisation system (host code 05)"),
        ("decline:71", 0x71, "credit not sufficient (chip-card)"),
        ("decline:78", 0x78, "card expired"),
    ],
)
def test_declined_payment_names_the_result_code_and_charges_nothing(
    kind: str, tmp_path: Path, scenario: str, code: int, text: str
) -> None:
    with session(kind, tmp_path, scenario) as (sim, terminal):
        outcome = terminal.authorize(999, reference="intent-2")
        charged = sim.ledger.charged()
    assert isinstance(outcome, Declined)
    assert (outcome.result_code, outcome.text, outcome.refused_command) == (code, text, False)
    assert outcome.receipts
    assert "DECLINED" in outcome.receipts[-1].text
    assert charged == {}


def test_shopper_abort_on_the_terminal_is_aborted_and_charges_nothing(
    kind: str, tmp_path: Path
) -> None:
    with session(kind, tmp_path, "shopper-abort") as (sim, terminal):
        outcome = terminal.authorize(700, reference="intent-3")
        rows = sim.ledger.by_reference("intent-3")
    assert isinstance(outcome, Aborted)
    assert (outcome.result_code, outcome.text) == (0x6C, "abort via timeout or abort-key")
    assert [r.status for r in rows] == ["aborted"]


def test_ecr_abort_during_pin_entry_stops_the_payment(kind: str, tmp_path: Path) -> None:
    with session(kind, tmp_path, "slow-pin") as (sim, terminal):

        def stop_at_pin(update: IntermediateUpdate) -> None:
            if update.code == 0x01:  # "please watch PIN-pad": the shopper walks away
                terminal.abort()  # from the payment thread itself: still just a request

        outcome = terminal.authorize(800, reference="intent-4", on_status=stop_at_pin)
        charged = sim.ledger.charged()
        commands = list(sim.commands)
    assert isinstance(outcome, Aborted)
    assert outcome.result_code == 0x6C
    assert charged == {}
    assert msg.ABORT_COMMAND not in commands  # consumed inside the transaction, not a command


def test_abort_after_the_host_approved_does_not_undo_the_charge(kind: str, tmp_path: Path) -> None:
    with session(kind, tmp_path, "slow-print") as (sim, terminal):

        def stop_late(update: IntermediateUpdate) -> None:
            if update.code == 0x0B:  # "please remove card": the host has approved
                terminal.abort()

        outcome = approved(terminal.authorize(900, reference="intent-5", on_status=stop_late))
        charged = sim.ledger.charged()
    assert charged == {"intent-5": 900}
    assert outcome.customer_receipt is not None


# --- faults: lost link, reboot, garbled frames, slow and silent terminals ---------------------


def test_link_dropped_after_charge_is_unknown_and_repeat_receipt_finds_the_charge(
    kind: str, tmp_path: Path
) -> None:
    with session(kind, tmp_path, "drop-after-charge") as (sim, terminal):
        outcome = terminal.authorize(1500, reference="intent-6")
        charged = sim.ledger.charged()
        last = approved(terminal.repeat_receipt())
    assert isinstance(outcome, Unknown)
    assert "link lost" in outcome.reason
    assert charged == {"intent-6": 1500}
    assert (last.reference, last.amount_minor, last.original_trace) == ("intent-6", 1500, None)
    assert last.customer_receipt is not None
    assert "DUPLICATE" in last.customer_receipt.text


def test_link_dropped_before_completion_is_unknown_with_the_approval_as_evidence(
    kind: str, tmp_path: Path
) -> None:
    with session(kind, tmp_path, "drop-before-completion") as (sim, terminal):
        outcome = terminal.authorize(1600, reference="intent-7")
        last = approved(terminal.repeat_receipt())
        charged = sim.ledger.charged()
    assert isinstance(outcome, Unknown)
    assert outcome.info is not None
    assert outcome.info.result_code == 0
    assert outcome.info.receipt_no == last.receipt_no
    assert last.reference == "intent-7"
    assert charged == {"intent-7": 1600}


def test_terminal_reboot_mid_transaction_is_unknown_and_charges_nothing(
    kind: str, tmp_path: Path
) -> None:
    with session(kind, tmp_path, "approve", "reboot") as (sim, terminal):
        first = approved(terminal.authorize(100, reference="intent-8"))
        outcome = terminal.authorize(200, reference="intent-9")
        last = approved(terminal.repeat_receipt())
        rows = sim.ledger.by_reference("intent-9")
    assert isinstance(outcome, Unknown)
    assert rows == []
    # The terminal's last transaction is the earlier one: intent-9 never reached the host.
    assert (last.reference, last.receipt_no) == ("intent-8", first.receipt_no)


def test_garbled_frame_is_survived_and_the_payment_approved(kind: str, tmp_path: Path) -> None:
    with session(kind, tmp_path, "garbled") as (_, terminal):
        approved(terminal.authorize(300))
        health = terminal.health()
    if kind == "pty":
        assert health.bad_frames == 1  # CRC error, NAK, frame sent again
    else:
        assert health.garbled_messages == 1  # an unreadable intermediate status, skipped


def test_garbled_status_information_is_resent_on_serial_and_unknown_on_tcp(
    kind: str, tmp_path: Path
) -> None:
    with session(kind, tmp_path, "garbled-status") as (sim, terminal):
        outcome = terminal.authorize(400, reference="intent-10")
        last = approved(terminal.repeat_receipt())
        charged = sim.ledger.charged()
    if kind == "pty":
        assert approved(outcome).receipt_no == last.receipt_no
    else:
        assert isinstance(outcome, Unknown)
        assert "could not be decoded" in outcome.reason
    assert last.reference == "intent-10"
    assert charged == {"intent-10": 400}


def test_slow_printing_still_collects_both_receipts(kind: str, tmp_path: Path) -> None:
    with session(kind, tmp_path, "slow-print", sim={"print_delay_s": 0.03}) as (_, terminal):
        outcome = approved(terminal.authorize(250))
    assert [r.kind for r in outcome.receipts] == ["merchant", "customer"]
    assert all(len(r.lines) == 8 for r in outcome.receipts)


def test_silent_terminal_times_out_to_unknown_after_sending_abort(
    kind: str, tmp_path: Path
) -> None:
    sent: list[bytes] = []
    short = ZvtTimeouts(ack_s=2.0, completion_s=0.3, abort_grace_s=0.3)

    def tap(direction: str, apdu: bytes) -> None:
        if direction == "out":
            sent.append(apdu)

    with session(kind, tmp_path, "silent", sim={"silent_s": 1.0}, timeouts=short, tap=tap) as (
        sim,
        terminal,
    ):
        outcome = terminal.authorize(600, reference="intent-11")
        charged = sim.ledger.charged()
    assert isinstance(outcome, Unknown)
    assert "silent" in outcome.reason
    assert msg.abort_command() in sent
    assert charged == {}


# --- reversal, end-of-day, registration, status ----------------------------------------------


def test_reversal_reverses_a_payment_once(kind: str, tmp_path: Path) -> None:
    with session(kind, tmp_path) as (sim, terminal):
        paid = approved(terminal.authorize(1234, reference="intent-12"))
        assert paid.receipt_no is not None
        reversal = approved(terminal.reverse(paid.receipt_no))
        again = terminal.reverse(paid.receipt_no)
        charged = sim.ledger.charged()
        last = approved(terminal.repeat_receipt())
    assert (reversal.amount_minor, reversal.original_trace) == (1234, paid.trace)
    assert reversal.receipt_no != paid.receipt_no
    assert isinstance(again, Declined)
    assert (again.result_code, again.text) == (0xB4, "already reversed")
    assert charged == {}
    assert last.original_trace == paid.trace  # the last transaction is the reversal


def test_reversal_of_an_unknown_receipt_is_declined(kind: str, tmp_path: Path) -> None:
    with session(kind, tmp_path) as (_, terminal):
        outcome = terminal.reverse(4321)
    assert isinstance(outcome, Declined)
    assert (outcome.result_code, outcome.text) == (0xB5, "reversal not possible")


def test_end_of_day_settles_and_reports_totals(kind: str, tmp_path: Path) -> None:
    with session(kind, tmp_path, "approve", "decline", "approve") as (_, terminal):
        for amount in (1000, 2000, 300):
            terminal.authorize(amount)
        day = terminal.end_of_day()
        empty = terminal.end_of_day()
    assert isinstance(day, EndOfDay)
    assert day.total_minor == 1300
    assert day.totals is not None
    assert [(c.card, c.count, c.amount_minor) for c in day.totals.cards if c.count] == [
        ("VISA", 2, 1300)
    ]
    assert day.receipts
    assert day.receipts[0].kind == "administration"
    assert isinstance(empty, EndOfDay)
    assert empty.total_minor == 0


def test_registration_and_status_enquiry(kind: str, tmp_path: Path) -> None:
    with session(kind, tmp_path) as (_, terminal):
        registration = terminal.register()
        status = terminal.status()
        terminal.log_off()
        idle_abort = terminal.abort()
    assert (registration.terminal_id, registration.currency) == ("52001233", 978)
    assert status.ready
    assert status.software_version == "KIOSK-ZVT-SIM 1.0"
    assert idle_abort


def test_payment_in_a_currency_the_terminal_is_not_registered_for_is_refused(
    kind: str, tmp_path: Path
) -> None:
    with make_sim(kind, tmp_path / "ledger.sqlite") as sim:  # one ECR at a time on a port
        with ZvtTerminal(sim.url, currency=978, timeouts=TIMEOUTS) as euro:
            euro.register()
        with ZvtTerminal(sim.url, currency=156, timeouts=TIMEOUTS) as yuan:
            outcome = yuan.authorize(100)
        charged = sim.ledger.entries()
    assert isinstance(outcome, Declined)
    assert (outcome.result_code, outcome.refused_command) == (0x6F, True)
    assert charged == []


def test_print_text_blocks_become_typed_receipts(kind: str, tmp_path: Path) -> None:
    with session(kind, tmp_path, sim={"print_mode": "blocks"}) as (_, terminal):
        outcome = approved(terminal.authorize(42))
    assert [r.kind for r in outcome.receipts] == ["merchant", "customer"]


# --- what must never happen -----------------------------------------------------------------


def test_second_command_while_one_runs_is_refused_as_busy(tmp_path: Path) -> None:
    with session("tcp", tmp_path, "slow-pin") as (_, terminal):
        started = threading.Event()
        results: list[TransactionOutcome] = []
        worker = threading.Thread(
            target=lambda: results.append(
                terminal.authorize(100, on_status=lambda _: started.set())
            )
        )
        worker.start()
        assert started.wait(5)
        with pytest.raises(ZvtBusy):
            terminal.authorize(100)
        worker.join()
    approved(results[0])


def test_unreachable_terminal_raises_unavailable_before_sending(tmp_path: Path) -> None:
    link = TcpLink()
    url = link.url
    link.close()
    with pytest.raises(ZvtUnavailable):
        ZvtTerminal(url, reconnect=False)
    with (
        ZvtTerminal(url, timeouts=ZvtTimeouts(ack_s=0.3)) as terminal,
        pytest.raises(ZvtUnavailable, match="nothing was sent"),
    ):
        terminal.authorize(100)


def test_terminal_that_never_acknowledges_gives_unknown(tmp_path: Path) -> None:
    link = TcpLink()  # accepts the connection, answers nothing
    try:
        with ZvtTerminal(link.url, timeouts=ZvtTimeouts(ack_s=0.3)) as terminal:
            outcome = terminal.authorize(100)
    finally:
        link.close()
    assert isinstance(outcome, Unknown)
    assert "no acknowledgement within T3" in outcome.reason


def test_clear_card_number_from_a_terminal_is_masked_and_never_logged(
    kind: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    card = SimCard(masked_pan="4111111111111111")  # a terminal that sends the PAN in clear
    caplog.set_level(logging.DEBUG)
    with session(kind, tmp_path, sim={"card": card}) as (_, terminal):
        outcome = approved(terminal.authorize(100))
        last = approved(terminal.repeat_receipt())
    assert outcome.masked_pan == last.masked_pan == "************1111"
    assert "411111" not in repr(outcome) + repr(last)
    records = caplog.records
    assert records
    assert all("411111" not in (r.getMessage() + repr(r.__dict__)) for r in records)


def test_ledger_outlives_the_simulator(kind: str, tmp_path: Path) -> None:
    with session(kind, tmp_path) as (_, terminal):
        paid = approved(terminal.authorize(555, reference="intent-13"))
    with session(kind, tmp_path) as (sim, terminal):
        last = approved(terminal.repeat_receipt())
        again = approved(terminal.authorize(1, reference="intent-14"))
        charged = sim.ledger.charged()
    assert (last.reference, last.receipt_no) == ("intent-13", paid.receipt_no)
    assert again.receipt_no == (paid.receipt_no or 0) + 1
    assert charged == {"intent-13": 555, "intent-14": 1}


# --- the outcome rules on their own ------------------------------------------------------------


def _exchange(**fields: Any) -> Exchange:
    ex = Exchange(ReceiptCollector(("merchant", "customer")))
    for key, value in fields.items():
        setattr(ex, key, value)
    return ex


def test_completion_without_status_information_is_unknown() -> None:
    outcome = transaction_outcome(_exchange(completion=msg.Completion()), 100, 978)
    assert isinstance(outcome, Unknown)


def test_abort_after_an_approving_status_is_unknown_not_declined() -> None:
    ex = _exchange(infos=[msg.StatusInformation(result_code=0)], abort=msg.Abort(0x66))
    outcome = transaction_outcome(ex, 100, 978)
    assert isinstance(outcome, Unknown)
    assert "after reporting approval" in outcome.reason


def test_approving_status_without_completion_is_unknown() -> None:
    ex = _exchange(infos=[msg.StatusInformation(result_code=0)], failure="link lost")
    assert isinstance(transaction_outcome(ex, 100, 978), Unknown)


def test_approval_needs_status_zero_and_completion() -> None:
    ex = _exchange(
        infos=[msg.StatusInformation(result_code=0, amount_minor=100, receipt_no=7)],
        completion=msg.Completion(),
    )
    outcome = approved(transaction_outcome(ex, 100, 978))
    assert outcome.receipt_no == 7


# --- a terminal that says odd things (scripted byte by byte) ----------------------------------


class ScriptedTerminal:
    """Answers one command with a fixed list of APDUs, waiting for the ECR's answer to each
    (a number in the list is a pause in seconds)."""

    def __init__(self, script: list[bytes | float]) -> None:
        self.link = TcpLink()
        self.script = script
        self.answers: list[bytes] = []
        self._thread = threading.Thread(target=self._serve, name="scripted-zvt")
        self._thread.start()

    def _read_apdu(self, splitter: ApduSplitter, timeout_s: float) -> bytes | None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            out = splitter.feed(self.link.read(4096, 0.05))
            if out:
                return out[0]
        return None

    def _serve(self) -> None:
        splitter = ApduSplitter()
        if self._read_apdu(splitter, 10) is None:
            return
        for apdu in self.script:
            if isinstance(apdu, float):
                time.sleep(apdu)
                continue
            self.link.write(apdu)
            if apdu[0] in (msg.CCRC_POSITIVE, msg.CCRC_NEGATIVE):
                continue
            answer = self._read_apdu(splitter, 5)
            if answer is None:
                return
            self.answers.append(answer)

    def close(self) -> None:
        self._thread.join(timeout=20)
        self.link.close()


def _status(result_code: int, amount: int = 100) -> bytes:
    return msg.status_information(
        [Bmp(0x27, bytes((result_code,))), Bmp(0x04, codec.encode_bcd(amount, 6))]
    )


def test_unreadable_completion_still_completes_an_approved_payment() -> None:
    garbled_completion = codec.encode_apdu(0x06, 0x0F, b"\xfd\x01")  # BMP FD: none such
    terminal = ScriptedTerminal([msg.ACK, _status(0), garbled_completion])
    try:
        with ZvtTerminal(terminal.link.url, timeouts=TIMEOUTS) as ecr:
            outcome = approved(ecr.authorize(100))
            garbled = ecr.health().garbled_messages
    finally:
        terminal.close()
    assert outcome.amount_minor == 100
    assert garbled == 1
    assert terminal.answers == [msg.ACK, msg.ACK]


def test_terminal_command_the_ecr_does_not_handle_is_refused_and_the_payment_goes_on() -> None:
    set_date = codec.encode_apdu(0x04, 0x01, bytes.fromhex("AA 240101 0C 120000"))
    terminal = ScriptedTerminal([msg.ACK, set_date, _status(0), msg.completion()])
    try:
        with ZvtTerminal(terminal.link.url, timeouts=TIMEOUTS) as ecr:
            approved(ecr.authorize(100))
    finally:
        terminal.close()
    assert terminal.answers == [msg.NACK_NOT_SUPPORTED, msg.ACK, msg.ACK]


def test_terminal_refusing_the_command_is_declined_without_a_transaction() -> None:
    terminal = ScriptedTerminal([msg.negative_ack(0x6B)])  # "PT not registered"
    try:
        with ZvtTerminal(terminal.link.url, timeouts=TIMEOUTS) as ecr:
            outcome = ecr.authorize(100)
    finally:
        terminal.close()
    assert isinstance(outcome, Declined)
    assert (outcome.result_code, outcome.refused_command) == (0x6B, True)
    assert outcome.text == "function deactivated (PT not registered)"


def test_intermediate_status_timeout_extends_the_wait_beyond_t4() -> None:
    announce = msg.intermediate_status(0x0E, timeout_s=3)  # "please wait, up to 3 s"
    terminal = ScriptedTerminal([msg.ACK, announce, 0.8, _status(0), msg.completion()])
    short = ZvtTimeouts(ack_s=2.0, completion_s=0.2, abort_grace_s=0.2)
    try:
        with ZvtTerminal(terminal.link.url, timeouts=short) as ecr:
            seen: list[IntermediateUpdate] = []
            outcome = ecr.authorize(100, on_status=seen.append)
    finally:
        terminal.close()
    approved(outcome)  # 0.8 s of silence is past T4 here, but within the announced 3 s
    assert [(u.code, u.timeout_s, u.text) for u in seen] == [(0x0E, 3, "please wait")]
    assert msg.abort_command() not in terminal.answers


def test_repeat_receipt_of_a_declined_payment_names_its_reference(
    kind: str, tmp_path: Path
) -> None:
    with session(kind, tmp_path, "decline:71") as (_, terminal):
        terminal.authorize(100, reference="intent-15")
        last = terminal.repeat_receipt()
    assert isinstance(last, Declined)
    assert (last.result_code, last.reference) == (0x71, "intent-15")


def test_repeat_receipt_refused_by_a_busy_terminal_is_unknown_not_declined() -> None:
    terminal = ScriptedTerminal([msg.NACK_NOT_SUPPORTED])
    try:
        with ZvtTerminal(terminal.link.url, timeouts=TIMEOUTS) as ecr:
            last = ecr.repeat_receipt()
    finally:
        terminal.close()
    assert isinstance(last, Unknown)
    assert "refused the repeat receipt: 84 83" in last.reason
