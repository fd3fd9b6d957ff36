"""The device manager: one driver per configured role, one health snapshot per device.

`DeviceManager(config.devices)` opens each role's driver from `drivers/` (scanners,
camera, receipt printer, scales), starts it, and keeps it running; drivers own their
I/O threads and recover by themselves. Like a Home Assistant coordinator, the app
reads state from `snapshot()` (one `DeviceHealth` per role) and never pokes drivers
from the UI; what needs a conversation with a device (the printer's real-time status)
is fetched by the manager's own thread at a bounded rate.

Scans from every scanner and the camera arrive on one queue (`scans`, `next_scan`),
each `Scan.source` naming its role; weights from both scales on `weights`.

`start()` returns at once: drivers are opened on the manager's thread, so an absent
or slow device never blocks the caller, and a device that cannot be opened shows as
`failed` in its health instead of raising. With `simulate=True` the in-repo
simulators (serial scanner, ESC/POS printer, MT-SICS produce scale, Toledo bagging
scale) are started on ptys and the roles point at them, so the same drivers talk to
them over the same transports (STYLE.md, OctoPrint's virtual printer). The simulators'
modules are imported only then: a kiosk on real devices never loads them
(tests/test_kiosk_imports.py).
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Self

from drivers.printer.cjk import Codec
from drivers.printer.escpos_printer import ReceiptPrinter
from drivers.printer.status import Readiness
from drivers.scale import SicsScale, Toledo8217Scale, Weight, open_scale
from drivers.scanner import Scan, ScannerReader, open_scanner
from kiosk.device_config import (
    CAMERA,
    ESCPOS,
    HID_SCANNER,
    ROLES,
    SCANNER_ROLES,
    SERIAL_SCANNER,
    SICS,
    TOLEDO,
    CameraConfig,
    DeviceConfig,
    DevicesConfig,
    PrinterConfig,
    ScaleConfig,
    ScannerConfig,
)
from kiosk.device_health import (
    DeviceHealth,
    DeviceState,
    Reading,
    camera_reading,
    printer_reading,
    scale_reading,
    scanner_reading,
)

if TYPE_CHECKING:  # OpenCV is the optional `camera` extra: imported only for a camera
    from drivers.camera import CameraReader
    from drivers.printer.sim import PrinterSimulator
    from drivers.scale.sim import SicsSimulator, Toledo8217Simulator
    from drivers.scanner.sim import ScannerSimulator

    Simulator = ScannerSimulator | PrinterSimulator | Toledo8217Simulator | SicsSimulator

__all__ = [
    "SIMULATED_DEFAULTS",
    "DeviceHealth",
    "DeviceManager",
    "DeviceState",
    "planned_roles",
]

log = logging.getLogger(__name__)

SIMULATOR_URL = "simulator"  # placeholder until the simulator has made its pty

#: What `simulate` adds for roles the config leaves out (SPEC section 10, `kiosk run --simulate`).
SIMULATED_DEFAULTS: dict[str, DeviceConfig] = {
    "main_scanner": ScannerConfig("main_scanner", SERIAL_SCANNER, SIMULATOR_URL, "datalogic"),
    "receipt_printer": PrinterConfig("receipt_printer", ESCPOS, SIMULATOR_URL),
    "produce_scale": ScaleConfig("produce_scale", SICS, SIMULATOR_URL),
    "bagging_scale": ScaleConfig("bagging_scale", TOLEDO, SIMULATOR_URL),
}

Scale = Toledo8217Scale | SicsScale


@dataclass(slots=True)
class _Device:
    """An opened driver, with how to read its health and how to stop it."""

    read: Callable[[], Reading]
    stop: Callable[[], None]


def planned_roles(config: DevicesConfig, simulate: bool) -> dict[str, DeviceConfig]:
    """The roles the manager runs: the configured ones, plus simulated defaults.

    When simulating, an HID scanner becomes a serial scanner on the simulator (a
    keyboard cannot be simulated without /dev/uinput); a camera stays as configured
    (a video file is its simulator).
    """
    roles = config.configured()
    if simulate:
        for role, default in SIMULATED_DEFAULTS.items():
            roles.setdefault(role, default)
        for role in SCANNER_ROLES:
            device = roles.get(role)
            if isinstance(device, ScannerConfig) and device.driver == HID_SCANNER:
                roles[role] = ScannerConfig(
                    role, SERIAL_SCANNER, device.url, "datalogic", device.duplicate_window_ms
                )
    return {role: roles[role] for role in ROLES if role in roles}


class DeviceManager:
    """Runs the kiosk's devices; see the module docstring. Start once, stop once."""

    def __init__(
        self,
        config: DevicesConfig,
        *,
        simulate: bool | None = None,
        spool: str | Path = ":memory:",
        status_interval_s: float = 5.0,
        scans: queue.Queue[Scan] | None = None,
        weights: queue.Queue[Weight] | None = None,
    ) -> None:
        self.config = config
        self.simulate = config.simulate if simulate is None else simulate
        self.scans: queue.Queue[Scan] = scans if scans is not None else queue.Queue()
        self.weights: queue.Queue[Weight] = weights if weights is not None else queue.Queue()
        self._spool = spool
        self._status_interval_s = status_interval_s
        self._lock = threading.Lock()
        self._roles = planned_roles(config, self.simulate)
        self._simulated = frozenset(r for r in self._roles if self.simulate and r != CAMERA)
        self._devices: dict[str, _Device] = {}
        self._failed: dict[str, str] = {}
        self._sims: dict[str, Simulator] = {}
        self._scanners: dict[str, ScannerReader | CameraReader] = {}
        self._scales: dict[str, Scale] = {}
        self._printer: ReceiptPrinter | None = None
        self._readiness: Readiness | None = None
        self._stop = threading.Event()
        self._opened = threading.Event()
        self._thread: threading.Thread | None = None
        self._state = DeviceState.STOPPED

    # --- lifecycle ----------------------------------------------------------------------
    def start(self) -> Self:
        """Start the simulators (if simulating) and, on the manager's thread, the drivers."""
        with self._lock:
            if self._state is not DeviceState.STOPPED or self._stop.is_set():
                raise RuntimeError("a DeviceManager is started once")
            self._state = DeviceState.STARTING
        if self.simulate:
            self._start_simulators()
        self._thread = threading.Thread(target=self._run, name="device-manager")
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop every driver, then the simulators; idempotent, no thread left behind."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=30)
        with self._lock:
            devices = list(self._devices.items())
            sims = list(self._sims.values())
            self._state = DeviceState.STOPPED
        for role, device in reversed(devices):
            try:
                device.stop()
            except Exception:
                log.exception("device did not stop cleanly", extra={"role": role})
        for sim in sims:
            sim.stop()
        self._opened.set()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def wait_started(self, timeout: float) -> bool:
        """True once every driver has been opened (or failed) and the printer asked once."""
        return self._opened.wait(timeout)

    def wait_connected(self, timeout: float) -> bool:
        """True once every running device is connected (bounded wait)."""
        deadline = time.monotonic() + timeout
        while not self._stop.is_set():
            health = self.snapshot().values()
            if self._opened.is_set() and all(h.connected for h in health):
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self._stop.wait(min(0.02, remaining))
        return False

    # --- what the app reads -----------------------------------------------------------------
    @property
    def roles(self) -> dict[str, DeviceConfig]:
        """The roles this manager runs, with the URLs it uses (simulators' once started)."""
        with self._lock:
            return dict(self._roles)

    def snapshot(self) -> dict[str, DeviceHealth]:
        """One health record per role; never waits for a device."""
        with self._lock:
            roles = dict(self._roles)
            devices = dict(self._devices)
            failed = dict(self._failed)
            state = self._state
        out: dict[str, DeviceHealth] = {}
        for role, config in roles.items():
            device = devices.get(role)
            if device is not None and state is not DeviceState.STOPPED:
                reading = device.read()
            elif role in failed:
                reading = Reading(DeviceState.FAILED, False, failed[role], None, "", {})
            else:
                idle = DeviceState.STARTING if state is DeviceState.STARTING else state
                reading = Reading(idle, False, None, None, "", {})
            out[role] = DeviceHealth(
                role=role,
                driver=config.driver,
                url=config.url,
                simulated=role in self._simulated,
                state=reading.state,
                connected=reading.connected,
                last_error=reading.last_error,
                fault=reading.fault,
                detail=reading.detail,
                counters=reading.counters,
            )
        return out

    def next_scan(self, timeout: float | None = None) -> Scan | None:
        """The next scan from any scanner or the camera, or None after `timeout` s."""
        try:
            return self.scans.get(timeout=timeout)
        except queue.Empty:
            return None

    @property
    def printer(self) -> ReceiptPrinter | None:
        """The receipt printer driver once opened (its `ready()` is the pre-payment check)."""
        with self._lock:
            return self._printer

    def scale(self, role: str) -> Scale | None:
        with self._lock:
            return self._scales.get(role)

    def enable_scanners(self) -> None:
        with self._lock:
            readers = list(self._scanners.values())
        for reader in readers:
            reader.enable()

    def disable_scanners(self) -> None:
        """Drop reads from every scanner and the camera (e.g. during payment)."""
        with self._lock:
            readers = list(self._scanners.values())
        for reader in readers:
            reader.disable()

    def simulator(self, role: str) -> Simulator | None:
        """The simulator behind a role when simulating (to script it), else None."""
        with self._lock:
            return self._sims.get(role)

    def simulate_scan(self, role: str, data: str, symbology: str | None = None) -> bool:
        """Make a simulated scanner "read" `data`; False when the role is not simulated."""
        sim = self.simulator(role)
        if sim is None:
            return False
        from drivers.scanner.sim import ScannerSimulator  # noqa: PLC0415 - loaded when simulating

        if not isinstance(sim, ScannerSimulator):
            return False
        sim.scan(data, symbology)
        return True

    # --- the manager's thread -----------------------------------------------------------------
    def _start_simulators(self) -> None:
        for role in sorted(self._simulated, key=ROLES.index):
            config = self._roles[role]
            try:
                sim = _make_simulator(config).start()
            except (OSError, RuntimeError) as exc:
                self._fail(role, config, f"simulator did not start: {exc}")
                continue
            with self._lock:
                self._sims[role] = sim
                self._roles[role] = dataclasses.replace(config, url=sim.url)

    def _run(self) -> None:
        for role, config in self.roles.items():
            if self._stop.is_set():
                break
            if role in self._failed:
                continue
            try:
                self._open(role, config)
            except Exception as exc:  # reported in health: start-up never raises
                self._fail(role, config, f"{config.driver} at {config.url} did not start: {exc}")
        with self._lock:
            if self._state is DeviceState.STARTING:
                self._state = DeviceState.RUNNING
        while not self._stop.is_set():
            self._poll_printer()
            self._opened.set()
            self._stop.wait(self._status_interval_s)

    def _fail(self, role: str, config: DeviceConfig, message: str) -> None:
        log.error(
            "device failed",
            extra={"role": role, "driver": config.driver, "url": config.url, "error": message},
        )
        with self._lock:
            self._failed[role] = message

    def _poll_printer(self) -> None:
        printer = self.printer
        if printer is None:
            return
        answer = printer.ready()  # never raises for a printer fault
        with self._lock:
            self._readiness = answer

    def _open(self, role: str, config: DeviceConfig) -> None:
        device: _Device
        if isinstance(config, ScannerConfig):
            reader = open_scanner(
                config.url,
                model=config.model,
                source=role,
                events=self.scans,
                duplicate_window_s=config.duplicate_window_ms / 1000,
            )
            self._register(role, _Device(lambda: scanner_reading(reader.health()), reader.stop))
            with self._lock:
                self._scanners[role] = reader
            reader.start()
        elif isinstance(config, CameraConfig):
            camera = _open_camera(role, config, self.scans)
            self._register(role, _Device(lambda: camera_reading(camera.health()), camera.stop))
            with self._lock:
                self._scanners[role] = camera
            camera.start()
        elif isinstance(config, PrinterConfig):
            codec: Codec = "gbk" if config.codec == "gbk" else "gb18030"
            printer = ReceiptPrinter(
                config.url,
                spool=self._spool,
                codec=codec,
                status_timeout_s=config.status_timeout_ms / 1000,
            )
            device = _Device(
                lambda: printer_reading(printer.health(), self._readiness_now()), printer.close
            )
            self._register(role, device)
            with self._lock:
                self._printer = printer
            printer.start()
        else:
            scale = open_scale(
                config.driver,
                config.url,
                source=role,
                response_timeout_s=config.response_timeout_ms / 1000,
                poll_interval_s=config.poll_ms / 1000,
                stream=config.stream,
                events=self.weights,
            )
            self._register(role, _Device(lambda: scale_reading(scale.health()), scale.stop))
            with self._lock:
                self._scales[role] = scale
            scale.start()

    def _readiness_now(self) -> Readiness | None:
        with self._lock:
            return self._readiness

    def _register(self, role: str, device: _Device) -> None:
        with self._lock:
            self._devices[role] = device


