"""Barcode scanners: serial (pyserial) and USB HID keyboard (evdev), one `Scan` interface."""

from drivers.scanner.events import Scan, ScannerHealth
from drivers.scanner.factory import open_scanner
from drivers.scanner.framing import AimMode, Framing
from drivers.scanner.hid import HidFraming, HidKeyDecoder, HidScanner, HidSelector
from drivers.scanner.reader import ScannerReader
from drivers.scanner.serial_scanner import MODELS, SerialScanner, SerialScannerModel

__all__ = [
    "MODELS",
    "AimMode",
    "Framing",
    "HidFraming",
    "HidKeyDecoder",
    "HidScanner",
    "HidSelector",
    "Scan",
    "ScannerHealth",
    "ScannerReader",
    "SerialScanner",
    "SerialScannerModel",
    "open_scanner",
]
