"""Member login: scan the member QR code (any scanner/camera) or type a phone number."""

from __future__ import annotations

from kiosk.lane_view import LaneSnapshot
from kiosk.ui.screens.base import KioskScreen


class MemberScreen(KioskScreen):
    def render(self, snap: LaneSnapshot) -> None:
        self.ids.phone.text = snap.phone_masked or " "
        if not snap.phone_masked:
            self.ids.keypad.digits = ""
