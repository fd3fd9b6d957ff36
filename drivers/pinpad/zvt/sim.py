"""A ZVT payment terminal simulator on a TCP port or a pty (SPEC section 4, "Card pinpad").

It speaks the bytes a terminal speaks (raw APDUs on TCP, DLE STX framing with CRC and
ACK/NAK on a pty, through the same `ZvtChannel` the driver uses), records everything
it charges in a `SimLedger` before telling the ECR, and plays scripted scenarios:

  approve                 insert card, PIN, host, approved, receipts, 06 0F
  decline[:CODE]          status with result CODE (hex, default 05 = host decline), 06 1E
  shopper-abort           "insert card", then the shopper presses stop: 06 1E 6C
  slow-pin                many intermediate statuses over several seconds, then approve
  drop-after-charge       charged, then the link drops before the status information
  drop-before-completion  charged, status sent and acknowledged, link drops before 06 0F
  reboot                  the terminal restarts mid-transaction: link down, nothing charged
  garbled                 a frame spoiled on the wire (pty: bad CRC, resent after NAK;
                          tcp: an unreadable intermediate status), then approve
  garbled-status          the status information itself spoiled (pty: bad CRC and resend;
                          tcp: unreadable, so the ECR must resolve the outcome)
  slow-print              approve, with a pause between receipt lines
  silent                  acknowledges the command, then says nothing for `silent_s`

Each authorisation (06 01) and each refund (06 31) takes the next queued scenario
(`queue()`), else the default; a refund plays the same steps and is recorded in the
ledger as kind "refund" under its reference. 06 20 repeat receipt replays the last
transaction from the ledger (payment, refund or reversal), so the ECR can learn the
outcome after a lost link; 05 01 status enquiry answers "ready"; 06 30 reverses a
receipt number; 06 50 settles and reports totals.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from pathlib import Path
from typing import Literal

from drivers.errors import TransportIOError
from drivers.pinpad.zvt import codec
from drivers.pinpad.zvt import messages as msg
from drivers.pinpad.zvt.channel import LinkTimeouts, ZvtChannel
from drivers.pinpad.zvt.codec import Apdu, Bmp
from drivers.pinpad.zvt.codes import (
    RESULT_ALREADY_REVERSED,
    RESULT_FUNCTION_NOT_POSSIBLE,
    RESULT_PROTOCOL_ERROR,
    RESULT_REVERSAL_NOT_POSSIBLE,
    RESULT_WRONG_CURRENCY,
    STATUS_PLEASE_WAIT,
)
from drivers.pinpad.zvt.errors import ZvtCodecError, ZvtLinkError
from drivers.pinpad.zvt.sim_ledger import LedgerEntry, SimLedger
from drivers.pinpad.zvt.sim_scenarios import (
    Scenario,
    SimCard,
    TransactionKind,
    parse_scenario,
    play_authorisation,
)
from drivers.simlink import LinkSimulator, PtyLink, TcpLink

log = logging.getLogger(__name__)


class _Stop(Exception):
    """The simulator is stopping: unwind the running command."""


class _EcrGone(Exception):
    """The ECR did not acknowledge in time: end the command as a terminal would."""


class _NewCommand(Exception):
    """The ECR sent a new command instead of acknowledging: it has left the old exchange
    (e.g. it reconnected), so the terminal drops that one and serves the new command."""

    def __init__(self, raw: bytes) -> None:
        super().__init__("new command from the ECR")
        self.raw = raw


class _LinkPipe:
    """A simulator link as a `BytePipe`: a write on an unplugged link raises."""

    def __init__(self, link: PtyLink | TcpLink) -> None:
        self._link = link

    def read(self, max_bytes: int, timeout: float) -> bytes:
        return self._link.read(max_bytes, timeout)

    def write(self, data: bytes) -> None:
        if not self._link.write(data):
            raise TransportIOError(f"{self._link.url}: no ECR connected")


def _money(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d}"


class ZvtSimulator(LinkSimulator):
    """The terminal behind a `PtyLink` (serial framing) or `TcpLink` (raw APDUs)."""

    kind = "zvt"
    join_timeout_s = 10.0

    def __init__(
        self,
        link: PtyLink | TcpLink,
        *,
        ledger: SimLedger | Path | str | None = None,
        scenarios: tuple[str, ...] = (),
        default: str = "approve",
        terminal_id: str = "52001233",
        card: SimCard | None = None,
        step_s: float = 0.05,
        print_delay_s: float | None = None,
        down_s: float = 0.5,
        silent_s: float = 30.0,
        ecr_ack_s: float = 5.0,
        print_mode: Literal["lines", "blocks"] = "lines",
        software_version: str = "KIOSK-ZVT-SIM 1.0",
        link_timeouts: LinkTimeouts | None = None,
    ) -> None:
        super().__init__(link)
        self.serial = isinstance(link, PtyLink)
        self.ledger = ledger if isinstance(ledger, SimLedger) else SimLedger(ledger)
        self._own_ledger = not isinstance(ledger, SimLedger)
        self._default = parse_scenario(default)
        self._queue: collections.deque[Scenario] = collections.deque(
            parse_scenario(s) for s in scenarios
        )
        self.terminal_id = terminal_id
        self.card = card or SimCard()
        self.step_s = step_s
        self.print_delay_s = 4 * step_s if print_delay_s is None else print_delay_s
        self.down_s = down_s
        self.silent_s = silent_s
        self.ecr_ack_s = ecr_ack_s
        self.print_mode = print_mode
        self.software_version = software_version
        self.currency: int | None = None  # set by registration
        self._channel = ZvtChannel(
            _LinkPipe(link), serial=self.serial, name=f"sim {link.url}", timeouts=link_timeouts
        )
        self._lock = threading.Lock()
        self.commands: list[int] = []  # control fields received, in order
        self.abort_requested = False
        self.charged = False

    def queue(self, *scenarios: str) -> None:
        """The next authorisations and refunds play these scenarios, in order."""
        parsed = [parse_scenario(s) for s in scenarios]
        with self._lock:
            self._queue.extend(parsed)

    def _next_scenario(self) -> Scenario:
        with self._lock:
            return self._queue.popleft() if self._queue else self._default

    # --- lifecycle -------------------------------------------------------------------
    def _close(self) -> None:
        super()._close()
        if self._own_ledger:
            self.ledger.close()

    def unplug(self) -> None:
        self.link.unplug()

    def plug(self) -> None:
        self.link.plug()

    def _run(self) -> None:
        pending: bytes | None = None
        while not self._stop.is_set():
            try:
                raw, pending = pending or self._channel.receive(0.05), None
                if raw is None:
                    continue
                self._dispatch(raw)
            except _NewCommand as new:
                pending = new.raw
            except _Stop:
                return
            except (_EcrGone, ZvtLinkError) as exc:
                log.info("zvt-sim command ended", extra={"url": self.url, "reason": str(exc)})
                self._channel.reset()
            except Exception:  # keep serving: a simulator bug must show, not hang tests
                log.exception("zvt-sim failed", extra={"url": self.url})
                self._channel.reset()

    # --- wire helpers ------------------------------------------------------------------

    def _send(self, apdu: bytes, *, corrupt: bool = False) -> None:
        self._channel.send(apdu, corrupt_first=corrupt)

    def _on_ecr_abort(self) -> None:
        """06 B0 from the ECR: possible until the host has approved."""
        if self.charged:
            self._send(msg.NACK_NOT_SUPPORTED)
        else:
            self.abort_requested = True
            self._send(msg.ACK)

    def tell(self, apdu: bytes, *, corrupt: bool = False) -> None:
        """Send a message to the ECR and wait for its 80 00 00 (T3), as a terminal does."""
        self._send(apdu, corrupt=corrupt)
        deadline = time.monotonic() + self.ecr_ack_s
        while time.monotonic() < deadline:
            if self._stop.is_set():
                raise _Stop
            raw = self._channel.receive(0.05)
            if raw is None:
                continue
            if raw[0] in (msg.CCRC_POSITIVE, msg.CCRC_NEGATIVE):
                return
            if raw[:2] != b"\x06\xb0":
                raise _NewCommand(raw)
            self._on_ecr_abort()
        raise _EcrGone(f"no 80 00 00 within {self.ecr_ack_s:g} s")

    def pause(self, seconds: float) -> None:
        """Wait (the shopper, the host), still answering an ECR abort."""
        deadline = time.monotonic() + seconds
        while True:
            if self._stop.is_set():
                raise _Stop
            left = deadline - time.monotonic()
            if left <= 0:
                return
            raw = self._channel.receive(min(left, 0.05))
            if raw is None or raw[0] in (msg.CCRC_POSITIVE, msg.CCRC_NEGATIVE):
                continue
            if raw[:2] == b"\x06\xb0":
                self._on_ecr_abort()
            else:  # busy with a transaction: no other command now
                self._send(msg.NACK_NOT_SUPPORTED)

    def ignore(self, seconds: float) -> None:
        """A hung terminal: bytes arrive (the UART still ACKs frames), nothing answers."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if self._stop.is_set():
                raise _Stop
            self._channel.receive(min(left, 0.05))

    def go_down(self) -> None:
        """The cable pulled or the terminal restarting: no link for `down_s`."""
        self.link.unplug()
        self._stop.wait(self.down_s)
        self._channel.reset()
        if not self._stop.is_set():
            self.link.plug()
        raise _EcrGone("link dropped by the scenario")

    # --- commands --------------------------------------------------------------------

    def _dispatch(self, raw: bytes) -> None:
        try:
            apdu = codec.decode_apdu(raw)
        except ZvtCodecError:
            self._send(msg.negative_ack(RESULT_PROTOCOL_ERROR))
            return
        if apdu.cls in (msg.CCRC_POSITIVE, msg.CCRC_NEGATIVE):
            return  # a late acknowledgement: nothing to do
        with self._lock:
            self.commands.append(apdu.control)
        handlers = {
            msg.REGISTRATION: self._registration,
            msg.AUTHORIZATION: self._authorization,
            msg.REFUND: self._refund,
            msg.REVERSAL: self._reversal,
            msg.END_OF_DAY: self._end_of_day,
            msg.STATUS_ENQUIRY: self._status_enquiry,
            msg.REPEAT_RECEIPT: self._repeat_receipt,
        }
        handler = handlers.get(apdu.control)
        if handler is not None:
            handler(apdu)
        elif apdu.control in (msg.LOG_OFF, msg.ABORT_COMMAND):
            self._send(msg.ACK)
        else:
            self._send(msg.NACK_NOT_SUPPORTED)

    def _registration(self, apdu: Apdu) -> None:
        try:
            if len(apdu.data) < 6:
                raise ZvtCodecError("registration shorter than password, config and currency")
            currency = codec.decode_bcd(apdu.data[4:6])
        except ZvtCodecError:
            self._send(msg.negative_ack(RESULT_PROTOCOL_ERROR))
            return
        self.currency = currency
        self._send(msg.ACK)
        self.tell(
            msg.completion(
                [
                    Bmp(0x19, b"\x00"),
                    Bmp(0x29, bytes.fromhex(self.terminal_id)),
                    Bmp(0x49, codec.encode_currency(self.currency)),
                ]
            )
        )

    def _status_enquiry(self, apdu: Apdu) -> None:
        self._send(msg.ACK)
        self.tell(msg.status_enquiry_completion(self.software_version, 0x00))

    def _authorization(self, apdu: Apdu) -> None:
        try:
            bmps = codec.decode_bmps(apdu.data)
            amount = codec.decode_bcd(codec.bmp_value(bmps, 0x04) or b"")
            currency_bcd = codec.bmp_value(bmps, 0x49)
            currency = codec.decode_bcd(currency_bcd) if currency_bcd else self.currency or 978
            ref = codec.bmp_value(bmps, 0x3C)
        except ZvtCodecError:
            self._send(msg.negative_ack(RESULT_PROTOCOL_ERROR))
            return
        reference = None if ref is None else ref.decode("ascii", errors="replace")
        self._transaction("payment", amount, currency, reference)

    def _refund(self, apdu: Apdu) -> None:
        """06 31 (PA00P015 "Refund"): password, 04 amount [49 currency] [3C reference]."""
        try:
            command = msg.parse_refund(apdu.data)
        except ZvtCodecError:
            self._send(msg.negative_ack(RESULT_PROTOCOL_ERROR))
            return
        currency = command.currency or self.currency or 978
        self._transaction("refund", command.amount_minor, currency, command.reference)

    def _transaction(
        self, kind: TransactionKind, amount: int, currency: int, reference: str | None
    ) -> None:
        """Check, acknowledge and play one payment or refund through the next scenario."""
        if amount <= 0:
            self._send(msg.negative_ack(RESULT_PROTOCOL_ERROR))
            return
        if self.currency is not None and currency != self.currency:
            self._send(msg.negative_ack(RESULT_WRONG_CURRENCY))
            return
        scenario = self._next_scenario()
        self.abort_requested = self.charged = False
        self._send(msg.ACK)
        play_authorisation(self, scenario, amount, currency, reference, kind=kind)

    def _reversal(self, apdu: Apdu) -> None:
        try:
            receipt = codec.bmp_value(codec.decode_bmps(apdu.data, 3), 0x87)
            receipt_no = codec.decode_bcd(receipt or b"")
        except ZvtCodecError:
            self._send(msg.negative_ack(RESULT_PROTOCOL_ERROR))
            return
        self._send(msg.ACK)
        original = self.ledger.by_receipt(receipt_no) if receipt else None
        if original is None or original.status != "approved" or original.settled:
            already = original is not None and original.status == "reversed"
            code = RESULT_ALREADY_REVERSED if already else RESULT_REVERSAL_NOT_POSSIBLE
            self.tell(msg.abort(code))
            return
        self.tell(msg.intermediate_status(STATUS_PLEASE_WAIT))
        entry = self.ledger.record_reversal(original)
        self.tell(msg.status_information(self.status_bmps(entry)))
        self.print_receipts(entry, "REVERSAL / STORNO")
        self.tell(msg.completion())

    def _end_of_day(self, apdu: Apdu) -> None:
        self._send(msg.ACK)
        self.tell(msg.intermediate_status(STATUS_PLEASE_WAIT))
        settled = self.ledger.settle()
        total = sum(e.amount_minor for e in settled)
        currency = self.currency or (settled[0].currency if settled else 978)
        entry = self.ledger.record(
            kind="end-of-day", amount_minor=total, currency=currency, status="approved",
            result_code=0,
        )  # fmt: skip
        totals = msg.Totals(
            settled[0].receipt_no if settled else 0,
            settled[-1].receipt_no if settled else 0,
            (msg.CardTotal("VISA", len(settled), total),),
        )
        bmps = [
            Bmp(0x27, b"\x00"),
            Bmp(0x04, codec.encode_bcd(total, 6)),
            Bmp(0x49, codec.encode_currency(currency)),
            Bmp(0x0B, codec.encode_bcd(entry.trace, 3)),
            *self._clock_bmps(entry.at),
            Bmp(0x60, msg.encode_totals(totals)),  # Wireshark stops at BMP 60: keep it last
        ]
        self.tell(msg.status_information(bmps))
        lines = (
            "KIOSK ZVT SIMULATOR",
            "END OF DAY / KASSENSCHNITT",
            f"Terminal-ID {self.terminal_id}",
            f"Transactions {len(settled)}",
            f"Total {_money(total)}",
        )
        self.print_lines(lines, msg.RECEIPT_ADMINISTRATION)
        self.tell(msg.completion())

    def _repeat_receipt(self, apdu: Apdu) -> None:
        self._send(msg.ACK)
        last = self.ledger.last()
        if last is None:
            self.tell(msg.abort(RESULT_FUNCTION_NOT_POSSIBLE))
            return
        self.tell(msg.status_information(self.status_bmps(last)))
        self.print_receipts(last, "DUPLICATE")
        self.tell(msg.completion())

    # --- status information and receipts ------------------------------------------------

    @staticmethod
    def _clock_bmps(at: float) -> list[Bmp]:
        t = time.localtime(at)
        return [
            Bmp(0x0C, bytes.fromhex(f"{t.tm_hour:02d}{t.tm_min:02d}{t.tm_sec:02d}")),
            Bmp(0x0D, bytes.fromhex(f"{t.tm_mon:02d}{t.tm_mday:02d}")),
        ]

    def status_bmps(self, entry: LedgerEntry) -> list[Bmp]:
        """The 04 0F of a ledger entry; BMPs Wireshark knows first (it stops at others)."""
        bmps = [
            Bmp(0x27, bytes((entry.result_code,))),
            Bmp(0x04, codec.encode_bcd(entry.amount_minor, 6)),
            Bmp(0x49, codec.encode_currency(entry.currency)),
            Bmp(0x0B, codec.encode_bcd(entry.trace, 3)),
            *self._clock_bmps(entry.at),
            Bmp(0x87, codec.encode_bcd(entry.receipt_no, 2)),
            Bmp(0x29, bytes.fromhex(self.terminal_id)),
        ]
        if entry.masked_pan:
            bmps.append(Bmp(0x22, codec.encode_masked_pan(entry.masked_pan)))
        if entry.card_type is not None:
            bmps += [
                Bmp(0x8A, bytes((entry.card_type,))),
                Bmp(0x8B, self.card.card_name.encode("ascii")),
            ]
        if entry.reference:
            bmps.append(Bmp(0x3C, entry.reference.encode("ascii", errors="replace")))
        if entry.original_trace is not None:
            bmps.append(Bmp(0x37, codec.encode_bcd(entry.original_trace, 3)))
        return bmps

    def receipt_lines(self, entry: LedgerEntry, kind: str, verdict: str) -> tuple[str, ...]:
        t = time.localtime(entry.at)
        return (
            "KIOSK ZVT SIMULATOR",
            f"{kind} RECEIPT",
            f"Terminal-ID {self.terminal_id}",
            f"{t.tm_mday:02d}.{t.tm_mon:02d}. {t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}",
            f"Trace {entry.trace:06d}  Receipt {entry.receipt_no:04d}",
            f"{self.card.card_name} {entry.masked_pan or ''}".rstrip(),
            f"Amount {_money(entry.amount_minor)}",
            verdict,
        )

    def print_receipts(self, entry: LedgerEntry, verdict: str) -> None:
        """Merchant receipt, then customer receipt (the ZVT default order)."""
        self.print_lines(self.receipt_lines(entry, "MERCHANT", verdict), msg.RECEIPT_MERCHANT)
        self.print_lines(self.receipt_lines(entry, "CUSTOMER", verdict), msg.RECEIPT_CUSTOMER)

    def print_lines(self, lines: tuple[str, ...], receipt_type: int, *, slow: bool = False) -> None:
        if self.print_mode == "blocks":
            self.tell(msg.print_text_block(receipt_type, lines))
            return
        for i, line in enumerate(lines):
            if slow:
                self.pause(self.print_delay_s)
            self.tell(msg.print_line(line, last=i == len(lines) - 1))
