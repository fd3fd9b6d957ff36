"""USB HID keyboard scanners through evdev (PROTOCOLS.md "Barcode scanners").

The scanner is a keyboard: every character is a key down/up, a read ends with Enter
(or, for scanners without a suffix, with an inter-key pause), GS/FNC1 arrives as
Ctrl+] (or Alt+keypad 029, or a configured substitute character). The device is
grabbed (EVIOCGRAB) before anything is read so no keystroke reaches the UI, and it is
chosen deterministically by vendor/product[/serial] or a /dev/input/by-id path, never
by guessing from its name (SPEC section 4; STYLE.md, the Odoo IoT counterexample).

`HidKeyDecoder` is pure (events in, frames out) and carries the logic; `HidScanner`
is the thin thread around a device object; opening evdev devices is the edge.
"""

from __future__ import annotations

import contextlib
import enum
import queue
import select
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast

from drivers.errors import AmbiguousScanner, ScannerError, ScannerNotFound
from drivers.scanner import keymap as km
from drivers.scanner.events import Scan
from drivers.scanner.framing import GS, AimMode, Frame, Partial, Reject, Rejected, split_aim
from drivers.scanner.reader import DEFAULT_DUPLICATE_WINDOW_S, ScannerReader
from drivers.transport import Backoff


class HidFraming(enum.Enum):
    ENTER = "enter"  # a read ends with Enter; a pause mid-read drops the partial read
    TIMEOUT = "timeout"  # a read ends with Enter or with a pause longer than the timeout


class HidKeyDecoder:
    """Turns EV_KEY events (code, value, timestamp) into frames. Pure, not thread-safe."""

    def __init__(
        self,
        *,
        framing: HidFraming = HidFraming.ENTER,
        inter_key_timeout_s: float = 0.1,
        gs_substitute: str | None = None,
        aim: AimMode = AimMode.AUTO,
        max_length: int = 4096,
    ) -> None:
        if inter_key_timeout_s <= 0:
            raise ValueError(f"inter_key_timeout_s must be > 0, got {inter_key_timeout_s}")
        if gs_substitute is not None and len(gs_substitute) != 1:
            raise ValueError(f"gs_substitute must be one character, got {gs_substitute!r}")
        self.framing = framing
        self.inter_key_timeout_s = inter_key_timeout_s
        self.gs_substitute = gs_substitute
        self.aim = aim
        self.max_length = max_length
        self._chars: list[str] = []
        self._corrupt = False
        self._overflow = False
        self._held: set[int] = set()
        self._caps = False
        self._alt_digits: list[int] = []
        self._last_key_at: float | None = None
        self._resync = False  # after a stalled read: drop keys up to the next Enter
        self._joined_at: float | None = None

    def joined(self, now: float) -> list[Frame | Rejected | Partial]:
        """The device was (re)opened at `now`: keys at once after may end a read in flight."""
        dropped = self.reset()
        self._joined_at = now
        return dropped

    def feed(self, code: int, value: int, timestamp: float) -> list[Frame | Rejected | Partial]:
        """Consume one EV_KEY event (value 1 down, 0 up, 2 autorepeat)."""
        outcomes = self.expire(timestamp)
        if value == 0:
            self._held.discard(code)
            if code in km.ALT_KEYS and not (self._held & km.ALT_KEYS):
                self._finish_alt_code()
            return outcomes
        if value != 1:
            return outcomes  # autorepeat: a scanner never holds a key; ignore
        if self._joined_at is not None:
            if timestamp - self._joined_at <= self.inter_key_timeout_s and not self._chars:
                self._resync = True
            self._joined_at = None
        self._last_key_at = timestamp
        self._held.add(code)
        if code in km.SHIFT_KEYS or code in km.CTRL_KEYS or code in km.ALT_KEYS:
            return outcomes
        if code == km.KEY_CAPSLOCK:
            self._caps = not self._caps
            return outcomes
        if code in km.IGNORED_KEYS:
            return outcomes
        if code in km.ENTER_KEYS:
            if self._resync:
                self._resync = False
                had_tail = bool(self._chars or self._corrupt or self._overflow)
                tail = "".join(self._chars).encode("ascii", "replace")
                self._reset_frame()
                if had_tail:
                    outcomes.append(Partial(tail))
                return outcomes
            outcomes.extend(self._finish())
            return outcomes
        ctrl = bool(self._held & km.CTRL_KEYS)
        alt = bool(self._held & km.ALT_KEYS)
        if alt and code in km.KEYPAD_DIGITS:
            self._alt_digits.append(km.KEYPAD_DIGITS[code])
            return outcomes
        if ctrl and code == km.KEY_RIGHTBRACE:
            self._append("\x1d")
            return outcomes
        if ctrl or alt or code not in km.US_KEYMAP:
            self._corrupt = True  # a key no scanner sends inside a read
            return outcomes
        low, high = km.US_KEYMAP[code]
        shifted = bool(self._held & km.SHIFT_KEYS)
        if code in km.LETTER_KEYS and self._caps:
            shifted = not shifted
        char = high if shifted else low
        if self.gs_substitute is not None and char == self.gs_substitute:
            char = "\x1d"
        self._append(char)
        return outcomes

    def _append(self, char: str) -> None:
        if len(self._chars) >= self.max_length:
            self._overflow = True
            return
        self._chars.append(char)

    def _finish_alt_code(self) -> None:
        digits, self._alt_digits = self._alt_digits, []
        if not digits:
            return
        value = int("".join(str(d) for d in digits))
        if value == GS:
            self._append("\x1d")
        elif 0x20 <= value <= 0x7E:
            self._append(chr(value))
        else:
            self._corrupt = True

    def _finish(self) -> list[Frame | Rejected | Partial]:
        text = "".join(self._chars)
        raw = text.encode("ascii", "replace")
        corrupt, overflow = self._corrupt, self._overflow
        self._reset_frame()
        if overflow:
            return [Rejected(Reject.OVERFLOW, raw)]
        if corrupt:
            return [Rejected(Reject.JUNK, raw)]
        if not text:
            return []  # a lone Enter
        symbology, data = split_aim(text, self.aim)
        if self.aim is AimMode.REQUIRED and symbology is None:
            return [Rejected(Reject.NO_AIM, raw)]
        if not data:
            return [Rejected(Reject.EMPTY, raw)]
        return [Frame(data, symbology)]

    def _reset_frame(self) -> None:
        self._chars.clear()
        self._corrupt = False
        self._overflow = False
        self._alt_digits = []

    def expire(self, now: float) -> list[Frame | Rejected | Partial]:
        """Apply the inter-key timeout at time `now` (same clock as event timestamps)."""
        if self._last_key_at is None or now - self._last_key_at <= self.inter_key_timeout_s:
            return []
        if not (self._chars or self._corrupt or self._overflow):
            return []
        if self.framing is HidFraming.TIMEOUT and not self._resync:
            return self._finish()
        if self._resync:
            self._resync = False  # the tail ended with the pause
            return self._drop_partial()
        dropped = self._drop_partial()
        # Keys up to the next Enter are the stalled read's tail: never a read of their own.
        self._resync = True
        return dropped

    def _drop_partial(self) -> list[Frame | Rejected | Partial]:
        had = bool(self._chars or self._corrupt or self._overflow)
        raw = "".join(self._chars).encode("ascii", "replace")
        self._reset_frame()
        return [Partial(raw)] if had else []

    def reset(self) -> list[Frame | Rejected | Partial]:
        """Forget the partial read and modifier state (device lost); report the partial."""
        self._held.clear()
        self._resync = False
        self._joined_at = None
        return self._drop_partial()


