"""The kiosk's error hierarchy: one root, specific subclasses per concern.

Every error carries a message a technician can act on: what failed, where
(file, key, device, scan) and, where it helps, what to do.
"""

from __future__ import annotations


class KioskError(Exception):
    """Root of every error the kiosk raises on purpose."""


class ConfigError(KioskError):
    """A configuration file or value is missing, unknown or out of range."""


class CatalogueError(KioskError):
    """The catalogue cannot be read, imported or queried."""


class UnknownItem(CatalogueError):
    """No active catalogue item matches a scanned code."""

    def __init__(self, code: str) -> None:
        super().__init__(f"no active catalogue item for code {code!r}")
        self.code = code


class PromotionError(KioskError):
    """A promotions file failed validation."""


class JournalError(KioskError):
    """The transaction journal cannot be opened or is damaged beyond recovery."""


class TransitionError(KioskError):
    """An event is not allowed in the current transaction state."""