# --- opening and reading drivers ----------------------------------------------------------


def _make_simulator(config: DeviceConfig) -> Simulator:
    # Imported here: a kiosk that does not simulate never loads the simulators.
    from drivers.printer.sim import PtyPrinterSimulator  # noqa: PLC0415
    from drivers.scale.sim import ScaleModel, make_scale_simulator  # noqa: PLC0415
    from drivers.scanner.sim import ScannerSimulator  # noqa: PLC0415
    from drivers.simlink import PtyLink  # noqa: PLC0415

    if isinstance(config, ScannerConfig):
        return ScannerSimulator(PtyLink(config.role), gap_s=0.0)
    if isinstance(config, PrinterConfig):
        return PtyPrinterSimulator()
    if isinstance(config, ScaleConfig):
        return make_scale_simulator(config.driver, PtyLink(config.role), ScaleModel())
    raise ValueError(f"no simulator for {config.driver}")


def _open_camera(role: str, config: CameraConfig, scans: queue.Queue[Scan]) -> CameraReader:
    from drivers.camera import CameraReader, Roi  # noqa: PLC0415 - the optional extra

    return CameraReader(
        config.url,
        source=role,
        events=scans,
        roi=None if config.roi is None else Roi(*config.roi),
        max_fps=config.max_fps,
        duplicate_window_s=config.duplicate_window_ms / 1000,
    )