# --- device identification ------------------------------------------------------


class InputDeviceLike(Protocol):
    """What we use of `evdev.InputDevice` (a fake implements it in tests)."""

    path: str
    uniq: str

    @property
    def info(self) -> Any: ...

    def fileno(self) -> int: ...

    def read(self) -> Iterable[Any]: ...

    def grab(self) -> None: ...

    def ungrab(self) -> None: ...

    def close(self) -> None: ...

    def capabilities(self, verbose: bool = ..., absinfo: bool = ...) -> Any: ...


@dataclass(frozen=True, slots=True)
class HidSelector:
    """How to pick the scanner among input devices: a by-id path, or vendor/product[/serial]."""

    path: str | None = None
    vendor_id: int | None = None
    product_id: int | None = None
    serial: str | None = None

    def __post_init__(self) -> None:
        if self.path is None and (self.vendor_id is None or self.product_id is None):
            raise ScannerError(
                "an HID scanner needs a /dev/input/by-id path or both vendor and product ids"
            )
        if self.path is not None and (self.vendor_id is not None or self.serial is not None):
            raise ScannerError("give either an HID scanner's path or its ids, not both")

    def describe(self) -> str:
        if self.path is not None:
            return self.path
        text = f"usb-hid {self.vendor_id:04x}:{self.product_id:04x}"
        return text + (f" serial {self.serial}" if self.serial else "")

    def matches(self, device: InputDeviceLike) -> bool:
        info = device.info
        if info.vendor != self.vendor_id or info.product != self.product_id:
            return False
        return self.serial is None or (device.uniq or "") == self.serial


def _types_reads(device: InputDeviceLike) -> bool:
    """A scanner's event node has Enter and digits; its consumer-control sibling does not."""
    keys = set(device.capabilities(verbose=False, absinfo=False).get(km.EV_KEY, []))
    return km.KEY_ENTER in keys and 2 in keys


