"""`DevicesConfig`: which driver and URL serves each device role, parsed once and validated.

The `[devices]` table of the kiosk config (SPEC section 4; issue 4 "Device manager"):

    [devices]
    simulate = false           # true: run the in-repo simulators instead of hardware

    [devices.main_scanner]     # or hand_scanner (an optional second scanner)
    driver = "serial-scanner"  # or "hid-scanner" (url = "hid://0c2e:0b61?serial=..." or
    url = "serial:///dev/ttyACM0?baudrate=9600"       #  "hid:///dev/input/by-id/...")
    model = "datalogic"        # serial-scanner only: generic | datalogic | cipherlab
    duplicate_window_ms = 500

    [devices.camera]
    driver = "camera"
    url = "camera:0"           # a device index, /dev/videoN, or file:///path/video.avi
    roi = [0, 120, 640, 240]   # x, y, width, height in pixels (optional)
    max_fps = 15

    [devices.receipt_printer]
    driver = "escpos"
    url = "usb://04b8:0202"    # serial://..., tcp://host[:9100], file:///dev/usb/lp0
    codec = "gb18030"
    paper_mm = 80
    status_timeout_ms = 500

    [devices.produce_scale]    # and bagging_scale
    driver = "mt-sics"         # or "toledo8217"
    url = "serial:///dev/ttyUSB0?baudrate=9600"
    poll_ms = 200
    response_timeout_ms = 1000
    stream = false             # mt-sics only: continuous SIR output instead of polling

Like every section of the one config loader (`kiosk.config`, Klipper style), unknown
roles, unknown keys, wrong drivers, bad URLs and out-of-range options raise
`DeviceConfigError` naming the file, `[devices.<role>]` and the key. URLs are checked
with the drivers' own parsers, without opening anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from drivers.errors import DriverError
from drivers.scale import DRIVERS as SCALE_DRIVERS
from drivers.scanner.factory import parse_hid_url
from drivers.scanner.serial_scanner import MODELS as SCANNER_MODELS
from drivers.transport import FileSpec, UsbSpec, parse_transport_url
from kiosk.config_table import REQUIRED, Table
from kiosk.errors import ConfigError

T = TypeVar("T")

ROLES: tuple[str, ...] = (
    "main_scanner",
    "hand_scanner",
    "camera",
    "receipt_printer",
    "produce_scale",
    "bagging_scale",
)
SCANNER_ROLES: tuple[str, ...] = ("main_scanner", "hand_scanner")
SCALE_ROLES: tuple[str, ...] = ("produce_scale", "bagging_scale")

SERIAL_SCANNER = "serial-scanner"
HID_SCANNER = "hid-scanner"
CAMERA = "camera"
ESCPOS = "escpos"
TOLEDO = "toledo8217"
SICS = "mt-sics"

#: The drivers each role accepts.
ROLE_DRIVERS: dict[str, tuple[str, ...]] = {
    "main_scanner": (SERIAL_SCANNER, HID_SCANNER),
    "hand_scanner": (SERIAL_SCANNER, HID_SCANNER),
    "camera": (CAMERA,),
    "receipt_printer": (ESCPOS,),
    "produce_scale": tuple(sorted(SCALE_DRIVERS)),
    "bagging_scale": tuple(sorted(SCALE_DRIVERS)),
}

#: The keys each driver takes (besides `driver`).
DRIVER_KEYS: dict[str, tuple[str, ...]] = {
    SERIAL_SCANNER: ("url", "model", "duplicate_window_ms"),
    HID_SCANNER: ("url", "duplicate_window_ms"),
    CAMERA: ("url", "roi", "max_fps", "duplicate_window_ms"),
    ESCPOS: ("url", "codec", "paper_mm", "status_timeout_ms"),
    TOLEDO: ("url", "poll_ms", "response_timeout_ms"),
    SICS: ("url", "poll_ms", "response_timeout_ms", "stream"),
}


class DeviceConfigError(ConfigError):
    """A `[devices]` setting is unknown, of the wrong type, out of range or a bad URL."""


@dataclass(frozen=True, slots=True)
class ScannerConfig:
    """A serial or HID barcode scanner (main or hand-held)."""

    role: str
    driver: str  # serial-scanner | hid-scanner
    url: str
    model: str = "generic"  # serial-scanner: host command set (see drivers.scanner MODELS)
    duplicate_window_ms: int = 500


@dataclass(frozen=True, slots=True)
class CameraConfig:
    role: str
    driver: str  # camera
    url: str  # "camera:0", "/dev/video0" or "file:///path.avi"
    roi: tuple[int, int, int, int] | None = None  # x, y, width, height (pixels)
    max_fps: int = 15
    duplicate_window_ms: int = 1000


@dataclass(frozen=True, slots=True)
class PrinterConfig:
    role: str
    driver: str  # escpos
    url: str
    codec: str = "gb18030"
    paper_mm: int = 80
    status_timeout_ms: int = 500


@dataclass(frozen=True, slots=True)
class ScaleConfig:
    role: str
    driver: str  # toledo8217 | mt-sics
    url: str
    poll_ms: int = 200
    response_timeout_ms: int = 1000
    stream: bool = False


DeviceConfig = ScannerConfig | CameraConfig | PrinterConfig | ScaleConfig


@dataclass(frozen=True, slots=True)
class DevicesConfig:
    """Role -> device. An empty config (the default) has no devices and simulates nothing."""

    simulate: bool = False
    main_scanner: ScannerConfig | None = None
    hand_scanner: ScannerConfig | None = None
    camera: CameraConfig | None = None
    receipt_printer: PrinterConfig | None = None
    produce_scale: ScaleConfig | None = None
    bagging_scale: ScaleConfig | None = None

    def configured(self) -> dict[str, DeviceConfig]:
        """The configured roles, in `ROLES` order."""
        roles: dict[str, DeviceConfig] = {}
        for role in ROLES:
            device: DeviceConfig | None = getattr(self, role)
            if device is not None:
                roles[role] = device
        return roles

    @classmethod
    def from_mapping(cls, mapping: object, source: str) -> DevicesConfig:
        """Build from the `[devices]` table (`source` names the file, e.g. "x.toml: [devices]").

        Raises `DeviceConfigError` (a `kiosk.errors.ConfigError`) naming the file,
        `[devices.<role>]` and the key for unknown roles or keys, a driver the role
        does not take, a bad URL or an out-of-range option.
        """
        file = source.removesuffix("[devices]").rstrip().removesuffix(":") or "<config>"
        top = Table(file, "devices", mapping, DeviceConfigError)
        simulate = top.flag("simulate", False)
        unknown = sorted(set(top.table) - {"simulate", *ROLES})
        if unknown:
            raise DeviceConfigError(
                f"{file}: [devices] unknown role(s): {', '.join(unknown)} "
                f"(roles: {', '.join(ROLES)}; or simulate = true)"
            )
        devices: dict[str, Any] = {}
        for role in ROLES:
            if role in top.table:
                devices[role] = _device(file, role, top.table[role])
        return cls(simulate=simulate, **devices)


# --- one role ---------------------------------------------------------------------------


def _device(file: str, role: str, raw: object) -> DeviceConfig:
    table = Table(file, f"devices.{role}", raw, DeviceConfigError)
    driver: str = table.text("driver", REQUIRED, choices=ROLE_DRIVERS[role])
    allowed = DRIVER_KEYS[driver]
    unknown = sorted(set(table.table) - {"driver", *allowed})
    if unknown:
        raise DeviceConfigError(
            f"{file}: [devices.{role}] unknown key(s): {', '.join(unknown)} "
            f"({driver} takes: {', '.join(allowed)})"
        )
    url: str = table.text("url", REQUIRED)
    device: DeviceConfig
    if driver in (SERIAL_SCANNER, HID_SCANNER):
        _check_scanner_url(table, driver, url)
        device = ScannerConfig(
            role=role,
            driver=driver,
            url=url,
            model=table.text("model", "generic", choices=tuple(SCANNER_MODELS)),
            duplicate_window_ms=table.integer("duplicate_window_ms", 500, 0, 10_000),
        )
    elif driver == CAMERA:
        device = CameraConfig(
            role=role,
            driver=driver,
            url=url,
            roi=_roi(table),
            max_fps=table.integer("max_fps", 15, 1, 120),
            duplicate_window_ms=table.integer("duplicate_window_ms", 1000, 0, 60_000),
        )
        _check_camera(table, device)
    elif driver == ESCPOS:
        _check_printer_url(table, url)
        device = PrinterConfig(
            role=role,
            driver=driver,
            url=url,
            codec=table.text("codec", "gb18030", choices=("gb18030", "gbk")),
            paper_mm=table.integer("paper_mm", 80, 58, 80),
            status_timeout_ms=table.integer("status_timeout_ms", 500, 50, 10_000),
        )
        if device.paper_mm not in (58, 80):
            raise DeviceConfigError(f"{table.where('paper_mm')}: must be 58 or 80")
    else:
        _check_serial_url(table, url, "a scale")
        device = ScaleConfig(
            role=role,
            driver=driver,
            url=url,
            poll_ms=table.integer("poll_ms", 200, 20, 10_000),
            response_timeout_ms=table.integer("response_timeout_ms", 1000, 50, 30_000),
            stream=table.flag("stream", False),
        )
    table.finish()
    return device


def _url_error(table: Table, url: str, exc: Exception) -> DeviceConfigError:
    # The drivers' parsers raise TransportUrlError, but urllib's own ValueError (e.g.
    # "Invalid IPv6 URL" for "tcp://[") can still come through: name the URL either way.
    problem = str(exc) if isinstance(exc, DriverError) else f"bad device URL {url!r}: {exc}"
    return DeviceConfigError(f"{table.where('url')}: {problem}")


def _check_serial_url(table: Table, url: str, what: str) -> None:
    """A byte-stream device (scanner, scale): serial, pty or TCP; not a file or raw USB."""
    try:
        spec = parse_transport_url(url)
    except (DriverError, ValueError) as exc:
        raise _url_error(table, url, exc) from None
    if isinstance(spec, FileSpec | UsbSpec):
        raise DeviceConfigError(
            f"{table.where('url')}: {url!r}: {what} is connected by serial:///dev/..., "
            "pty:///... or tcp://host:port"
        )


def _check_scanner_url(table: Table, driver: str, url: str) -> None:
    if driver == HID_SCANNER:
        if not url.startswith("hid:"):
            raise DeviceConfigError(
                f"{table.where('url')}: {url!r}: an HID scanner is named by "
                "hid://VID:PID[?serial=...] or hid:///dev/input/by-id/..."
            )
        try:
            parse_hid_url(url)
        except (DriverError, ValueError) as exc:
            raise _url_error(table, url, exc) from None
        return
    _check_serial_url(table, url, "a serial scanner")


def _check_printer_url(table: Table, url: str) -> None:
    # The printer module pulls in python-escpos and Pillow; only load it for a printer.
    from drivers.printer.escpos_printer import printer_url  # noqa: PLC0415

    try:
        parse_transport_url(printer_url(url))
    except (DriverError, ValueError) as exc:
        raise _url_error(table, url, exc) from None


def _roi(table: Table) -> tuple[int, int, int, int] | None:
    table.used.add("roi")
    raw = table.table.get("roi")
    if raw is None:
        return None
    if (
        not isinstance(raw, list)
        or len(raw) != 4
        or any(isinstance(v, bool) or not isinstance(v, int) for v in raw)
    ):
        raise DeviceConfigError(
            f"{table.where('roi')}: expected [x, y, width, height] in whole pixels, got {raw!r}"
        )
    x, y, width, height = raw
    if x < 0 or y < 0 or width <= 0 or height <= 0:
        raise DeviceConfigError(
            f"{table.where('roi')}: x and y must be >= 0, width and height > 0, got {raw!r}"
        )
    return (x, y, width, height)


def _check_camera(table: Table, camera: CameraConfig) -> None:
    url = camera.url
    try:
        # OpenCV and zxing-cpp are the optional `camera` extra: a configured camera
        # without them must stop start-up here, not fail later in a thread.
        from drivers.camera.reader import parse_source  # noqa: PLC0415
    except ImportError as exc:
        raise DeviceConfigError(
            f"{table.where('driver')}: the camera driver needs the 'camera' extra "
            f"(pip install 'kiosk-stack[camera]'): {exc}"
        ) from None
    if url.startswith(("serial:", "pty:", "tcp:", "usb:", "hid:")):
        raise DeviceConfigError(
            f"{table.where('url')}: {url!r}: a camera is camera:INDEX, /dev/videoN or "
            "file:///path/to/video"
        )
    try:
        source = parse_source(url)
    except (DriverError, ValueError) as exc:
        raise _url_error(table, url, exc) from None
    if not isinstance(source, int) and not source.is_absolute():
        raise DeviceConfigError(
            f"{table.where('url')}: {url!r}: expected camera:INDEX, /dev/videoN or an "
            "absolute file:///path"
        )


# --- typed getters (the style of kiosk.config's sections) -----------------------------
