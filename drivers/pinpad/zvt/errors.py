"""Errors of the ZVT pinpad driver: one root, specific subclasses.

Messages name the terminal (its URL), the command or the byte offset that was wrong,
so a technician can act without reading the code. No message ever carries a PAN.
"""

from __future__ import annotations

from drivers.errors import DriverError


class ZvtError(DriverError):
    """Root of every error the ZVT driver, codec and simulator raise on purpose."""


class ZvtCodecError(ZvtError, ValueError):
    """Bytes are not a valid ZVT APDU, BMP, TLV object or BCD field (or cannot be encoded)."""


class ZvtLinkError(ZvtError):
    """The link to the terminal broke, or a serial frame was not acknowledged after retries."""


class ZvtUnavailable(ZvtLinkError):
    """The terminal is not connected; nothing was sent, so nothing can have happened."""


class ZvtTimeout(ZvtError):
    """The terminal did not answer an administrative command in time."""


class ZvtRefused(ZvtError):
    """The terminal refused an administrative command (84 xx, or 06 1E with a result code)."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


class ZvtBusy(ZvtError):
    """Another command is still running on this terminal; ZVT runs one at a time."""