def _evdev_list() -> list[str]:
    import evdev  # noqa: PLC0415 - the edge of the world, imported only when used

    return list(evdev.list_devices())


def _evdev_open(path: str) -> InputDeviceLike:
    import evdev  # noqa: PLC0415

    device: Any = evdev.InputDevice(path)  # evdev's own types are generic over str/bytes
    return cast("InputDeviceLike", device)


def find_hid_device(
    selector: HidSelector,
    *,
    list_paths: Callable[[], Sequence[str]] = _evdev_list,
    open_device: Callable[[str], InputDeviceLike] = _evdev_open,
) -> InputDeviceLike:
    """Open the one input device `selector` names; raise if none or several match."""
    if selector.path is not None:
        try:
            return open_device(selector.path)
        except OSError as exc:
            raise ScannerNotFound(f"HID scanner {selector.path} cannot be opened: {exc}") from exc
    matches: list[InputDeviceLike] = []
    for path in sorted(list_paths()):
        try:
            device = open_device(path)
        except OSError:
            continue  # vanished or no permission: not ours to judge
        if selector.matches(device) and _types_reads(device):
            matches.append(device)
        else:
            device.close()
    if not matches:
        raise ScannerNotFound(
            f"no input device matches {selector.describe()}; check the cable and the ids "
            "(lsusb; ls -l /dev/input/by-id)"
        )
    if len(matches) > 1:
        paths = ", ".join(d.path for d in matches)
        for device in matches:
            device.close()
        raise AmbiguousScanner(
            f"{len(matches)} input devices match {selector.describe()} ({paths}); "
            "configure the scanner's serial or its /dev/input/by-id path"
        )
    return matches[0]


# --- the reader -----------------------------------------------------------------------


class HidScanner(ScannerReader):
    """A grabbed HID keyboard scanner read by one thread; survives unplug/re-plug."""

    def __init__(
        self,
        selector: HidSelector,
        *,
        decoder: HidKeyDecoder | None = None,
        source: str | None = None,
        events: queue.Queue[Scan] | None = None,
        duplicate_window_s: float = DEFAULT_DUPLICATE_WINDOW_S,
        poll_s: float = 0.05,
        backoff: Backoff | None = None,
        find: Callable[[HidSelector], InputDeviceLike] = find_hid_device,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(
            source or selector.describe(),
            events=events,
            duplicate_window_s=duplicate_window_s,
            poll_s=poll_s,
            clock=clock,
            monotonic=monotonic,
        )
        self.selector = selector
        self.decoder = decoder or HidKeyDecoder()
        self._backoff = backoff or Backoff(initial=0.1, maximum=2.0)
        self._find = find
        self._ever_connected = False

    def _handle(self, outcomes: list[Frame | Rejected | Partial]) -> None:
        for outcome in outcomes:
            if isinstance(outcome, Frame):
                self._deliver(outcome.data, outcome.symbology)
            elif isinstance(outcome, Rejected):
                self._count_rejected(outcome.reason.value, outcome.raw)
            else:
                self._count_partial()

    def _open(self) -> InputDeviceLike | None:
        try:
            device = self._find(self.selector)
        except ScannerError as exc:
            self._set_connected(False, str(exc))
            return None
        try:
            device.grab()  # before the first read: no keystroke may reach the UI
        except OSError as exc:
            device.close()
            self._set_connected(False, f"cannot grab {self.selector.describe()}: {exc}")
            return None
        if self._ever_connected:
            self._count_reconnect()
        self._ever_connected = True
        self._set_connected(True)
        self._handle(self.decoder.joined(self._clock()))
        return device

    def _release_device(self, device: InputDeviceLike) -> None:
        with contextlib.suppress(OSError):
            device.ungrab()
        with contextlib.suppress(OSError):
            device.close()

    def _run(self) -> None:
        device: InputDeviceLike | None = None
        delay = self._backoff.initial
        try:
            while not self._stop.is_set():
                if device is None:
                    device = self._open()
                    if device is None:
                        self._stop.wait(delay)
                        delay = self._backoff.next(delay)
                        continue
                    delay = self._backoff.initial
                try:
                    ready, _, _ = select.select([device.fileno()], [], [], self._poll_s)
                    events = list(device.read()) if ready else []
                except BlockingIOError:
                    events = []
                except (OSError, ValueError) as exc:
                    # ENODEV: unplugged. The partial read is dropped, never completed.
                    self._handle(self.decoder.reset())
                    self._release_device(device)
                    device = None
                    self._set_connected(False, f"{self.selector.describe()} lost: {exc}")
                    continue
                for event in events:
                    if event.type == km.EV_KEY:
                        self._handle(self.decoder.feed(event.code, event.value, event.timestamp()))
                if not events:
                    self._handle(self.decoder.expire(self._clock()))
        finally:
            if device is not None:
                self._release_device(device)
            self._set_connected(False)
