"""The attendant-required overlay: why the sale waits, and a PIN pad to clear it.

Modal while shown (it takes every touch on it; the top bar above stays usable, so the
language can be switched at any moment); invisible and touch-transparent otherwise.

Hidden, it is not drawn at all, not merely transparent: Kivy draws a widget with opacity
0 like any other (its colours times 0), and on a software renderer (Mesa llvmpipe) the
overlay's full-screen shade, panel and PIN pad cost 6-10 ms of every frame
(`python -m bench.ui`). So its panel leaves the widget tree while hidden.
"""

from __future__ import annotations

from kivy.input.motionevent import MotionEvent
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.widget import Widget

from kiosk.lane_view import LaneSnapshot, Screen
from kiosk.ui.i18n import tr


class AttendantOverlay(FloatLayout):
    shown = BooleanProperty(False)
    reason_text = StringProperty("")

    def on_kv_post(self, base_widget: Widget) -> None:
        # The panel (from overlay.kv), held here while it is out of the tree.
        self._panel: Widget = self.children[0]
        self._show_panel(self.shown)

    def on_shown(self, _overlay: AttendantOverlay, shown: bool) -> None:
        self._show_panel(shown)

    def _show_panel(self, shown: bool) -> None:
        panel = getattr(self, "_panel", None)
        if panel is None:
            return  # before the rule has built it
        if shown and panel.parent is None:
            self.add_widget(panel)
        elif not shown and panel.parent is self:
            self.remove_widget(panel)

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
