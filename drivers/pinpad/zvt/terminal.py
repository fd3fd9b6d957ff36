"""`ZvtTerminal`: the ECR side of a ZVT card terminal over TCP or serial (SPEC section 4).

Every method runs one ZVT command to its end on the caller's thread (the payment
worker, never the UI thread) and returns a typed outcome; intermediate status texts
("insert card", "please watch PIN-pad") go to an `on_status` callback as they arrive,
so the UI can show them. `abort()` may be called from any other thread while a command
runs: it asks the running command to send 06 B0, and the terminal decides.

Rules that keep a charge from being lost or doubled:

- `authorize` and `refund` raise only when nothing was sent (`ZvtUnavailable`,
  `ZvtBusy`); once the first byte may have left, they return Approved, Declined,
  Aborted or Unknown.
- Approved needs status information with result code 00 *and* the completion 06 0F.
  A lost link, a timeout or an unreadable status is Unknown, never a guess.
- `repeat_receipt()` / `last_transaction()` (06 20) tell the outcome of the terminal's
  last transaction (payment, refund or reversal), so the orchestration can resolve an
  Unknown after the link is back.

Timeouts (`ZvtTimeouts`): T3 = 5 s for the terminal's 80 00 00 / 84 xx to a command
(Portalum.Zvt and ecrterm both use 5 s); then up to T4 = 180 s of silence between
terminal messages (ecrterm's TIMEOUT_T4_DEFAULT, Portalum's CommandCompletionTimeout),
extended by the time-out an intermediate status announces. When T4 runs out the driver
sends 06 B0 and waits `abort_grace_s` for the terminal's 06 1E before giving Unknown.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

from drivers.errors import TransportError
from drivers.pinpad.zvt import messages as msg
from drivers.pinpad.zvt.channel import LinkTimeouts, Tap, ZvtChannel
from drivers.pinpad.zvt.codec import decode_apdu, encode_password
from drivers.pinpad.zvt.codes import result_text, terminal_status_text
from drivers.pinpad.zvt.errors import (
    ZvtBusy,
    ZvtCodecError,
    ZvtError,
    ZvtLinkError,
    ZvtRefused,
    ZvtTimeout,
    ZvtUnavailable,
)
from drivers.pinpad.zvt.exchange import (
    ADMIN_RECEIPTS,
    PAYMENT_RECEIPTS,
    Exchange,
    ReceiptCollector,
    transaction_outcome,
)
from drivers.pinpad.zvt.outcome import (
    Aborted,
    Approved,
    Declined,
    EndOfDay,
    EndOfDayOutcome,
    IntermediateUpdate,
    ReceiptKind,
    Registration,
    TerminalStatus,
    TransactionOutcome,
    Unknown,
    ZvtHealth,
)
from drivers.transport import Transport, open_transport, with_serial_defaults
from drivers.urls import SerialSpec, TcpSpec, parse_transport_url

log = logging.getLogger(__name__)

StatusCallback = Callable[[IntermediateUpdate], None]
POLL_S = 0.05  # how often a running command looks at an abort request


@dataclass(frozen=True, slots=True)
class ZvtTimeouts:
    ack_s: float = 5.0  # T3: the terminal's 80 00 00 / 84 xx to a command
    completion_s: float = 180.0  # T4: silence allowed between terminal messages
    abort_grace_s: float = 5.0  # after our 06 B0 on T4, wait this long for 06 1E
    link: LinkTimeouts = field(default_factory=LinkTimeouts)

    def __post_init__(self) -> None:
        if min(self.ack_s, self.completion_s, self.abort_grace_s) <= 0:
            raise ValueError(f"invalid ZVT timeouts {self}")


def _salvage(raw: bytes) -> msg.Completion | msg.Abort | None:
    """An unreadable 06 0F or 06 1E still ends the command: its control field is what counts
    (the result of a transaction is in the status information, not in these)."""
    if raw[:2] == b"\x06\x0f":
        return msg.Completion()
    data = raw[5:] if raw[2:3] == b"\xff" else raw[3:]
    if raw[:2] == b"\x06\x1e" and data:
        return msg.Abort(data[0])
    return None


class ZvtTerminal:
    """A ZVT payment terminal at `url` (tcp://host:20007, serial:///dev/ttyUSB0, pty://...).

    Serial URLs get 9600 baud and 2 stop bits unless they say otherwise (PROTOCOLS.md:
    "9600 8N2 typical"). `currency` is the ISO 4217 numeric code (978 EUR, 156 CNY).
    `reconnect=False` opens the link once and raises `ZvtUnavailable` if it cannot
    (technician commands); the default keeps reconnecting in the background.
    """

    def __init__(
        self,
        url: str | Transport,
        *,
        password: str | int = "000000",
        currency: int = 978,
        config_byte: int = msg.DEFAULT_CONFIG_BYTE,
        timeouts: ZvtTimeouts | None = None,
        on_status: StatusCallback | None = None,
        reconnect: bool = True,
        serial: bool | None = None,
        charset: str = "cp437",
        tap: Tap | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        encode_password(password)  # a bad password fails here, not mid-payment
        if not 0 < currency <= 999:
            raise ZvtError(f"currency must be an ISO 4217 numeric code (978 = EUR), got {currency}")
        self._password = password
        self.currency = currency
        self._config_byte = config_byte
        self._timeouts = timeouts or ZvtTimeouts()
        self._on_status = on_status
        self._charset = charset
        self._clock = clock
        if isinstance(url, str):
            spec = parse_transport_url(url)
            if isinstance(spec, SerialSpec):
                serial = True
                url = with_serial_defaults(url, baudrate=9600, stopbits=2)
            elif isinstance(spec, TcpSpec):
                serial = False
            else:
                raise ZvtError(f"{url}: a ZVT terminal is reached by tcp:// or serial:// URLs")
            try:
                self._transport = open_transport(url, reconnect=reconnect)
            except TransportError as exc:
                raise ZvtUnavailable(f"cannot open the card terminal at {url}: {exc}") from exc
        else:
            if serial is None:
                raise ZvtError("say serial=True or serial=False for a ready-made transport")
            self._transport = url
        self.url = self._transport.url
        self._channel = ZvtChannel(
            self._transport,
            serial=serial,
            name=self.url,
            timeouts=self._timeouts.link,
            tap=tap,
            clock=clock,
        )
        self._busy = threading.Lock()
        self._abort_requested = threading.Event()
        self._stats_lock = threading.Lock()
        self._commands = 0
        self._garbled = 0
        self._last_error: str | None = None

    # --- lifecycle ------------------------------------------------------------------

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def health(self) -> ZvtHealth:
        transport = self._transport.health()
        with self._stats_lock:
            return ZvtHealth(
                connected=transport.connected,
                busy=self._busy.locked(),
                last_error=self._last_error or transport.last_error,
                commands=self._commands,
                retransmissions=self._channel.counters.retransmissions,
                bad_frames=self._channel.counters.bad_frames,
                garbled_messages=self._garbled,
            )

    # --- commands ---------------------------------------------------------------------

    def register(self) -> Registration:
        """06 00: register this ECR (receipts and intermediate status come to us)."""
        apdu = msg.registration(self._password, self.currency, config_byte=self._config_byte)
        ex = self._run("registration", apdu, ADMIN_RECEIPTS)
        if ex.completion is not None:
            c = ex.completion
            return Registration(c.terminal_id, c.currency, c.status_byte)
        raise self._admin_failure("registration", ex)

    def authorize(
        self,
        amount_minor: int,
        *,
        reference: str | None = None,
        on_status: StatusCallback | None = None,
    ) -> TransactionOutcome:
        """06 01: charge `amount_minor` in this terminal's currency; never raises after sending.

        `reference` (1..64 printable ASCII, e.g. the payment intent id) travels in BMP
        3C; the simulator echoes it in `Approved.reference`, real terminals may not.
        Terminal text passes `codec.scrub_pans`, so a reference must not look like a
        card number (13..19 Luhn-valid digits).
        """
        apdu = msg.authorization(amount_minor, self.currency, reference=reference)
        log.info("zvt authorisation", extra={"url": self.url, "amount_minor": amount_minor})
        ex = self._run("authorisation", apdu, PAYMENT_RECEIPTS, on_status=on_status)
        outcome = transaction_outcome(ex, amount_minor, self.currency)
        self._log_outcome("authorisation", outcome)
        return outcome

    def refund(
        self,
        amount_minor: int,
        *,
        reference: str | None = None,
        on_status: StatusCallback | None = None,
    ) -> TransactionOutcome:
        """06 31: credit `amount_minor` to the shopper's card; never raises after sending.

        The shopper presents the card as for a payment; status texts, receipts and the
        outcome rules are those of `authorize` (Approved only on 04 0F with 00 and then
        06 0F, with the terminal's receipt and trace numbers). `reference` (e.g. the
        kiosk's refund id) travels in BMP 3C as for `authorize`.
        """
        apdu = msg.refund(self._password, amount_minor, self.currency, reference=reference)
        log.info("zvt refund", extra={"url": self.url, "amount_minor": amount_minor})
        ex = self._run("refund", apdu, PAYMENT_RECEIPTS, on_status=on_status)
        outcome = transaction_outcome(ex, amount_minor, self.currency)
        self._log_outcome("refund", outcome)
        return outcome

    def reverse(
        self, receipt_no: int, *, on_status: StatusCallback | None = None
    ) -> TransactionOutcome:
        """06 30: reverse the payment with `receipt_no`. Approved means reversed."""
        apdu = msg.reversal(self._password, receipt_no)
        ex = self._run("reversal", apdu, PAYMENT_RECEIPTS, on_status=on_status)
        outcome = transaction_outcome(ex, None, self.currency)
        self._log_outcome("reversal", outcome)
        return outcome

    def repeat_receipt(self) -> TransactionOutcome:
        """06 20: the terminal's last transaction, as Approved / Declined (with its receipts).

        Unknown when the terminal cannot say (no receipt stored, link lost, or refused
        because it is still busy finishing the previous transaction: ask again later).
        An Approved with `original_trace` set is a reversal, not a payment; a refund
        (06 31) reads like a payment: its reference (BMP 3C) tells which it was.
        """
        last = self._repeat_receipt()
        if isinstance(last, msg.Abort):
            code = last.result_code
            return Unknown(f"terminal cannot repeat the receipt: {code:02X} {result_text(code)}")
        return last

    def last_transaction(self) -> TransactionOutcome | None:
        """06 20 as `repeat_receipt()`, but None when the terminal ran the command and
        ended it with 06 1E and no status information: it has no transaction to repeat.

        Unknown still means "cannot say now" (refused while busy, link lost, timeout).
        """
        last = self._repeat_receipt()
        return None if isinstance(last, msg.Abort) else last

    def _repeat_receipt(self) -> TransactionOutcome | msg.Abort:
        ex = self._run("repeat receipt", msg.repeat_receipt(self._password), PAYMENT_RECEIPTS)
        if ex.refused is not None:  # e.g. 84 83 while still busy with the old transaction
            code = ex.refused
            why = f"84 {code:02X} {result_text(code)}"
            return Unknown(f"terminal refused the repeat receipt: {why}")
        if ex.abort is not None and ex.info is None:
            if ex.abort_sent:  # our 06 B0 after T4 ended it: the terminal said nothing
                code = ex.abort.result_code
                return Unknown(f"repeat receipt timed out (T4), ended {code:02X}")
            return ex.abort
        return transaction_outcome(ex, None, self.currency)

    def end_of_day(self) -> EndOfDayOutcome:
        """06 50: settle the day's transactions with the host; totals per card type."""
        ex = self._run("end-of-day", msg.end_of_day(self._password), ADMIN_RECEIPTS)
        outcome = transaction_outcome(ex, None, self.currency)
        if isinstance(outcome, Approved):
            info = ex.info
            assert info is not None  # Approved needs status information
            return EndOfDay(
                total_minor=info.amount_minor or 0,
                currency=info.currency,
                trace=info.trace,
                date=info.date,
                time=info.time,
                totals=info.totals,
                receipts=outcome.receipts,
            )
        return outcome

    def status(self) -> TerminalStatus:
        """05 01: is the terminal ready, and which software does it run."""
        ex = self._run(
            "status enquiry", msg.status_enquiry(self._password), ADMIN_RECEIPTS, enquiry=True
        )
        if ex.completion is not None:
            code = ex.completion.terminal_status
            if code is None:
                info = ex.info
                code = info.result_code if info and info.result_code is not None else 0
            return TerminalStatus(code, terminal_status_text(code), ex.completion.software_version)
        if ex.abort is not None:
            code = ex.abort.result_code
            return TerminalStatus(code, result_text(code), None)
        raise self._admin_failure("status enquiry", ex)

    def log_off(self) -> None:
        """06 02: end the session; the terminal answers 80 00 00."""
        ex = self._run("log-off", msg.log_off(), ADMIN_RECEIPTS, ack_only=True)
        if ex.refused is not None or ex.failure is not None:
            raise self._admin_failure("log-off", ex)

    def abort(self) -> bool:
        """Ask the terminal to stop (06 B0). Safe from any thread.

        While a command runs, the command's own loop sends 06 B0 and the terminal ends
        the command with 06 1E if it still can (an approval already given stands).
        Idle, it sends 06 B0 now; returns whether the terminal acknowledged it.
        """
        if not self._busy.acquire(blocking=False):
            self._abort_requested.set()
            return True
        self._busy.release()
        try:
            ex = self._run("abort", msg.abort_command(), ADMIN_RECEIPTS, ack_only=True)
        except ZvtBusy:
            self._abort_requested.set()
            return True
        return ex.refused is None and ex.failure is None

    # --- the command loop -----------------------------------------------------------

    def _run(
        self,
        name: str,
        apdu: bytes,
        receipt_kinds: tuple[ReceiptKind, ...],
        *,
        on_status: StatusCallback | None = None,
        enquiry: bool = False,
        ack_only: bool = False,
    ) -> Exchange:
        if not self._busy.acquire(blocking=False):
            raise ZvtBusy(f"card terminal {self.url} is busy with another command")
        try:
            self._abort_requested.clear()
            self._connect()
            with self._stats_lock:
                self._commands += 1
            ex = Exchange(ReceiptCollector(receipt_kinds))
            try:
                self._discard_stale_input()
                self._channel.send(apdu)
            except ZvtLinkError as exc:
                ex.failure = f"link lost while sending the {name}: {exc}"
            else:
                self._collect(ex, on_status or self._on_status, enquiry=enquiry, ack_only=ack_only)
            if ex.failure is not None:
                with self._stats_lock:
                    self._last_error = ex.failure
                log.warning("zvt command failed", extra={"url": self.url, "command": name})
            return ex
        finally:
            self._busy.release()

    def _connect(self) -> None:
        connect = getattr(self._transport, "connect", None)
        if callable(connect):  # a ReconnectingTransport: give it T3 to come back
            connected = bool(connect(self._timeouts.ack_s))
        else:
            connected = self._transport.health().connected
        if not connected:
            raise ZvtUnavailable(
                f"card terminal {self.url} is not connected "
                f"({self._transport.health().last_error}); nothing was sent"
            )

    def _discard_stale_input(self) -> None:
        """A late answer to an earlier command must not be read as this command's answer."""
        self._channel.reset()
        for _ in range(64):
            if self._channel.receive(0.0) is None:
                return

    def _send_reply(self, ex: Exchange, reply: bytes) -> bool:
        try:
            self._channel.send(reply)
        except ZvtLinkError as exc:
            ex.failure = f"link lost while answering the terminal: {exc}"
            return False
        return True

    def _collect(
        self,
        ex: Exchange,
        on_status: StatusCallback | None,
        *,
        enquiry: bool,
        ack_only: bool,
    ) -> None:
        t = self._timeouts
        acked = False
        deadline = self._clock() + t.ack_s
        while True:
            if acked and self._abort_requested.is_set() and not ex.abort_sent:
                ex.abort_sent = True
                if not self._send_reply(ex, msg.abort_command()):
                    return
            now = self._clock()
            try:
                raw = self._channel.receive(min(POLL_S, max(deadline - now, 0.0)))
            except ZvtLinkError as exc:
                ex.failure = f"link lost before the terminal finished: {exc}"
                return
            now = self._clock()
            if raw is None:
                if now < deadline:
                    continue
                if not acked:
                    ex.failure = f"no acknowledgement within T3 ({t.ack_s:g} s)"
                    return
                if not ex.abort_sent:  # T4 ran out: ask the terminal to stop, then wait
                    ex.abort_sent = True
                    if not self._send_reply(ex, msg.abort_command()):
                        return
                    deadline = now + t.abort_grace_s
                    continue
                ex.failure = (
                    f"terminal silent for {t.completion_s:g} s (T4); sent abort 06 B0, "
                    f"no 06 1E within {t.abort_grace_s:g} s"
                )
                return
            try:
                message: msg.TerminalMessage = msg.parse_terminal_message(
                    decode_apdu(raw), charset=self._charset, after_status_enquiry=enquiry
                )
            except ZvtCodecError as exc:
                ex.garbled += 1
                with self._stats_lock:
                    self._garbled += 1
                # Not the content (it may hold card data): only what kind of APDU it was.
                log.warning(
                    "zvt unreadable message",
                    extra={"url": self.url, "control": raw[:2].hex(), "error": str(exc)},
                )
                salvaged = _salvage(raw)
                if salvaged is None:
                    if raw[:1] in (b"\x80", b"\x84"):
                        continue
                    if raw[:2] == b"\x04\x0f":
                        ex.garbled_status = True
                    acked = True
                    deadline = now + t.completion_s
                    if not self._send_reply(ex, msg.ACK):
                        return
                    continue
                message = salvaged
            if isinstance(message, msg.Ack):
                if acked:
                    continue  # the answer to our 06 B0, or a repeated acknowledgement
                if not message.positive:
                    ex.refused = message.code
                    return
                acked = True
                if ack_only:
                    return
                deadline = now + t.completion_s
                continue
            # A terminal command also tells that our command was taken. What it says is
            # recorded before we answer: it stands even if our answer is lost.
            acked = True
            deadline = max(deadline, now + t.completion_s)
            if isinstance(message, msg.IntermediateStatus):
                if message.timeout_s:
                    deadline = max(deadline, now + message.timeout_s)
            elif isinstance(message, msg.StatusInformation):
                ex.infos.append(message)
            elif isinstance(message, msg.PrintLine):
                ex.receipts.line(message)
            elif isinstance(message, msg.PrintTextBlock):
                ex.receipts.block(message)
            elif isinstance(message, msg.Completion):
                ex.completion = message
            elif isinstance(message, msg.Abort):
                ex.abort = message
            reply = msg.NACK_NOT_SUPPORTED if isinstance(message, msg.OtherCommand) else msg.ACK
            if not self._send_reply(ex, reply):
                return
            if isinstance(message, msg.IntermediateStatus):
                self._notify(on_status, message)
            if ack_only or ex.completion is not None or ex.abort is not None:
                return

    def _notify(self, callback: StatusCallback | None, status: msg.IntermediateStatus) -> None:
        if callback is None:
            return
        try:
            callback(IntermediateUpdate(status.code, status.text, status.timeout_s))
        except Exception:  # a UI bug must not break the payment protocol
            log.exception("zvt status callback failed", extra={"url": self.url})

    # --- outcomes ---------------------------------------------------------------------

    def _admin_failure(self, name: str, ex: Exchange) -> ZvtError:
        if ex.refused is not None:
            code = ex.refused
            return ZvtRefused(
                f"card terminal {self.url} refused the {name}: 84 {code:02X} ({result_text(code)})",
                code,
            )
        if ex.abort is not None:
            code = ex.abort.result_code
            return ZvtRefused(
                f"card terminal {self.url} aborted the {name}: {code:02X} ({result_text(code)})",
                code,
            )
        reason = ex.failure or "no completion"
        if "T3" in reason or "T4" in reason:
            return ZvtTimeout(f"card terminal {self.url}, {name}: {reason}")
        return ZvtLinkError(f"card terminal {self.url}, {name}: {reason}")

    def _log_outcome(self, name: str, outcome: TransactionOutcome) -> None:
        extra: dict[str, object] = {"url": self.url, "command": name, "status": outcome.status}
        if isinstance(outcome, Approved):
            extra.update(receipt_no=outcome.receipt_no, trace=outcome.trace)
        elif isinstance(outcome, Declined | Aborted):
            extra["result_code"] = outcome.result_code
        else:
            extra["reason"] = outcome.reason
        log.info("zvt outcome", extra=extra)
