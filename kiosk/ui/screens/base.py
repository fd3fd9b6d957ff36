"""What every screen is: a Kivy `Screen` that renders a `LaneSnapshot`."""

from __future__ import annotations

from kivy.uix.screenmanager import Screen

from kiosk.lane_view import LaneSnapshot


class KioskScreen(Screen):
    def render(self, snap: LaneSnapshot) -> None:
        """Show `snap`. Kv rules bind to `app.snap` and `app.lang`; lists are set here."""
