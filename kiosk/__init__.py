"""Self-checkout kiosk: the on-device application."""

__version__ = "0.1.0"
