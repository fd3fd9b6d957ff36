"""HID scanners: deterministic device selection, grab, reader thread, unplug/re-plug.

evdev device access is the edge of the world: these tests use a fake device object
(a pipe for readiness, real `evdev.InputEvent`s for the events) and never /dev/uinput.
"""

from __future__ import annotations

import contextlib
import errno
import os
import threading
import time
from collections import deque
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from evdev import InputEvent, ecodes

from drivers.errors import AmbiguousScanner, ScannerError, ScannerNotFound
from drivers.scanner import keymap as km
from drivers.scanner.hid import HidKeyDecoder, HidScanner, HidSelector, find_hid_device
from drivers.transport import Backoff
from tests.drivers.fdcheck import no_fd_leaks  # noqa: F401 - fixture
from tests.drivers.waiting import wait_until

pytestmark = pytest.mark.usefixtures("no_fd_leaks")

SCANNER_KEYS = [km.KEY_ENTER, *range(2, 12), *km.US_KEYMAP, km.KEY_LEFTSHIFT, km.KEY_LEFTCTRL]


class FakeInputDevice:
    """Stands in for `evdev.InputDevice`: the same methods, events pushed by the test."""

    def __init__(
        self,
        path: str,
        vendor: int,
        product: int,
        *,
        uniq: str = "",
        name: str = "Barcode Scanner",
        keys: list[int] | None = None,
    ) -> None:
        self.path = path
        self.uniq = uniq
        self.name = name
        self.info = SimpleNamespace(bustype=3, vendor=vendor, product=product, version=0x110)
        self._keys = SCANNER_KEYS if keys is None else keys
        self._r, self._w = os.pipe()
        os.set_blocking(self._r, False)
        self._events: deque[InputEvent] = deque()
        self._lock = threading.Lock()
        self.calls: list[str] = []
        self.grab_error: int | None = None
        self.unplugged = False
        self.closed = False

    def fileno(self) -> int:
        return self._r

    def push(self, events: list[InputEvent]) -> None:
        with self._lock:
            self._events.extend(events)
        os.write(self._w, b"x")

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._events)

    def unplug(self) -> None:
        self.unplugged = True
        os.write(self._w, b"x")

    def read(self) -> list[InputEvent]:
        self.calls.append("read")
        if self.unplugged:
            raise OSError(errno.ENODEV, "No such device")
        with contextlib.suppress(BlockingIOError):
            os.read(self._r, 4096)
        with self._lock:
            events, self._events = list(self._events), deque()
        if not events:
            raise BlockingIOError(errno.EAGAIN, "no events")
        return events

    def grab(self) -> None:
        self.calls.append("grab")
        if self.grab_error is not None:
            raise OSError(self.grab_error, os.strerror(self.grab_error))

    def ungrab(self) -> None:
        self.calls.append("ungrab")

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.calls.append("close")
            os.close(self._r)
            os.close(self._w)

    def capabilities(self, verbose: bool = False, absinfo: bool = True) -> dict[int, list[int]]:
        return {ecodes.EV_SYN: [0], ecodes.EV_KEY: list(self._keys)}


def key_events(text: str, *, start: float | None = None) -> list[InputEvent]:
    """What a US-layout scanner's event node produces for `text` + Enter, in evtest
    order: MSC_SCAN, the key event, SYN_REPORT, one millisecond per event."""
    t = time.time() if start is None else start
    out: list[InputEvent] = []

    def emit(code: int, value: int) -> None:
        nonlocal t
        sec, usec = int(t), int((t % 1) * 1_000_000)
        out.append(InputEvent(sec, usec, ecodes.EV_MSC, ecodes.MSC_SCAN, 0x70000 + code))
        out.append(InputEvent(sec, usec, ecodes.EV_KEY, code, value))
        out.append(InputEvent(sec, usec, ecodes.EV_SYN, ecodes.SYN_REPORT, 0))
        t += 0.001

    for char in text:
        if char == "\x1d":
            for code, value in [(29, 1), (27, 1), (27, 0), (29, 0)]:
                emit(code, value)
            continue
        code, shift = km.keys_for_char(char)
        if shift:
            emit(km.KEY_LEFTSHIFT, 1)
        emit(code, 1)
        emit(code, 0)
        if shift:
            emit(km.KEY_LEFTSHIFT, 0)
    emit(km.KEY_ENTER, 1)
    emit(km.KEY_ENTER, 0)
    return out


@pytest.fixture
def devices() -> Iterator[list[FakeInputDevice]]:
    made: list[FakeInputDevice] = []
    yield made
    for device in made:
        device.close()


def make(devices: list[FakeInputDevice], *args: object, **kwargs: object) -> FakeInputDevice:
    device = FakeInputDevice(*args, **kwargs)  # type: ignore[arg-type]
    devices.append(device)
    return device


# --- device selection ------------------------------------------------------------------


