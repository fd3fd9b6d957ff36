"""The devices a lane uses, behind one small port, and the feed from devices to the lane.

`LaneDevices` is what the lane needs from hardware: may it take money and print
(pre-payment printer check), print a receipt, health for the attendant panel, and
scanners on/off. `ManagedDevices` adapts the `DeviceManager` (real or simulated
drivers); `MemoryDevices` is an in-memory printer for tests and the offscreen journey.
`DeviceFeed` forwards scans and weights from the manager's queues to the lane on its
own threads, so scans reach the current screen through the app, never as keystrokes.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Protocol, TypeVar

from drivers.scale import Weight
from drivers.scanner import Scan
from kiosk.device_manager import DeviceManager
from kiosk.lane_view import DeviceView

log = logging.getLogger(__name__)

T = TypeVar("T")

PRINTER_ROLE = "receipt_printer"


class LaneDevices(Protocol):
    def printer_ready(self) -> bool:
        """The pre-payment check: can a receipt be printed now? Must not block long."""
        ...

    def print_receipt(self, data: bytes, job_id: str) -> bool:
        """Print (spooled, once per job id); True when it printed."""
        ...

    def health(self) -> tuple[DeviceView, ...]: ...

    def scanners_enabled(self, enabled: bool) -> None: ...


class MemoryDevices:
    """An in-memory receipt printer and nothing else (tests, offscreen journeys)."""

    def __init__(self, *, printer_ok: bool = True) -> None:
        self.printer_ok = printer_ok
        self.printed: dict[str, bytes] = {}
        self.scanning = True

    def printer_ready(self) -> bool:
        return self.printer_ok

    def print_receipt(self, data: bytes, job_id: str) -> bool:
        if not self.printer_ok:
            return False
        self.printed.setdefault(job_id, data)
        return True

    def health(self) -> tuple[DeviceView, ...]:
        state = "running" if self.printer_ok else "failed"
        detail = "" if self.printer_ok else "paper end"
        return (DeviceView(PRINTER_ROLE, state, self.printer_ok, True, detail),)

    def scanners_enabled(self, enabled: bool) -> None:
        self.scanning = enabled


class ManagedDevices:
    """`LaneDevices` over a running `DeviceManager`."""

    def __init__(self, manager: DeviceManager) -> None:
        self.manager = manager

    def printer_ready(self) -> bool:
        # The manager polls the printer's real-time status on its own thread; reading its
        # snapshot never waits for the device.
        health = self.manager.snapshot().get(PRINTER_ROLE)
        return health is not None and health.connected and health.fault is None

    def print_receipt(self, data: bytes, job_id: str) -> bool:
        printer = self.manager.printer
        if printer is None:
            return False
        return printer.print_job(data, job_id).printed

    def health(self) -> tuple[DeviceView, ...]:
        return tuple(
            DeviceView(
                role=h.role,
                state=str(h.state),
                connected=h.connected,
                simulated=h.simulated,
                detail=h.fault or h.last_error or "",
            )
            for h in self.manager.snapshot().values()
        )

    def scanners_enabled(self, enabled: bool) -> None:
        if enabled:
            self.manager.enable_scanners()
        else:
            self.manager.disable_scanners()


class DeviceFeed:
    """Forward scans and weights from queues to callbacks, each on its own thread."""

    def __init__(
        self,
        scans: queue.Queue[Scan],
        weights: queue.Queue[Weight],
        on_scan: Callable[[str], None],
        on_weight: Callable[[Weight], None],
        *,
        poll_s: float = 0.1,
    ) -> None:
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(
                target=self._pump,
                args=(scans, lambda s: on_scan((s.symbology or "") + s.data)),
                name="feed-scans",
            ),
            threading.Thread(target=self._pump, args=(weights, on_weight), name="feed-weights"),
        ]
        self._poll_s = poll_s

    def start(self) -> DeviceFeed:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout=5)

    def _pump(self, source: queue.Queue[T], sink: Callable[[T], None]) -> None:
        while not self._stop.is_set():
            try:
                item = source.get(timeout=self._poll_s)
            except queue.Empty:
                continue
            try:
                sink(item)
            except Exception:
                log.exception("device feed could not deliver an event")
