"""The attendant-required overlay: why the sale waits, and a PIN pad to clear it.

Modal while shown (it takes every touch on it; the top bar above stays usable, so the
language can be switched at any moment); invisible and touch-transparent otherwise.
"""

from __future__ import annotations

from kivy.input.motionevent import MotionEvent
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.floatlayout import FloatLayout

from kiosk.lane_view import LaneSnapshot, Screen
from kiosk.ui.i18n import tr


class AttendantOverlay(FloatLayout):
    shown = BooleanProperty(False)
    reason_text = StringProperty("")

    def render(self, snap: LaneSnapshot) -> None:
        reason = snap.overlay
        self.shown = reason is not None and snap.screen is not Screen.ATTENDANT_PANEL
        if reason is None:
            self.reason_text = ""
            return
        self.reason_text = tr(snap.locale, f"overlay.{reason.value}", name=snap.overlay_line or "")
        if snap.pin_locked_s:
            self.reason_text += "\n" + tr(snap.locale, "panel.locked", seconds=snap.pin_locked_s)

    def on_touch_down(self, touch: MotionEvent) -> bool:
        if not self.shown or not self.collide_point(*touch.pos):
            return False
        super().on_touch_down(touch)
        return True

    def on_touch_move(self, touch: MotionEvent) -> bool:
        if not self.shown or not self.collide_point(*touch.pos):
            return False
        super().on_touch_move(touch)
        return True

    def on_touch_up(self, touch: MotionEvent) -> bool:
        if not self.shown or not self.collide_point(*touch.pos):
            return False
        super().on_touch_up(touch)
        return True
