"""Scale drivers: Toledo 8217 and MT-SICS over any transport URL (SPEC section 4, "Scale").

Two ways to use one:

- request/response, for technician commands and self-tests: `read_weight()`,
  `read_stable(timeout)`, `zero()`, `tare()`, `clear_tare()` talk to the scale and
  raise typed errors (`ScaleTimeout`, `ScaleProtocolError`, `ScaleNotStable`, ...);
- continuous, for the kiosk: `start()` runs a thread that owns the wire, polls (or, for
  MT-SICS, streams with SIR) and puts `Weight` events on `events` when the reading
  changes; `latest()` and `health()` are snapshots; `zero()`/`tare()` are queued for
  that thread and return at once, so the UI thread never waits on a scale.

The same `Weight` events serve a produce scale and a bagging-area scale.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, ClassVar, Generic, Protocol, Self, TypeVar

from drivers.errors import (
    DriverError,
    ScaleCommandError,
    ScaleError,
    ScaleProtocolError,
    ScaleTimeout,
    TransportClosed,
    TransportError,
)
from drivers.scale import sics, toledo
from drivers.scale.events import ScaleHealth, ScaleNotStable, ScaleStatus, Weight
from drivers.transport import Transport, drain_input, open_transport, with_serial_defaults
from drivers.worker import Worker

log = logging.getLogger(__name__)

ReplyT = TypeVar("ReplyT")

# What both protocols' decoders give for bytes that are not a reply (raw bytes + reason).
_GarbageRecord = (toledo.ToledoGarbage, sics.SicsGarbage)


class _Decoder(Protocol):
    def feed(self, data: bytes) -> Sequence[Any]: ...

    def reset(self) -> Sequence[Any]: ...


class _Garbage(Exception):
    """Internal: an outcome that was not a valid frame (counted, then reported)."""


class Scale(ABC, Generic[ReplyT]):
    """Common machinery; subclasses supply the protocol's bytes and parsing."""

    name: ClassVar[str]
    serial_defaults: ClassVar[dict[str, str | int]] = {}
    supports_stream: ClassVar[bool] = False

    def __init__(
        self,
        url_or_transport: str | Transport,
        *,
        source: str | None = None,
        response_timeout_s: float = 1.0,
        poll_interval_s: float = 0.2,
        stream: bool = False,
        events: queue.Queue[Weight] | None = None,
        emit_unchanged: bool = False,
        reconnect: bool = True,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """Open (or adopt) the transport; a bad URL raises `TransportUrlError`.

        `reconnect=False` opens the device once and raises `TransportOpenError` if it is
        absent (technician commands); the default keeps retrying and reports in health.
        """
        self._init_protocol()
        if stream and not self.supports_stream:
            raise ScaleError(f"{self.name} scales have no continuous output mode; poll them")
        if isinstance(url_or_transport, str):
            url = with_serial_defaults(url_or_transport, **self.serial_defaults)
            self._transport = open_transport(url, reconnect=reconnect)
            self.source = source or url_or_transport
        else:
            self._transport = url_or_transport
            self.source = source or self._transport.url
        self.events: queue.Queue[Weight] = events if events is not None else queue.Queue()
        self._response_timeout = response_timeout_s
        self._poll_interval = poll_interval_s
        self._stream = stream
        self._emit_unchanged = emit_unchanged
        self._clock = clock
        self._monotonic = monotonic
        self._io = threading.Lock()  # one request/answer on the wire at a time
        self._state = threading.Condition()
        self._commands: queue.Queue[str] = queue.Queue()
        self._worker = Worker(f"scale {self.source}", self._thread_main)
        self._stop = self._worker.stopping
        self._latest: Weight | None = None
        self._emitted: Weight | None = None
        self._generation = 0
        self._answering = False
        self._last_error: str | None = None
        self._readings = 0
        self._timeouts = 0
        self._garbage = 0
        self._seen_reconnects = self._transport.health().reconnects

    # --- protocol hooks ---------------------------------------------------------------
    @abstractmethod
    def _new_decoder(self) -> _Decoder:
        """The protocol's byte decoder (made first thing in __init__)."""

    def _init_protocol(self) -> None:
        self._decoder = self._new_decoder()

    def _decode(self, data: bytes) -> list[ReplyT | _Garbage]:
        out: list[ReplyT | _Garbage] = []
        for outcome in self._decoder.feed(data):
            if isinstance(outcome, _GarbageRecord):
                out.append(_Garbage(f"{outcome.raw!r} ({outcome.reason})"))
            else:
                out.append(outcome)
        return out

    def _reset_decoder(self) -> None:
        self._decoder.reset()

    @abstractmethod
    def _weight_request(self) -> bytes: ...

    @abstractmethod
    def _to_weight(self, reply: ReplyT) -> Weight | None:
        """The reading a reply carries, or None if it is not a weight reply."""

    @abstractmethod
    def _run_command(self, command: str) -> None:
        """Send zero/tare/clear_tare and check its answer (caller holds the wire)."""

    # --- shared plumbing ------------------------------------------------------------------
    def _weight(
        self, grams: int | None, stable: bool, status: ScaleStatus, detail: str = ""
    ) -> Weight:
        return Weight(grams, stable, status, self._clock(), detail, self.source)

    def _note(self, *, answering: bool | None = None, error: str | None = None) -> None:
        with self._state:
            if answering is not None:
                self._answering = answering
            if error is not None:
                self._last_error = error

    def _check_reconnect(self) -> None:
        reconnects = self._transport.health().reconnects
        if reconnects != self._seen_reconnects:
            self._seen_reconnects = reconnects
            self._reset_decoder()

    def _exchange(
        self, request: bytes | None, want: Callable[[ReplyT], bool], timeout_s: float
    ) -> ReplyT:
        """Send `request` and return the first reply `want` accepts (caller holds `_io`)."""
        try:
            self._check_reconnect()
            if request is not None:
                drain_input(self._transport)  # a late answer must not pass for this one
                self._reset_decoder()
                self._transport.write(request)
            deadline = self._monotonic() + timeout_s
            garbage: _Garbage | None = None
            while True:
                remaining = deadline - self._monotonic()
                if remaining <= 0:
                    break
                data = self._transport.read(256, min(remaining, 0.1))
                for outcome in self._decode(data):
                    if isinstance(outcome, _Garbage):
                        garbage = outcome
                        with self._state:
                            self._garbage += 1
                    elif want(outcome):
                        self._note(answering=True)
                        return outcome
        except TransportClosed:
            raise
        except TransportError as exc:
            self._reset_decoder()
            self._note(answering=False, error=str(exc))
            raise ScaleError(f"scale {self.source}: {exc}") from exc
        self._reset_decoder()
        if garbage is not None:
            message = f"scale {self.source} answered garbage: {garbage}"
            self._note(answering=False, error=message)
            raise ScaleProtocolError(message)
        with self._state:
            self._timeouts += 1
        message = (
            f"scale {self.source} did not answer within {timeout_s:g} s; check power, "
            f"cable, baud rate and that the driver ({self.name}) matches the scale"
        )
        self._note(answering=False, error=message)
        raise ScaleTimeout(message)

    def _read_weight_locked(self) -> Weight:
        reply = self._exchange(
            self._weight_request(),
            lambda r: self._to_weight(r) is not None,
            self._response_timeout,
        )
        weight = self._to_weight(reply)
        assert weight is not None  # guaranteed by `want`
        self._publish(weight)
        return weight

    def _publish(self, weight: Weight) -> None:
        with self._state:
            self._latest = weight
            self._generation += 1
            self._readings += 1
            emit = self._emit_unchanged or not weight.same_reading(self._emitted)
            if emit:
                self._emitted = weight
            self._state.notify_all()
        if emit and self.running:
            self.events.put(weight)

    # --- request/response API ---------------------------------------------------------
    def read_weight(self) -> Weight:
        """One reading now (stable or not, or the scale's error state)."""
        if self.running:
            return self._wait_reading(lambda w: True, self._response_timeout * 2)
        with self._io:
            return self._read_weight_locked()

    def _read_stable_once(self) -> Weight:
        return self._read_weight_locked()

    def read_stable(self, timeout_s: float = 5.0) -> Weight:
        """A stable, sellable weight within `timeout_s`, or raise `ScaleNotStable`.

        A scale that does not answer raises `ScaleTimeout`; garbage answers are retried
        until the deadline.
        """
        if self.running:
            return self._wait_reading(lambda w: w.sellable, timeout_s)
        deadline = self._monotonic() + timeout_s
        last: Weight | None = None
        while True:
            try:
                with self._io:
                    last = self._read_stable_once()
            except ScaleProtocolError:
                pass  # garbage: counted in health; ask again
            if last is not None and last.sellable:
                return last
            if self._monotonic() >= deadline:
                raise ScaleNotStable(self.source, last, timeout_s)
            self._stop.wait(min(self._poll_interval, max(deadline - self._monotonic(), 0)))

    def _wait_reading(self, accept: Callable[[Weight], bool], timeout_s: float) -> Weight:
        deadline = self._monotonic() + timeout_s
        with self._state:
            generation = self._generation
            while True:
                if self._generation != generation and self._latest is not None:
                    if accept(self._latest):
                        return self._latest
                    generation = self._generation
                remaining = deadline - self._monotonic()
                if remaining <= 0:
                    if not self._answering:
                        raise ScaleTimeout(f"scale {self.source}: {self._last_error}")
                    raise ScaleNotStable(self.source, self._latest, timeout_s)
                self._state.wait(remaining)

    def zero(self) -> None:
        """Zero the scale (queued when running; else done now, raising if refused)."""
        self._command("zero")

    def tare(self) -> None:
        self._command("tare")

    def clear_tare(self) -> None:
        self._command("clear_tare")

    def _command(self, command: str) -> None:
        if self.running:
            self._commands.put(command)
            return
        with self._io:
            self._run_command(command)

    # --- continuous mode ----------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._worker.running

    def start(self) -> Self:
        """Start the thread that owns the wire and emits `Weight` events; returns at once."""
        self._worker.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread (if any) and close the transport; idempotent."""
        self._worker.stop(timeout)
        self._transport.close()

    close = stop

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def latest(self) -> Weight | None:
        with self._state:
            return self._latest

    def get(self, timeout: float | None = None) -> Weight | None:
        """The next emitted `Weight`, or None within `timeout` seconds."""
        try:
            return self.events.get(timeout=timeout)
        except queue.Empty:
            return None

    def health(self) -> ScaleHealth:
        transport = self._transport.health()
        with self._state:
            return ScaleHealth(
                source=self.source,
                running=self.running,
                connected=transport.connected and self._answering,
                last_error=self._last_error,
                readings=self._readings,
                timeouts=self._timeouts,
                garbage_frames=self._garbage,
                reconnects=transport.reconnects,
                last_weight=self._latest,
                transport=transport,
            )

    def _run_pending_commands(self) -> None:
        while True:
            try:
                command = self._commands.get_nowait()
            except queue.Empty:
                return
            try:
                with self._io:
                    self._run_command(command)
            except TransportClosed:
                raise
            except DriverError as exc:
                self._note(error=f"{command} failed: {exc}")
                log.warning(
                    "scale command failed",
                    extra={"source": self.source, "command": command, "error": str(exc)},
                )

    def _thread_main(self) -> None:
        try:
            if self._stream:
                self._run_stream()
            else:
                self._run_poll()
        except TransportClosed:
            pass
        except Exception as exc:  # a bug must not die silently: record it in health
            log.exception("scale reader crashed", extra={"source": self.source})
            self._note(answering=False, error=f"reader crashed: {exc!r}")
        finally:
            with self._state:
                self._state.notify_all()

    def _run_poll(self) -> None:
        while not self._stop.is_set():
            self._run_pending_commands()
            with contextlib.suppress(ScaleError), self._io:
                self._read_weight_locked()  # errors are counted and kept in health
            self._stop.wait(self._poll_interval)

    def _run_stream(self) -> None:  # pragma: no cover - only protocols with streams
        raise NotImplementedError


# --- Toledo 8217 ----------------------------------------------------------------------


class Toledo8217Scale(Scale[toledo.ToledoReply]):
    """Toledo 8217: polled with `W`; weights only when stable, else a status byte."""

    name = "toledo8217"
    serial_defaults: ClassVar[dict[str, str | int]] = {
        "baudrate": 9600,
        "bytesize": 7,
        "parity": "E",
        "stopbits": 1,
    }

    def _new_decoder(self) -> toledo.ToledoDecoder:
        return toledo.ToledoDecoder()

    def _weight_request(self) -> bytes:
        return toledo.WEIGHT_REQUEST

    def _to_weight(self, reply: toledo.ToledoReply) -> Weight:
        if isinstance(reply, toledo.ToledoWeight):
            return self._weight(reply.grams, True, ScaleStatus.OK, "net" if reply.net else "")
        return self._weight(None, False, reply.status, reply.detail)

    def _run_command(self, command: str) -> None:
        # The 8217 does not answer Z/T/C; the next W shows the result (zero capture bit).
        payload = {"zero": toledo.ZERO, "tare": toledo.TARE, "clear_tare": toledo.CLEAR_TARE}
        try:
            self._transport.write(payload[command])
        except TransportClosed:
            raise
        except TransportError as exc:
            raise ScaleError(f"scale {self.source}: {command}: {exc}") from exc


# --- MT-SICS ----------------------------------------------------------------------------


class SicsScale(Scale[sics.SicsReply]):
    """MT-SICS: `SI` polling or `SIR` streaming; `S` for a stable weight."""

    name = "mt-sics"
    serial_defaults: ClassVar[dict[str, str | int]] = {
        "baudrate": 9600,
        "bytesize": 8,
        "parity": "N",
        "stopbits": 1,
    }
    supports_stream = True
    _COMMANDS: ClassVar[dict[str, tuple[bytes, str]]] = {
        "zero": (sics.CMD_ZERO, "Z"),
        "tare": (sics.CMD_TARE, "T"),
        "clear_tare": (sics.CMD_CLEAR_TARE, "TAC"),
    }

    def _new_decoder(self) -> sics.SicsDecoder:
        return sics.SicsDecoder()

    def _weight_request(self) -> bytes:
        return sics.CMD_IMMEDIATE

    def _to_weight(self, reply: sics.SicsReply) -> Weight | None:
        if not (reply.is_weight or reply.is_error):
            return None
        status, stable, detail = reply.scale_status()
        grams = reply.grams if status is ScaleStatus.OK else None
        return self._weight(grams, stable, status, detail)

    def _read_stable_once(self) -> Weight:
        # `S` makes the balance itself wait for stability (it answers "S I" if it can't).
        reply = self._exchange(
            sics.CMD_STABLE,
            lambda r: r.is_weight or r.is_error,
            max(self._response_timeout, 2 * self._poll_interval),
        )
        weight = self._to_weight(reply)
        assert weight is not None
        self._publish(weight)
        return weight

    def _run_command(self, command: str) -> None:
        payload, reply_id = self._COMMANDS[command]
        reply = self._exchange(
            payload, lambda r: r.command == reply_id or r.is_error, self._response_timeout
        )
        if reply.is_error or reply.status not in ("A", "S"):
            status, _, detail = reply.scale_status()
            raise ScaleCommandError(
                f"scale {self.source} refused {command}: {reply.text!r} ({detail or status.value})"
            )

    def _run_stream(self) -> None:
        """Continuous mode: `SIR` makes the balance send SI replies until told otherwise."""
        need_sir = True
        last_line = self._monotonic()
        while not self._stop.is_set():
            try:
                self._check_reconnect_stream()
                if not self._commands.empty():
                    self._run_stream_commands()
                    need_sir = True
                if need_sir:
                    self._transport.write(sics.CMD_REPEAT_IMMEDIATE)
                    need_sir = False
                    last_line = self._monotonic()
                data = self._transport.read(256, self._poll_interval)
            except TransportClosed:
                return
            except TransportError as exc:
                self._reset_decoder()
                self._note(answering=False, error=str(exc))
                need_sir = True
                continue
            for outcome in self._decode(data):
                last_line = self._monotonic()
                if isinstance(outcome, _Garbage):
                    with self._state:
                        self._garbage += 1
                    continue
                weight = self._to_weight(outcome)
                if weight is not None:
                    self._note(answering=True)
                    self._publish(weight)
            if self._monotonic() - last_line > self._response_timeout:
                with self._state:
                    self._timeouts += 1
                self._note(
                    answering=False,
                    error=f"scale {self.source} stopped streaming; re-sending SIR",
                )
                need_sir = True

    def _check_reconnect_stream(self) -> None:
        before = self._seen_reconnects
        self._check_reconnect()
        if self._seen_reconnects != before:
            self._transport.write(sics.CMD_REPEAT_IMMEDIATE)

    def _run_stream_commands(self) -> None:
        # A command ends SIR on the balance; its answer is picked out of the stream
        # (stream lines before it are skipped) and SIR is sent again afterwards.
        self._run_pending_commands()


DRIVERS: dict[str, type[Toledo8217Scale] | type[SicsScale]] = {
    Toledo8217Scale.name: Toledo8217Scale,
    SicsScale.name: SicsScale,
}


def open_scale(
    driver: str,
    url: str,
    *,
    source: str | None = None,
    response_timeout_s: float = 1.0,
    poll_interval_s: float = 0.2,
    stream: bool = False,
    events: queue.Queue[Weight] | None = None,
    reconnect: bool = True,
) -> Toledo8217Scale | SicsScale:
    """A scale driver by name ("toledo8217" or "mt-sics") on a transport URL."""
    try:
        cls = DRIVERS[driver]
    except KeyError:
        raise ScaleError(
            f"unknown scale driver {driver!r} (expected one of {', '.join(sorted(DRIVERS))})"
        ) from None
    return cls(
        url,
        source=source,
        response_timeout_s=response_timeout_s,
        poll_interval_s=poll_interval_s,
        stream=stream,
        events=events,
        reconnect=reconnect,
    )
