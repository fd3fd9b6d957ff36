"""Serial (RS-232 / USB-CDC) barcode scanner over any transport URL (pyserial for ttys).

PROTOCOLS.md "Barcode scanners": a read ends with CR and/or LF; many scanners send an
AIM symbology prefix. Host enable/disable commands differ per model, so they are bytes
in a `SerialScannerModel`.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable
from dataclasses import dataclass

from drivers.errors import TransportClosed, TransportError
from drivers.scanner.events import Scan
from drivers.scanner.framing import (
    AimMode,
    Frame,
    Framing,
    Partial,
    Rejected,
    SerialFrameDecoder,
)
from drivers.scanner.reader import DEFAULT_DUPLICATE_WINDOW_S, ScannerReader
from drivers.transport import Transport, TransportHealth, open_transport


@dataclass(frozen=True, slots=True)
class SerialScannerModel:
    """What differs between serial scanner models; None = the model has no such command."""

    name: str = "generic"
    framing: Framing = Framing.CRLF
    aim: AimMode = AimMode.AUTO
    enable_command: bytes | None = None
    disable_command: bytes | None = None
    max_length: int = 4096
    inter_byte_timeout_s: float = 0.2

    @property
    def can_disable(self) -> bool:
        return self.enable_command is not None and self.disable_command is not None


# Datalogic (Magellan, QuickScan, PowerScan) and CipherLab RS-232 host commands:
# ASCII 'E' enables and 'D' disables the scan engine (vendor reference guides,
# "RS-232 Host Commands"). Our simulator speaks the same.
MODELS: dict[str, SerialScannerModel] = {
    "generic": SerialScannerModel(),
    "datalogic": SerialScannerModel(name="datalogic", enable_command=b"E", disable_command=b"D"),
    "cipherlab": SerialScannerModel(name="cipherlab", enable_command=b"E", disable_command=b"D"),
}


class SerialScanner(ScannerReader):
    """A serial scanner read by one thread; scans arrive on `events`."""

    def __init__(
        self,
        url_or_transport: str | Transport,
        *,
        model: SerialScannerModel | None = None,
        source: str | None = None,
        events: queue.Queue[Scan] | None = None,
        duplicate_window_s: float = DEFAULT_DUPLICATE_WINDOW_S,
        poll_s: float = 0.05,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """Open (or adopt) the transport now; a bad URL raises `TransportUrlError`."""
        if isinstance(url_or_transport, str):
            self._transport = open_transport(url_or_transport)
        else:
            self._transport = url_or_transport
        super().__init__(
            source or self._transport.url,
            events=events,
            duplicate_window_s=duplicate_window_s,
            poll_s=poll_s,
            clock=clock,
            monotonic=monotonic,
        )
        self.model = model or MODELS["generic"]
        self._decoder = SerialFrameDecoder(
            self.model.framing,
            aim=self.model.aim,
            max_length=self.model.max_length,
            inter_byte_timeout_s=self.model.inter_byte_timeout_s,
        )
        self._seen_reconnects = self._transport.health().reconnects
        self._set_connected(self._transport.health().connected)

    def _release(self) -> None:
        self._transport.close()

    def _transport_health(self) -> TransportHealth | None:
        return self._transport.health()

    def _handle(self, outcomes: list[Frame | Rejected | Partial]) -> None:
        for outcome in outcomes:
            if isinstance(outcome, Frame):
                self._deliver(outcome.data, outcome.symbology)
            elif isinstance(outcome, Rejected):
                self._count_rejected(outcome.reason.value, outcome.raw)
            else:
                self._count_partial()

    def _send_enable_state(self, enabled: bool) -> None:
        command = self.model.enable_command if enabled else self.model.disable_command
        if command is None:
            return  # the model cannot be told; scans are dropped in software instead
        try:
            self._transport.write(command)
        except TransportError as exc:
            self._note_error(str(exc))
            with self._lock:
                self._enable_pending = True  # resend after reconnecting

    def _run(self) -> None:
        self._handle(self._decoder.joined(self._monotonic()))
        try:
            while not self._stop.is_set():
                pending = self._take_enable_pending()
                if pending is not None:
                    self._send_enable_state(pending)
                try:
                    data = self._transport.read(4096, self._poll_s)
                except TransportClosed:
                    break
                except TransportError as exc:
                    # Cable pulled or device gone: a partial frame is never completed
                    # by bytes from after the reconnect.
                    self._handle(self._decoder.reset())
                    self._set_connected(False, str(exc))
                    continue
                health = self._transport.health()
                if health.reconnects != self._seen_reconnects:
                    self._seen_reconnects = health.reconnects
                    self._count_reconnect()
                    self._handle(self._decoder.joined(self._monotonic()))
                    if self.model.can_disable:
                        with self._lock:
                            self._enable_pending = True  # a re-plugged scanner forgot
                self._set_connected(health.connected)
                self._handle(self._decoder.feed(data, self._monotonic()))
        finally:
            self._transport.close()
            self._set_connected(False)
