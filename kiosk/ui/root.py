"""The root widget: top bar, the screen manager, the notice line, the attendant overlay."""

from __future__ import annotations

from kivy.uix.floatlayout import FloatLayout

from kiosk.lane_view import LaneSnapshot
from kiosk.ui.i18n import tr
from kiosk.ui.overlay import AttendantOverlay
from kiosk.ui.screens import KioskScreen


class KioskRoot(FloatLayout):
    def render(self, snap: LaneSnapshot) -> None:
        manager = self.ids.screens
        name = snap.screen.value
        if manager.current != name:
            manager.current = name
        screen: KioskScreen = manager.get_screen(name)
        screen.render(snap)
        notice = snap.notice
        self.ids.notice.text = (
            "" if notice is None else tr(snap.locale, f"notice.{notice.key}", **dict(notice.params))
        )
        self.ids.notice.error = bool(notice and notice.error)
        overlay: AttendantOverlay = self.ids.overlay
        overlay.render(snap)

    def current_screen(self) -> KioskScreen:
        screen: KioskScreen = self.ids.screens.current_screen
        return screen
