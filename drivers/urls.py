"""Device URLs: parse and validate without opening anything (SPEC section 4).

    serial:///dev/ttyUSB0?baudrate=9600&bytesize=7&parity=E&stopbits=1
    pty:///dev/pts/7            (or a plain path such as /dev/pts/7 or a simulator's symlink)
    tcp://192.0.2.10:9100
    file:///var/lib/kiosk/receipt.escpos
    usb://04b8:0202?interface=0

Bad URLs raise `TransportUrlError` naming the URL and what is wrong with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import SplitResult, parse_qsl, unquote, urlsplit

import serial

from drivers.errors import TransportUrlError

_PARITIES = {
    "N": serial.PARITY_NONE,
    "NONE": serial.PARITY_NONE,
    "E": serial.PARITY_EVEN,
    "EVEN": serial.PARITY_EVEN,
    "O": serial.PARITY_ODD,
    "ODD": serial.PARITY_ODD,
    "M": serial.PARITY_MARK,
    "MARK": serial.PARITY_MARK,
    "S": serial.PARITY_SPACE,
    "SPACE": serial.PARITY_SPACE,
}
_STOPBITS = {"1": serial.STOPBITS_ONE, "1.5": serial.STOPBITS_ONE_POINT_FIVE, "2": 2.0}
_BOOLS = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}


@dataclass(frozen=True, slots=True)
class SerialSpec:
    """A serial port or pty: `serial://` and `pty://` URLs and plain device paths."""

    url: str
    path: str
    baudrate: int = 9600
    bytesize: int = 8
    parity: str = serial.PARITY_NONE
    stopbits: float = 1.0
    rtscts: bool = False
    xonxoff: bool = False
    dsrdtr: bool = False
    exclusive: bool = True


@dataclass(frozen=True, slots=True)
class TcpSpec:
    url: str
    host: str
    port: int


@dataclass(frozen=True, slots=True)
class FileSpec:
    url: str
    path: str


@dataclass(frozen=True, slots=True)
class UsbSpec:
    url: str
    vendor_id: int
    product_id: int
    serial_number: str | None = None
    interface: int = 0
    in_endpoint: int | None = None
    out_endpoint: int | None = None


TransportSpec = SerialSpec | TcpSpec | FileSpec | UsbSpec


def _split(url: str) -> SplitResult:
    """urlsplit, with its ValueError (e.g. "Invalid IPv6 URL" for tcp://[) made ours."""
    try:
        return urlsplit(url)
    except ValueError as exc:
        raise TransportUrlError(url, f"not a URL: {exc}") from None


def parse_transport_url(url: str) -> TransportSpec:
    """Parse and validate a device URL without opening anything.

    Raises `TransportUrlError` naming the URL and what is wrong with it.
    """
    if not isinstance(url, str) or not url.strip():
        raise TransportUrlError(str(url), "empty URL")
    url = url.strip()
    if url.startswith("/"):  # a plain device path: a pty made by a simulator, a tty
        split = urlsplit("serial://" + url)
        return _parse_serial(url, split.path, split.query)
    split = _split(url)
    scheme = split.scheme.lower()
    if scheme in ("serial", "pty"):
        if split.netloc:
            raise TransportUrlError(
                url, f"{scheme} URLs need an absolute path: {scheme}:///dev/... (three slashes)"
            )
        return _parse_serial(url, split.path, split.query)
    if scheme == "tcp":
        return _parse_tcp(url, split.netloc, split.path, split.query)
    if scheme == "file":
        if split.netloc not in ("", "localhost"):
            raise TransportUrlError(url, "file URLs need an absolute path: file:///path")
        if split.query:
            raise TransportUrlError(url, f"file URLs take no options, got {split.query!r}")
        path = unquote(split.path)
        if not path.startswith("/") or path.endswith("/"):
            raise TransportUrlError(url, "file URLs need an absolute path to a file")
        return FileSpec(url=url, path=path)
    if scheme == "usb":
        return _parse_usb(url, split.netloc, split.path, split.query)
    known = "serial, pty, tcp, file, usb"
    raise TransportUrlError(url, f"unknown scheme {split.scheme!r} (expected one of {known})")


def _options(url: str, query: str, allowed: frozenset[str]) -> dict[str, str]:
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError as exc:
        raise TransportUrlError(url, f"malformed options {query!r}") from exc
    options: dict[str, str] = {}
    for key, value in pairs:
        if key not in allowed:
            raise TransportUrlError(
                url, f"unknown option {key!r} (allowed: {', '.join(sorted(allowed))})"
            )
        if key in options:
            raise TransportUrlError(url, f"option {key!r} given twice")
        options[key] = value
    return options


def _int_option(url: str, options: Mapping[str, str], key: str, lo: int, hi: int) -> int | None:
    if key not in options:
        return None
    raw = options[key]
    try:
        value = int(raw, 0)
    except ValueError:
        raise TransportUrlError(url, f"option {key}={raw!r} is not an integer") from None
    if not lo <= value <= hi:
        raise TransportUrlError(url, f"option {key}={value} is out of range {lo}..{hi}")
    return value


def _bool_option(url: str, options: Mapping[str, str], key: str, default: bool) -> bool:
    if key not in options:
        return default
    raw = options[key].lower()
    if raw not in _BOOLS:
        raise TransportUrlError(url, f"option {key}={options[key]!r} is not a boolean (0/1)")
    return _BOOLS[raw]


_SERIAL_OPTIONS = frozenset(
    {"baudrate", "bytesize", "parity", "stopbits", "rtscts", "xonxoff", "dsrdtr", "exclusive"}
)


def _parse_serial(url: str, raw_path: str, query: str) -> SerialSpec:
    path = unquote(raw_path)
    if not path.startswith("/") or path.endswith("/"):
        raise TransportUrlError(url, "no device path (expected e.g. serial:///dev/ttyUSB0)")
    options = _options(url, query, _SERIAL_OPTIONS)
    baudrate = _int_option(url, options, "baudrate", 50, 4_000_000)
    bytesize = _int_option(url, options, "bytesize", 5, 8)
    parity = serial.PARITY_NONE
    if "parity" in options:
        key = options["parity"].upper()
        if key not in _PARITIES:
            raise TransportUrlError(
                url, f"option parity={options['parity']!r} is not one of N, E, O, M, S"
            )
        parity = _PARITIES[key]
    stopbits = 1.0
    if "stopbits" in options:
        if options["stopbits"] not in _STOPBITS:
            raise TransportUrlError(
                url, f"option stopbits={options['stopbits']!r} is not one of 1, 1.5, 2"
            )
        stopbits = float(_STOPBITS[options["stopbits"]])
    return SerialSpec(
        url=url,
        path=path,
        baudrate=9600 if baudrate is None else baudrate,
        bytesize=8 if bytesize is None else bytesize,
        parity=parity,
        stopbits=stopbits,
        rtscts=_bool_option(url, options, "rtscts", False),
        xonxoff=_bool_option(url, options, "xonxoff", False),
        dsrdtr=_bool_option(url, options, "dsrdtr", False),
        exclusive=_bool_option(url, options, "exclusive", True),
    )


def _parse_tcp(url: str, netloc: str, path: str, query: str) -> TcpSpec:
    if path not in ("", "/"):
        raise TransportUrlError(url, f"tcp URLs have no path, got {path!r}")
    if query:
        raise TransportUrlError(url, f"tcp URLs take no options, got {query!r}")
    split = _split(f"//{netloc}")
    try:
        port = split.port
    except ValueError:
        raise TransportUrlError(url, "the port is not a number in 1..65535") from None
    host = split.hostname
    if not host:
        raise TransportUrlError(url, "no host (expected tcp://host:port)")
    if port is None or port == 0:
        raise TransportUrlError(url, "no port (expected tcp://host:port, port 1..65535)")
    return TcpSpec(url=url, host=host, port=port)


_USB_OPTIONS = frozenset({"serial", "interface", "in_ep", "out_ep"})


def _parse_usb(url: str, netloc: str, path: str, query: str) -> UsbSpec:
    if path not in ("", "/"):
        raise TransportUrlError(url, f"usb URLs have no path, got {path!r}")
    parts = netloc.split(":")
    if len(parts) != 2:
        raise TransportUrlError(url, "expected usb://VID:PID with 4 hex digits each")
    ids: list[int] = []
    for name, part in zip(("vendor", "product"), parts, strict=True):
        digits = part[2:] if part.lower().startswith("0x") else part
        if not 1 <= len(digits) <= 4 or any(c not in "0123456789abcdefABCDEF" for c in digits):
            raise TransportUrlError(url, f"{name} id {part!r} is not 1-4 hex digits")
        ids.append(int(digits, 16))
    options = _options(url, query, _USB_OPTIONS)
    interface = _int_option(url, options, "interface", 0, 255)
    return UsbSpec(
        url=url,
        vendor_id=ids[0],
        product_id=ids[1],
        serial_number=options.get("serial") or None,
        interface=0 if interface is None else interface,
        in_endpoint=_int_option(url, options, "in_ep", 0x80, 0x8F),
        out_endpoint=_int_option(url, options, "out_ep", 0x00, 0x0F),
    )


def with_serial_defaults(url: str, **defaults: str | int) -> str:
    """Add serial options the URL does not set (e.g. a Toledo scale's bytesize=7&parity=E).

    Non-serial URLs come back unchanged; options the URL sets always win.
    """
    spec = parse_transport_url(url)
    if not isinstance(spec, SerialSpec):
        return url
    unknown = set(defaults) - _SERIAL_OPTIONS
    if unknown:
        raise ValueError(f"unknown serial option(s) {sorted(unknown)}")
    base, _, query = url.partition("?")
    present = {key for key, _ in parse_qsl(query, keep_blank_values=True)}
    extra = [f"{key}={value}" for key, value in defaults.items() if key not in present]
    if not extra:
        return url
    joined = "&".join(([query] if query else []) + extra)
    return f"{base}?{joined}"
