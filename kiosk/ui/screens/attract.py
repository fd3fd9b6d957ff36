"""Attract / idle: invites the shopper to start (touch or first scan)."""

from __future__ import annotations

from kiosk.ui.screens.base import KioskScreen


class AttractScreen(KioskScreen):
    pass
