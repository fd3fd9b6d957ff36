"""The scripted scenarios of the ZVT simulator's authorisations and refunds (see `sim`).

Each scenario is the sequence a real terminal goes through — intermediate status, the
host's answer, status information, receipts, completion — with one fault injected.
The charge (or refund) is written to the ledger at the moment the host approves, before
the ECR hears of it: exactly the window in which a crash or a lost link leaves the ECR
unsure. A refund (06 31) plays the same steps as a payment: the shopper presents the
card, the host approves the credit; only the ledger kind and the receipt text differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from drivers.pinpad.zvt import codec
from drivers.pinpad.zvt import messages as msg
from drivers.pinpad.zvt.codes import (
    RESULT_ABORTED,
    STATUS_CARD_DETECTED,
    STATUS_INSERT_CARD,
    STATUS_PLEASE_WAIT,
    STATUS_REMOVE_CARD,
    STATUS_WAITING_FOR_HOST,
    STATUS_WATCH_PIN_PAD,
)
from drivers.pinpad.zvt.errors import ZvtError

if TYPE_CHECKING:
    from drivers.pinpad.zvt.sim import ZvtSimulator

SCENARIOS = (
    "approve",
    "decline",
    "shopper-abort",
    "slow-pin",
    "drop-after-charge",
    "drop-before-completion",
    "reboot",
    "garbled",
    "garbled-status",
    "slow-print",
    "silent",
)
DEFAULT_DECLINE_CODE = 0x05
ZVT_PORT = 20007  # the conventional ZVT TCP/IP port


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    code: int = DEFAULT_DECLINE_CODE  # result code for "decline"


def parse_scenario(text: str) -> Scenario:
    """'approve', 'decline', 'decline:71' (hex result code), ..."""
    name, _, arg = text.strip().partition(":")
    if name not in SCENARIOS:
        raise ZvtError(f"unknown pinpad scenario {name!r}; known: {', '.join(SCENARIOS)}")
    if not arg:
        return Scenario(name)
    if name != "decline":
        raise ZvtError(f"scenario {name!r} takes no argument, got {arg!r}")
    try:
        code = int(arg, 16)
    except ValueError:
        raise ZvtError(f"decline code must be hex, e.g. decline:05, got {arg!r}") from None
    if not 0x01 <= code <= 0xFF:
        raise ZvtError(f"decline code must be 01..FF, got {arg!r}")
    return Scenario(name, code)


@dataclass(frozen=True, slots=True)
class SimCard:
    masked_pan: str = "************4242"
    card_type: int = 10  # ZVT card-type id of VISA (Wireshark packet-zvt.c)
    card_name: str = "VISA"


TransactionKind = Literal["payment", "refund"]
_VERDICTS = {
    "payment": ("APPROVED / GENEHMIGT", "DECLINED / ABGELEHNT"),
    "refund": ("REFUND / GUTSCHRIFT", "REFUND DECLINED / GUTSCHRIFT ABGELEHNT"),
}


class _Authorisation:
    """One 06 01 or 06 31 played to its end by a scenario (80 00 00 sent already)."""

    def __init__(
        self,
        sim: ZvtSimulator,
        scenario: Scenario,
        amount: int,
        currency: int,
        ref: str | None,
        *,
        kind: TransactionKind = "payment",
    ) -> None:
        self.sim = sim
        self.scenario = scenario
        self.amount = amount
        self.currency = currency
        self.reference = ref
        self.kind: TransactionKind = kind

    def _step(self, code: int, pause_steps: float = 1.0, *, corrupt: bool = False) -> None:
        sim = self.sim
        if corrupt and not sim.serial:
            # 04 FF whose TLV container claims a length form ZVT does not have (83):
            # framed correctly, unreadable inside.
            sim.tell(codec.encode_apdu(0x04, 0xFF, bytes((code, 0, 0x06, 0x83, 0x24))))
        else:
            sim.tell(msg.intermediate_status(code, 0), corrupt=corrupt)
        sim.pause(sim.step_s * pause_steps)
        if sim.abort_requested:
            self._aborted()

    def _aborted(self) -> None:
        self.sim.ledger.record(
            kind=self.kind, amount_minor=self.amount, currency=self.currency, status="aborted",
            result_code=RESULT_ABORTED, reference=self.reference,
        )  # fmt: skip
        self.sim.tell(msg.abort(RESULT_ABORTED))
        raise _Done

    def run(self) -> None:
        try:
            self._play()
        except _Done:
            return

    def _play(self) -> None:
        sim, name = self.sim, self.scenario.name
        if name == "silent":
            sim.ignore(sim.silent_s)
            return
        self._step(STATUS_INSERT_CARD, corrupt=name == "garbled")
        if name == "shopper-abort":
            self._aborted()
        if name == "slow-pin":
            self._step(STATUS_CARD_DETECTED, 4)
            for _ in range(4):
                self._step(STATUS_WATCH_PIN_PAD, 6)
            self._step(STATUS_PLEASE_WAIT, 4)
        else:
            self._step(STATUS_WATCH_PIN_PAD)
        if name == "reboot":
            sim.go_down()  # the transaction is lost with the terminal's memory: no charge
        self._step(STATUS_WAITING_FOR_HOST)
        card = sim.card
        approved, declined = _VERDICTS[self.kind]
        if name == "decline":
            entry = sim.ledger.record(
                kind=self.kind, amount_minor=self.amount, currency=self.currency,
                status="declined", result_code=self.scenario.code, reference=self.reference,
                masked_pan=card.masked_pan, card_type=card.card_type,
            )  # fmt: skip
            sim.tell(msg.status_information(sim.status_bmps(entry)))
            sim.print_receipts(entry, declined)
            sim.tell(msg.abort(self.scenario.code))
            return
        # The host approved: from here the charge stands, whatever happens to the link.
        entry = sim.ledger.record(
            kind=self.kind, amount_minor=self.amount, currency=self.currency, status="approved",
            result_code=0, reference=self.reference, masked_pan=card.masked_pan,
            card_type=card.card_type,
        )  # fmt: skip
        sim.charged = True
        if name == "drop-after-charge":
            sim.go_down()
        status = msg.status_information(sim.status_bmps(entry))
        if name == "garbled-status" and not sim.serial:
            # A result code, then BMP FD, which ZVT does not define: unreadable after 27.
            status = codec.encode_apdu(0x04, 0x0F, bytes((0x27, 0x00, 0xFD, 0x00)))
        sim.tell(status, corrupt=name == "garbled-status")
        if name == "drop-before-completion":
            sim.go_down()
        sim.tell(msg.intermediate_status(STATUS_REMOVE_CARD))
        slow = name == "slow-print"
        lines = sim.receipt_lines(entry, "MERCHANT", approved)
        sim.print_lines(lines, msg.RECEIPT_MERCHANT, slow=slow)
        lines = sim.receipt_lines(entry, "CUSTOMER", approved)
        sim.print_lines(lines, msg.RECEIPT_CUSTOMER, slow=slow)
        sim.tell(msg.completion())


class _Done(Exception):
    """The authorisation ended early (abort)."""


def play_authorisation(
    sim: ZvtSimulator,
    scenario: Scenario,
    amount: int,
    currency: int,
    reference: str | None,
    *,
    kind: TransactionKind = "payment",
) -> None:
    """Play one authorisation (or, with kind="refund", one refund) through `scenario`."""
    _Authorisation(sim, scenario, amount, currency, reference, kind=kind).run()
