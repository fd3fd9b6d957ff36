"""Payment choice: card, WeChat Pay, Alipay (the methods the lane offers)."""

from __future__ import annotations

from kiosk.lane_view import LaneSnapshot
from kiosk.ui.screens.base import KioskScreen


class PaymentChoiceScreen(KioskScreen):
    def render(self, snap: LaneSnapshot) -> None:
        offered = snap.payment.methods if snap.payment else ()
        for method in ("card", "wechat", "alipay"):
            button = self.ids[method]
            button.disabled = method not in offered
            button.opacity = 1 if method in offered else 0