def test_selection_by_ids_picks_the_node_that_types_reads(
    devices: list[FakeInputDevice],
) -> None:
    keyboard_node = make(devices, "/dev/input/event3", 0x0C2E, 0x0B61)
    consumer_node = make(devices, "/dev/input/event4", 0x0C2E, 0x0B61, keys=[113, 114, 115])
    real_keyboard = make(devices, "/dev/input/event2", 0x046D, 0xC31C, name="Scanner-ish kbd")
    by_path = {d.path: d for d in devices}
    found = find_hid_device(
        HidSelector(vendor_id=0x0C2E, product_id=0x0B61),
        list_paths=lambda: list(by_path),
        open_device=by_path.__getitem__,
    )
    assert found is keyboard_node
    assert consumer_node.closed
    assert real_keyboard.closed


def test_name_alone_never_selects_a_device(devices: list[FakeInputDevice]) -> None:
    make(devices, "/dev/input/event5", 0x1234, 0x5678, name="Honeywell Barcode Scanner")
    by_path = {d.path: d for d in devices}
    with pytest.raises(ScannerNotFound, match="0c2e:0b61"):
        find_hid_device(
            HidSelector(vendor_id=0x0C2E, product_id=0x0B61),
            list_paths=lambda: list(by_path),
            open_device=by_path.__getitem__,
        )


def test_two_identical_scanners_need_a_serial_or_path(devices: list[FakeInputDevice]) -> None:
    first = make(devices, "/dev/input/event6", 0x05E0, 0x1200, uniq="S-AAA")
    second = make(devices, "/dev/input/event7", 0x05E0, 0x1200, uniq="S-BBB")
    by_path = {d.path: d for d in devices}
    with pytest.raises(AmbiguousScanner, match=r"event6.*event7"):
        find_hid_device(
            HidSelector(vendor_id=0x05E0, product_id=0x1200),
            list_paths=lambda: list(by_path),
            open_device=by_path.__getitem__,
        )
    assert first.closed
    assert second.closed


def test_serial_number_tells_identical_scanners_apart(devices: list[FakeInputDevice]) -> None:
    make(devices, "/dev/input/event6", 0x05E0, 0x1200, uniq="S-AAA")
    wanted = make(devices, "/dev/input/event7", 0x05E0, 0x1200, uniq="S-BBB")
    by_path = {d.path: d for d in devices}
    found = find_hid_device(
        HidSelector(vendor_id=0x05E0, product_id=0x1200, serial="S-BBB"),
        list_paths=lambda: list(by_path),
        open_device=by_path.__getitem__,
    )
    assert found is wanted


def test_by_id_path_opens_exactly_that_path(devices: list[FakeInputDevice]) -> None:
    path = "/dev/input/by-id/usb-Datalogic_QD2430-event-kbd"
    device = make(devices, path, 0x05F9, 0x2206)
    opened: list[str] = []

    def open_device(p: str) -> FakeInputDevice:
        opened.append(p)
        return device

    def no_listing() -> list[str]:
        raise AssertionError("a configured path must not enumerate devices")

    assert find_hid_device(HidSelector(path=path), list_paths=no_listing, open_device=open_device)
    assert opened == [path]


def test_missing_by_id_path_raises_not_found() -> None:
    def open_device(path: str) -> FakeInputDevice:
        raise FileNotFoundError(errno.ENOENT, "No such file", path)

    with pytest.raises(ScannerNotFound, match="by-id/usb-x"):
        find_hid_device(HidSelector(path="/dev/input/by-id/usb-x"), open_device=open_device)


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"vendor_id": 0x05E0}, {"path": "/dev/input/event1", "vendor_id": 1, "product_id": 2}],
)
def test_selector_needs_path_or_both_ids(kwargs: dict[str, object]) -> None:
    with pytest.raises(ScannerError):
        HidSelector(**kwargs)  # type: ignore[arg-type]


# --- the reader thread ----------------------------------------------------------------------

FAST = Backoff(initial=0.01, maximum=0.05)


def reader(
    find: object, *, source: str = "hid", events: object = None, timeout: float = 0.05
) -> HidScanner:
    return HidScanner(
        HidSelector(path="/dev/input/by-id/fake"),
        decoder=HidKeyDecoder(inter_key_timeout_s=timeout),
        source=source,
        events=events,  # type: ignore[arg-type]
        backoff=FAST,
        find=find,  # type: ignore[arg-type]
    )


def ready(scanner: HidScanner) -> bool:
    connected = wait_until(lambda: scanner.health().connected)
    time.sleep(0.1)  # not an assertion: lets the just-opened guard window (50 ms) pass
    return connected


def test_device_is_grabbed_before_anything_is_read_and_released_on_stop(
    devices: list[FakeInputDevice],
) -> None:
    device = make(devices, "/dev/input/event3", 0x0C2E, 0x0B61)
    with reader(lambda _: device) as scanner:
        assert ready(scanner)
        device.push(key_events("]E04006381333931"))
        scan = scanner.get(5)
    assert scan is not None
    assert (scan.data, scan.symbology, scan.source) == ("4006381333931", "]E0", "hid")
    assert device.calls[0] == "grab"
    assert device.calls[-2:] == ["ungrab", "close"]


