"""The drivers package's error hierarchy: one root, specific subclasses per concern.

`drivers` never imports `kiosk`; the kiosk wraps these where it needs its own types.
Every message names the device (its URL or path) and what was wrong, so a technician
can act on it without reading the code.
"""

from __future__ import annotations


class DriverError(Exception):
    """Root of every error the drivers package raises on purpose."""


# --- transports -------------------------------------------------------------------


class TransportError(DriverError):
    """A byte stream cannot be opened, read or written."""


class TransportUrlError(TransportError, ValueError):
    """A transport URL is malformed or names an unknown scheme or option."""

    def __init__(self, url: str, problem: str) -> None:
        super().__init__(f"bad device URL {url!r}: {problem}")
        self.url = url
        self.problem = problem


class TransportOpenError(TransportError):
    """The device named by a URL cannot be opened (absent, busy, no permission)."""


class TransportIOError(TransportError):
    """A read or write on an open transport failed (cable pulled, peer closed)."""


class TransportClosed(TransportError):
    """The transport was closed by its owner and cannot be used any more."""


class TransportDisconnected(TransportError):
    """The device is currently not connected; a reconnecting transport keeps trying."""


# --- scanners ---------------------------------------------------------------------


class ScannerError(DriverError):
    """A barcode scanner cannot be found, opened or configured."""


class ScannerFrameError(ScannerError):
    """A byte or key frame from a scanner is not a valid scan (noise, junk, overflow)."""


class ScannerNotFound(ScannerError):
    """No input device matches the configured vendor/product/serial or path."""


class AmbiguousScanner(ScannerError):
    """More than one input device matches the configured identification."""


# --- scales -----------------------------------------------------------------------


class ScaleError(DriverError):
    """A scale cannot be read, or refused a command."""


class ScaleProtocolError(ScaleError):
    """The scale answered bytes that are not a valid frame of its protocol."""


class ScaleTimeout(ScaleError):
    """The scale did not answer within the allowed time."""


class ScaleStateError(ScaleError):
    """The scale answered, but not with a stable, sellable weight (motion, overload, ...)."""


class ScaleCommandError(ScaleError):
    """The scale refused or could not execute a command (zero, tare)."""
