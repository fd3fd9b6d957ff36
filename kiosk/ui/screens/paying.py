"""Payment in progress: pinpad prompts relayed, or "show your payment code"."""

from __future__ import annotations

from kiosk.lane_view import LaneSnapshot
from kiosk.ui.screens.base import KioskScreen


class PayingScreen(KioskScreen):
    def render(self, snap: LaneSnapshot) -> None:
        waiting = bool(snap.payment and snap.payment.prompt == "show_code")
        self.ids.cancel.disabled = not waiting
        self.ids.cancel.opacity = 1 if waiting else 0