def test_gs1_read_with_ctrl_bracket_arrives_with_gs(devices: list[FakeInputDevice]) -> None:
    device = make(devices, "/dev/input/event3", 0x0C2E, 0x0B61)
    with reader(lambda _: device) as scanner:
        assert ready(scanner)
        device.push(key_events("]d2010401234567890110LOT7\x1d21SER"))
        scan = scanner.get(5)
    assert scan is not None
    assert scan.data == "010401234567890110LOT7\x1d21SER"


def test_several_hid_scanners_at_once_each_named_in_its_scans(
    devices: list[FakeInputDevice],
) -> None:
    hand = make(devices, "/dev/input/event3", 0x0C2E, 0x0B61, uniq="HAND")
    flatbed = make(devices, "/dev/input/event4", 0x05F9, 0x4204, uniq="FLAT")
    hand_scanner = reader(lambda _: hand, source="handheld")
    flat_scanner = reader(lambda _: flatbed, source="flatbed", events=hand_scanner.events)
    with hand_scanner, flat_scanner:
        assert ready(hand_scanner)
        assert ready(flat_scanner)
        hand.push(key_events("4006381333931"))
        flatbed.push(key_events("96385074"))
        got = {hand_scanner.get(5), hand_scanner.get(5)}
    assert {(s.source, s.data) for s in got if s} == {
        ("handheld", "4006381333931"),
        ("flatbed", "96385074"),
    }


def test_unplugged_scanner_is_found_again_when_replugged(
    devices: list[FakeInputDevice],
) -> None:
    first = make(devices, "/dev/input/event3", 0x0C2E, 0x0B61)
    second = make(devices, "/dev/input/event9", 0x0C2E, 0x0B61)
    plugged: list[FakeInputDevice | None] = [first]

    def find(_: HidSelector) -> FakeInputDevice:
        device = plugged[0]
        if device is None:
            raise ScannerNotFound("no input device matches usb-hid 0c2e:0b61")
        return device

    with reader(find) as scanner:
        assert ready(scanner)
        half = key_events("4006381333931")
        first.push(half[: len(half) // 2])  # unplugged in the middle of a read
        assert wait_until(lambda: first.pending == 0)
        plugged[0] = None
        first.unplug()
        assert wait_until(lambda: not scanner.health().connected)
        assert "0c2e:0b61" in (scanner.health().last_error or "")
        plugged[0] = second
        assert wait_until(lambda: scanner.health().reconnects == 1)
        assert ready(scanner)
        second.push(key_events("96385074"))
        scan = scanner.get(5)
        health = scanner.health()
    assert scan is not None
    assert scan.data == "96385074"
    assert health.partial_frames_dropped == 1
    assert first.closed


def test_grab_refused_is_reported_and_retried(devices: list[FakeInputDevice]) -> None:
    busy = [True]  # another process holds the grab

    def find(_: HidSelector) -> FakeInputDevice:
        device = make(devices, "/dev/input/event3", 0x0C2E, 0x0B61)
        device.grab_error = errno.EBUSY if busy[0] else None
        return device

    with reader(find) as scanner:
        assert wait_until(lambda: "cannot grab" in (scanner.health().last_error or ""))
        assert not scanner.health().connected
        busy[0] = False
        assert ready(scanner)
        devices[-1].push(key_events("96385074"))
        scan = scanner.get(5)
    assert scan is not None
    assert scan.data == "96385074"
    assert all(d.closed for d in devices)  # refused devices were closed, not leaked


def test_disabled_hid_scanner_drops_reads_and_counts_them(
    devices: list[FakeInputDevice],
) -> None:
    device = make(devices, "/dev/input/event3", 0x0C2E, 0x0B61)
    with reader(lambda _: device) as scanner:
        assert ready(scanner)
        scanner.disable()
        device.push(key_events("4006381333931"))
        assert wait_until(lambda: scanner.health().discarded_while_disabled == 1)
        scanner.enable()
        device.push(key_events("96385074"))
        scan = scanner.get(5)
    assert scan is not None
    assert scan.data == "96385074"


def test_keys_arriving_just_after_open_are_not_taken_for_a_whole_read(
    devices: list[FakeInputDevice],
) -> None:
    device = make(devices, "/dev/input/event3", 0x0C2E, 0x0B61)
    with reader(lambda _: device, timeout=0.5) as scanner:
        assert wait_until(lambda: scanner.health().connected)
        tail = key_events("81333931")  # the end of a read that began before the open
        device.push(tail)
        assert wait_until(lambda: scanner.health().partial_frames_dropped == 1)
        assert scanner.get(0.05) is None
