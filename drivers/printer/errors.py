"""Errors of the receipt printer driver: one root, specific subclasses.

Every message names the printer (its URL) or the byte that was wrong, so a technician
can act on it without reading the code.
"""

from __future__ import annotations

from drivers.errors import DriverError


class PrinterError(DriverError):
    """Root of every error the receipt printer driver raises on purpose."""


class InvalidStatusByte(PrinterError):
    """A reply to `DLE EOT n` does not have the fixed bits ESC/POS guarantees.

    Such a byte is line noise, an XON/XOFF flow-control byte or a stray reply, and
    is never turned into a status (PROTOCOLS.md "Receipt printer: ESC/POS").
    """

    def __init__(self, n: int, value: int) -> None:
        super().__init__(
            f"invalid DLE EOT {n} reply 0x{value:02X}: expected bits 1 and 4 set and "
            "bits 0 and 7 clear (mask 0x93 == 0x12); check the baud rate and that the "
            "device on this port is an ESC/POS printer"
        )
        self.n = n
        self.value = value


class PrinterNotAnswering(PrinterError):
    """The printer did not answer a real-time status request in time."""

    def __init__(self, url: str, n: int, timeout_s: float) -> None:
        super().__init__(
            f"printer at {url} did not answer DLE EOT {n} within {timeout_s:.2f} s; "
            "check power, cable and that the URL names the printer"
        )
        self.url = url
        self.n = n
        self.timeout_s = timeout_s


class PrinterConnectionError(PrinterError):
    """The byte stream to the printer cannot be opened or broke."""


class PrintQueueError(PrinterError):
    """The durable print-job queue cannot store or read a job."""
