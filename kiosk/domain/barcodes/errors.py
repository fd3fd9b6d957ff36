"""Errors of the barcode parser: one public type, `InvalidBarcode`, plus config errors."""

from __future__ import annotations

from kiosk.errors import ConfigError, KioskError


class InvalidBarcode(KioskError):
    """A scan that cannot be sold, paid with or identified (SPEC section 3, Barcodes).

    `reason` says precisely what is wrong ("check digit should be 7, got 3");
    `shown` is the input as the message names it, masked when it may be a payment code.
    """

    def __init__(self, reason: str, shown: str) -> None:
        super().__init__(f"invalid scan {shown}: {reason}")
        self.reason = reason
        self.shown = shown


class BarcodeConfigError(ConfigError):
    """A `[barcodes]` setting is unknown, of the wrong type or out of range.

    `key` is the dotted path inside `[barcodes]` ("variable_measure[1].prefixes").
    """

    def __init__(self, key: str, problem: str, source: str | None = None) -> None:
        if not source:
            where = f"[barcodes] {key}"
        elif source.endswith("[barcodes]"):  # callers may name the section themselves
            where = f"{source} {key}"
        else:
            where = f"{source}: [barcodes] {key}"
        super().__init__(f"{where}: {problem}")
        self.key = key
        self.problem = problem
        self.source = source


class Rejected(Exception):
    """Raised inside the package with a reason; `parse_scan` turns it into InvalidBarcode.

    Sub-parsers do not know how the input must be shown (masked or not), so they only
    say what is wrong; the dispatcher adds the input.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
