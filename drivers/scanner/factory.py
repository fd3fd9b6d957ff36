"""One way to open a scanner from its URL: serial/pty/tcp transports or `hid://` devices.

    serial:///dev/ttyACM0?baudrate=9600          a serial scanner (any transport URL)
    hid:///dev/input/by-id/usb-Datalogic-event-kbd   a HID keyboard scanner by path
    hid://0c2e:0b61?serial=17100B1234&gs=~       ... or by vendor:product[, serial]

HID options: `serial` (USB serial number), `gs` (the character the scanner sends for
GS/FNC1), `framing` (enter | timeout), `timeout_ms` (inter-key timeout).
"""

from __future__ import annotations

import queue
from urllib.parse import parse_qsl, unquote, urlsplit

from drivers.errors import ScannerError, TransportUrlError
from drivers.scanner.events import Scan
from drivers.scanner.hid import HidFraming, HidKeyDecoder, HidScanner, HidSelector
from drivers.scanner.reader import DEFAULT_DUPLICATE_WINDOW_S, ScannerReader
from drivers.scanner.serial_scanner import MODELS, SerialScanner
from drivers.transport import parse_transport_url

_HID_OPTIONS = frozenset({"serial", "gs", "framing", "timeout_ms"})


def parse_hid_url(url: str) -> tuple[HidSelector, HidKeyDecoder]:
    """Validate a `hid://` URL; raises `TransportUrlError` naming what is wrong."""
    try:
        split = urlsplit(url)
    except ValueError as exc:  # e.g. "Invalid IPv6 URL"
        raise TransportUrlError(url, f"not a URL: {exc}") from None
    try:
        options = dict(parse_qsl(split.query, strict_parsing=bool(split.query)))
    except ValueError:
        raise TransportUrlError(url, f"malformed options {split.query!r}") from None
    unknown = set(options) - _HID_OPTIONS
    if unknown:
        raise TransportUrlError(
            url, f"unknown option(s) {sorted(unknown)} (allowed: {sorted(_HID_OPTIONS)})"
        )
    try:
        framing = HidFraming(options.get("framing", "enter"))
    except ValueError:
        raise TransportUrlError(url, "framing must be 'enter' or 'timeout'") from None
    try:
        timeout_s = int(options.get("timeout_ms", "100")) / 1000
        decoder = HidKeyDecoder(
            framing=framing, inter_key_timeout_s=timeout_s, gs_substitute=options.get("gs")
        )
    except ValueError as exc:
        raise TransportUrlError(url, str(exc)) from None
    if split.netloc:
        parts = split.netloc.split(":")
        try:
            vendor, product = (int(p, 16) for p in parts)
        except ValueError:
            raise TransportUrlError(url, "expected hid://VID:PID with hex ids") from None
        if not (0 <= vendor <= 0xFFFF and 0 <= product <= 0xFFFF):
            raise TransportUrlError(url, "USB ids are 4 hex digits")
        selector = HidSelector(vendor_id=vendor, product_id=product, serial=options.get("serial"))
    else:
        path = unquote(split.path)
        if not path.startswith("/dev/input/"):
            raise TransportUrlError(url, "expected hid:///dev/input/by-id/... or hid://VID:PID")
        if "serial" in options:
            raise TransportUrlError(url, "a device path already names one device; drop serial=")
        selector = HidSelector(path=path)
    return selector, decoder


def open_scanner(
    url: str,
    *,
    model: str = "generic",
    source: str | None = None,
    events: queue.Queue[Scan] | None = None,
    duplicate_window_s: float = DEFAULT_DUPLICATE_WINDOW_S,
) -> ScannerReader:
    """A scanner reader (not started) for `url`; bad URLs raise `TransportUrlError`."""
    if url.startswith("hid:"):
        selector, decoder = parse_hid_url(url)
        return HidScanner(
            selector,
            decoder=decoder,
            source=source or url,
            events=events,
            duplicate_window_s=duplicate_window_s,
        )
    if model not in MODELS:
        raise ScannerError(
            f"unknown serial scanner model {model!r} (expected one of {', '.join(MODELS)})"
        )
    parse_transport_url(url)  # fail on a bad URL before opening anything
    return SerialScanner(
        url,
        model=MODELS[model],
        source=source,
        events=events,
        duplicate_window_s=duplicate_window_s,
    )
