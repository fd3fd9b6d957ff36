"""The root widget: top bar, the screen manager, the notice line, the attendant overlay.

Screens are built when first shown, not all at start. Those every shopper passes
(attract, basket, payment, receipt) stay built; the occasional ones (produce lookup,
member login, attendant panel, out of service) are dropped once left, so the kiosk's
memory does not depend on which of them were visited since boot. Building one takes a
few milliseconds (the largest, produce lookup, ~14 ms on a software renderer).
"""

from __future__ import annotations

from kivy.clock import Clock
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.screenmanager import ScreenManager

from kiosk.lane_view import LaneSnapshot, Screen
from kiosk.ui.i18n import tr
from kiosk.ui.overlay import AttendantOverlay
from kiosk.ui.screens import (
    AttendantPanelScreen,
    AttractScreen,
    BasketScreen,
    KioskScreen,
    MemberScreen,
    OutOfServiceScreen,
    PayingScreen,
    PaymentChoiceScreen,
    ProduceScreen,
    ReceiptScreen,
)

SCREENS: dict[Screen, type[KioskScreen]] = {
    Screen.ATTRACT: AttractScreen,
    Screen.BASKET: BasketScreen,
    Screen.PRODUCE: ProduceScreen,
    Screen.MEMBER: MemberScreen,
    Screen.PAYMENT_CHOICE: PaymentChoiceScreen,
    Screen.PAYING: PayingScreen,
    Screen.RECEIPT: ReceiptScreen,
    Screen.ATTENDANT_PANEL: AttendantPanelScreen,
    Screen.OUT_OF_SERVICE: OutOfServiceScreen,
}
#: Built once, kept: every shopper passes them.
KEPT_SCREENS = frozenset(
    {Screen.ATTRACT, Screen.BASKET, Screen.PAYMENT_CHOICE, Screen.PAYING, Screen.RECEIPT}
)


class KioskRoot(FloatLayout):
    def render(self, snap: LaneSnapshot) -> None:
        manager: ScreenManager = self.ids.screens
        name = snap.screen.value
        if manager.current != name:
            left = manager.current_screen
            if not manager.has_screen(name):
                manager.add_widget(SCREENS[snap.screen](name=name))
            manager.current = name
            if left is not None and Screen(left.name) not in KEPT_SCREENS:
                # After this frame: the manager finishes its switch first.
                left_name = left.name
                Clock.schedule_once(lambda _dt: self._drop(left_name), 0)
        screen: KioskScreen = manager.get_screen(name)
        screen.render(snap)
        notice = snap.notice
        self.ids.notice.text = (
            "" if notice is None else tr(snap.locale, f"notice.{notice.key}", **dict(notice.params))
        )
        self.ids.notice.error = bool(notice and notice.error)
        overlay: AttendantOverlay = self.ids.overlay
        overlay.render(snap)

    def _drop(self, name: str) -> None:
        manager: ScreenManager = self.ids.screens
        if manager.transition.is_active:  # the switch has not finished: next frame
            Clock.schedule_once(lambda _dt: self._drop(name), 0)
        elif manager.current != name and manager.has_screen(name):
            manager.remove_widget(manager.get_screen(name))

    def built_screens(self) -> list[str]:
        """Names of the screens built now (tests, the bench)."""
        manager: ScreenManager = self.ids.screens
        return list(manager.screen_names)

    def current_screen(self) -> KioskScreen:
        screen: KioskScreen = self.ids.screens.current_screen
        return screen
