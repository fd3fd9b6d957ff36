"""The kiosk's one barcode parser (SPEC section 3, Barcodes; section 10, `kiosk barcode parse`).

Pure: no I/O, no clock. Everything a scanner or camera delivers goes through
`parse_scan(data, config)`, which returns a `ScanResult` or raises `InvalidBarcode`.

Modules, one concern each: `symbology` (AIM identifiers), `gtin` (EAN/UPC check digits,
UPC-E), `gs1` (element strings and AI values), `digital_link`, `variable_measure` (store
scale labels), `codes` (payment and member codes), `config`, `result`, `parser`.
"""

from kiosk.domain.barcodes.config import BarcodeConfig
from kiosk.domain.barcodes.errors import BarcodeConfigError, InvalidBarcode
from kiosk.domain.barcodes.parser import MAX_SCAN_LENGTH, parse_scan
from kiosk.domain.barcodes.result import ScanKind, ScanResult
from kiosk.domain.barcodes.variable_measure import (
    DEFAULT_SCALE_LAYOUTS,
    ScaleLabelLayout,
    variable_measure_label,
)

__all__ = [
    "DEFAULT_SCALE_LAYOUTS",
    "MAX_SCAN_LENGTH",
    "BarcodeConfig",
    "BarcodeConfigError",
    "InvalidBarcode",
    "ScaleLabelLayout",
    "ScanKind",
    "ScanResult",
    "parse_scan",
    "variable_measure_label",
]
