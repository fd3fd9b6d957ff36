"""Out of service: the lane is closed (by an attendant, or a fault that stops sales)."""

from __future__ import annotations

from kiosk.ui.screens.base import KioskScreen


class OutOfServiceScreen(KioskScreen):
    pass
