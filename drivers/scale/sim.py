"""Scale simulators that speak Toledo 8217 or MT-SICS bytes on a pty or TCP socket.

`ScaleModel` is the physics, advanced one step per reading so tests are deterministic:
`place(grams, settle_steps=3)` makes the next three readings wobble around the load
before it settles. It can overload, go under zero, lose its pan (underload), refuse to
zero outside the zero range, and answer nothing or garbage.
"""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass

from drivers.scale import sics, toledo
from drivers.simlink import LinkSimulator, PtyLink, SimLink


@dataclass(frozen=True, slots=True)
class Reading:
    net_g: int
    stable: bool
    overload: bool
    under_zero: bool
    underload: bool
    outside_zero_range: bool


@dataclass(frozen=True, slots=True)
class ScaleFaults:
    silent: bool = False  # receives commands, answers nothing
    garbage: bool = False  # answers bytes that are no valid frame
    partial: bool = False  # answers the first half of a frame, never the end
    error_reply: str | None = None  # MT-SICS: answer every command with ES/ET/EL


class ScaleModel:
    """A load cell with zero, tare, motion and limits. Thread-safe, deterministic."""

    def __init__(
        self,
        *,
        capacity_g: int = 15_000,
        division_g: int = 5,
        zero_range_g: int = 300,  # +-2 % of capacity: what Z may take away
        wobble_g: int = 40,
    ) -> None:
        self.capacity_g = capacity_g
        self.division_g = division_g
        self.zero_range_g = zero_range_g
        self.wobble_g = wobble_g
        self._lock = threading.Lock()
        self._load_g = 0  # what lies on the platter, relative to the factory zero
        self._zero_g = 0
        self._tare_g = 0
        self._motion_steps = 0
        self._step = 0
        self._pan_removed = False
        self.faults = ScaleFaults()

    def set_faults(self, **changes: bool | str | None) -> ScaleFaults:
        with self._lock:
            self.faults = dataclasses.replace(self.faults, **changes)  # type: ignore[arg-type]
            return self.faults

    def place(self, grams: int, *, settle_steps: int = 0) -> None:
        """Put a load on (grams relative to factory zero); it wobbles for `settle_steps`."""
        with self._lock:
            self._load_g = grams
            self._motion_steps = settle_steps
            self._pan_removed = False

    def wobble(self, steps: int) -> None:
        """Someone touches the platter: the next `steps` readings are in motion."""
        with self._lock:
            self._motion_steps = steps

    def remove_pan(self) -> None:
        with self._lock:
            self._pan_removed = True

    def _quantize(self, grams: int) -> int:
        d = self.division_g
        return (grams + d // 2) // d * d if grams >= 0 else -((-grams + d // 2) // d * d)

    def _gross_locked(self) -> int:
        return self._load_g - self._zero_g

    def step(self) -> Reading:
        """The next reading; a wobbling load moves toward rest one step at a time."""
        with self._lock:
            self._step += 1
            moving = self._motion_steps > 0
            wobble = 0
            if moving:
                sign = 1 if self._step % 2 else -1
                wobble = sign * self.wobble_g * self._motion_steps
                self._motion_steps -= 1
            gross = self._gross_locked()
            net = self._quantize(gross - self._tare_g + wobble)
            return Reading(
                net_g=net,
                stable=not moving,
                overload=gross > self.capacity_g + 9 * self.division_g,
                under_zero=gross < 0,
                underload=self._pan_removed,
                outside_zero_range=abs(self._zero_g) > self.zero_range_g,
            )

    def peek_stable(self) -> bool:
        with self._lock:
            return self._motion_steps == 0

    def zero(self) -> str:
        """'A' done, 'I' not stable, '+'/'-' load outside the zero range."""
        with self._lock:
            if self._motion_steps:
                return "I"
            if self._load_g > self.zero_range_g:
                return "+"
            if self._load_g < -self.zero_range_g:
                return "-"
            self._zero_g = self._load_g
            self._tare_g = 0
            return "A"

    def tare(self) -> tuple[str, int]:
        """('S', tare) done, 'I' not stable, '+' overload, '-' nothing to tare."""
        with self._lock:
            gross = self._gross_locked()
            if self._motion_steps:
                return "I", 0
            if gross > self.capacity_g:
                return "+", 0
            if gross <= 0:
                return "-", 0
            self._tare_g = self._quantize(gross)
            return "S", self._tare_g

    def clear_tare(self) -> None:
        with self._lock:
            self._tare_g = 0


class _ScaleSimulator(LinkSimulator):
    """One thread that reads commands from the link and answers them."""

    protocol = ""
    kind = "scale"

    def __init__(self, link: SimLink | None = None, model: ScaleModel | None = None) -> None:
        super().__init__(link if link is not None else PtyLink(f"scale-{self.protocol}"))
        self.model = model or ScaleModel()
        self._lock = threading.Lock()
        self.received = bytearray()
        self.requests = 0

    def _answer(self, frame: bytes) -> None:
        faults = self.model.faults
        if faults.silent:
            return
        if faults.garbage:
            frame = b"\x7f#\x13" + frame[::-1].replace(b"\n", b"").replace(b"\r", b"") + b"\r\n"
        elif faults.partial:
            frame = frame[: max(len(frame) // 2, 1)]
        self.link.write(frame)

    def _run(self) -> None:
        while not self._stop.is_set():
            data = self.link.read(256, 0.02)
            if data:
                with self._lock:
                    self.received += data
                self._handle(data)
            self._tick()

    def _handle(self, data: bytes) -> None:
        raise NotImplementedError

    def _tick(self) -> None:
        """Called every loop (streaming modes)."""


class Toledo8217Simulator(_ScaleSimulator):
    """Answers `W` with `STX 01.250 CR` or `STX ? <status> CR`; obeys Z, T, C silently."""

    protocol = "toledo8217"

    def reply_to_weight_request(self) -> bytes:
        r = self.model.step()
        bits = 0
        bits |= toledo.BIT_MOTION if not r.stable else 0
        bits |= toledo.BIT_OVER_CAPACITY if r.overload else 0
        bits |= toledo.BIT_UNDER_ZERO if r.under_zero or r.underload else 0
        bits |= toledo.BIT_OUTSIDE_ZERO_CAPTURE if r.outside_zero_range else 0
        if bits or r.net_g < 0:
            if r.net_g == 0:
                bits |= toledo.BIT_CENTER_OF_ZERO
            return toledo.encode_status(bits or toledo.BIT_UNDER_ZERO)
        return toledo.encode_weight(r.net_g)

    def _handle(self, data: bytes) -> None:
        for byte in data:
            command = bytes([byte & 0x7F])
            if command == toledo.WEIGHT_REQUEST:
                with self._lock:
                    self.requests += 1
                self._answer(self.reply_to_weight_request())
            elif command == toledo.ZERO:
                self.model.zero()
            elif command == toledo.TARE:
                self.model.tare()
            elif command == toledo.CLEAR_TARE:
                self.model.clear_tare()
            # Anything else: a real 8217 ignores it.


class SicsSimulator(_ScaleSimulator):
    """An MT-SICS level 0/1 balance: S, SI, SIR, Z, T, TAC, @, I4."""

    protocol = "mt-sics"

    def __init__(
        self,
        link: SimLink | None = None,
        model: ScaleModel | None = None,
        *,
        unit: str = "kg",
        stable_timeout_steps: int = 10,
        stream_interval_s: float = 0.05,
    ) -> None:
        super().__init__(link, model)
        self.unit = unit
        self.stable_timeout_steps = stable_timeout_steps
        self.stream_interval_s = stream_interval_s
        self._line = bytearray()
        self._streaming = False

    def _weight_line(self, r: Reading, *, dynamic_ok: bool) -> bytes:
        if r.overload:
            return b"S +\r\n"
        if r.underload:
            return b"S -\r\n"
        if not r.stable and not dynamic_ok:
            return b"S I\r\n"
        return sics.encode_weight("S" if r.stable else "D", r.net_g, unit=self.unit)

    def reply(self, line: bytes) -> bytes:
        """The answer to one command line (without CR LF)."""
        if any(not 0x20 <= b <= 0x7E for b in line):
            return b"ET\r\n"
        forced = self.model.faults.error_reply
        if forced:
            return forced.encode("ascii") + b"\r\n"
        command = line.decode("ascii").strip()
        self._streaming = False  # any command ends SIR
        with self._lock:
            self.requests += 1
        if command == "S":
            for _ in range(self.stable_timeout_steps):
                r = self.model.step()
                if r.stable or r.overload or r.underload:
                    return self._weight_line(r, dynamic_ok=False)
            return b"S I\r\n"
        if command == "SI":
            return self._weight_line(self.model.step(), dynamic_ok=True)
        if command == "SIR":
            self._streaming = True
            return b""
        if command == "Z":
            return f"Z {self.model.zero()}\r\n".encode("ascii")
        if command == "T":
            status, tare = self.model.tare()
            if status != "S":
                return f"T {status}\r\n".encode("ascii")
            return b"T" + sics.encode_weight("S", tare, unit=self.unit)[1:]
        if command == "TAC":
            self.model.clear_tare()
            return b"TAC A\r\n"
        if command in ("@", "I4"):
            return b'I4 A "SIM0000001"\r\n'
        return b"ES\r\n"

    def _handle(self, data: bytes) -> None:
        for byte in data:
            if byte == 0x0A:
                line = bytes(self._line).removesuffix(b"\r")
                self._line.clear()
                if line:
                    answer = self.reply(line)
                    if answer:
                        self._answer(answer)
            elif len(self._line) < 128:
                self._line.append(byte)

    def _tick(self) -> None:
        if self._streaming and not self._stop.wait(self.stream_interval_s) and self._streaming:
            self._answer(self._weight_line(self.model.step(), dynamic_ok=True))


def make_scale_simulator(
    protocol: str, link: SimLink | None = None, model: ScaleModel | None = None
) -> Toledo8217Simulator | SicsSimulator:
    if protocol == Toledo8217Simulator.protocol:
        return Toledo8217Simulator(link, model)
    if protocol == SicsSimulator.protocol:
        return SicsSimulator(link, model)
    raise ValueError(f"unknown scale protocol {protocol!r} (expected toledo8217 or mt-sics)")
