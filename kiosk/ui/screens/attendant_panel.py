"""Attendant panel: PIN login, then approve, void a line, cancel, reprint, refund, lane,
devices. While the refund desk is open the left column shows it instead of the basket.

What each button may do is decided by the lane (role permissions, states); buttons an
attendant's role lacks are hidden, not enforced, here.
"""

from __future__ import annotations

from typing import Any

from kivy.properties import BooleanProperty

from kiosk.lane import Lane
from kiosk.lane_view import LaneSnapshot, RefundView
from kiosk.ui.i18n import tr, tr_name
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.widgets import KioskLabel, TouchButton

# Button id -> the permission that shows it (kiosk.security.attendants.Permission values).
_BUTTONS = {
    "approve": "approve_age",
    "cancel_basket": "cancel_basket",
    "reprint": "reprint",
    "refund": "refund",
    "lane": "open_close_lane",
}


class AttendantPanelScreen(KioskScreen):
    logged_in = BooleanProperty(False)

    def on_kv_post(self, base_widget: Any) -> None:
        # kv ids are weak: these keep the actions alive while out of the column.
        self._actions = [self.ids[button_id].__self__ for button_id in _BUTTONS]
        self._filler = self.ids.filler.__self__

    def render(self, snap: LaneSnapshot) -> None:
        who = snap.attendant
        self.logged_in = who is not None
        locale = snap.locale
        if who is None:  # the PIN pad asks for the PIN; device health waits for a login
            self.ids.who.text = tr(locale, "panel.title")
            if snap.pin_locked_s:
                self.ids.who.text += "\n" + tr(locale, "panel.locked", seconds=snap.pin_locked_s)
        else:
            role = tr_name(locale, "role", who.role)
            self.ids.who.text = tr(locale, "panel.logged_in", name=who.name, role=role)
        for button_id, permission in _BUTTONS.items():
            self.ids[button_id].shown = who is not None and permission in who.permissions
        # What the lane would refuse in its state is not offered (it still checks).
        between_shoppers = snap.status in ("idle", "out_of_service")
        if snap.overlay is None:
            self._hide("approve")
        if between_shoppers:
            self._hide("cancel_basket")
        elif snap.refund is None:
            self._hide("refund")
        closed = snap.status == "out_of_service"
        self.ids.lane.text = tr(locale, "panel.open_lane" if closed else "panel.close_lane")
        if snap.refund is not None:
            self.ids.refund.text = tr(locale, "panel.refund_close")
            self._render_refund(snap, snap.refund)
        else:
            self.ids.refund.text = tr(locale, "panel.refund")
            self._render_lines(snap)
        self._render_devices(snap)
        self._arrange_actions()

    def _arrange_actions(self) -> None:
        """Only the offered actions are in the column, in their order, from the top: a
        hidden one would otherwise leave a gap."""
        column = self.ids.actions
        wanted = [button for button in self._actions if button.shown] + [self._filler]
        if list(reversed(column.children)) != wanted:
            column.clear_widgets()
            for widget in wanted:
                column.add_widget(widget)

    def _render_lines(self, snap: LaneSnapshot) -> None:
        box = self.ids.lines
        box.clear_widgets()
        who = snap.attendant
        if who is None or "void_line" not in who.permissions:
            return
        for line in reversed(snap.lines):
            button = TouchButton(
                text=f"{tr(snap.locale, 'basket.remove')}: {line.name}  {line.amount}"
            )
            button.bind(on_release=lambda _b, line_id=line.line_id: self._void(line_id))
            box.add_widget(button)

    def _hide(self, button_id: str) -> None:
        self.ids[button_id].shown = False  # and takes no room: the others move up

    def _render_refund(self, snap: LaneSnapshot, desk: RefundView) -> None:
        box = self.ids.lines
        box.clear_widgets()
        locale = snap.locale
        box.add_widget(KioskLabel(text=tr(locale, "panel.refund_title"), bold=True))
        if desk.unresolved is not None:
            retry = TouchButton(
                text=tr(locale, "panel.refund_retry", amount=desk.unresolved), accent=True
            )
            retry.bind(on_release=lambda _b: self._lane().retry_refund())
            box.add_widget(retry)
        if desk.busy:
            box.add_widget(KioskLabel(text=tr(locale, "panel.refund_busy")))
        if desk.sale is not None:
            box.add_widget(
                KioskLabel(
                    text=tr(
                        locale, "panel.refund_sale", when=desk.sale.when, total=desk.sale.total
                    ),
                    bold=True,
                )
            )
            for pay in desk.payments:
                method = tr(locale, f"payment.{pay.method}")
                if pay.refundable_minor <= 0:
                    text = tr(locale, "panel.refund_nothing", method=method, paid=pay.paid)
                    box.add_widget(KioskLabel(text=text))
                    continue
                button = TouchButton(
                    text=tr(locale, "panel.refund_pay", amount=pay.refundable, method=method),
                    accent=True,
                    disabled=desk.busy or desk.unresolved is not None,
                )
                button.bind(on_release=lambda _b, i=pay.intent_id: self._lane().refund_payment(i))
                box.add_widget(button)
        for sale in desk.recent:
            button = TouchButton(
                text=tr(locale, "panel.refund_sale", when=sale.when, total=sale.total)
            )
            button.bind(on_release=lambda _b, t=sale.tx_id: self._lane().choose_refund_sale(t))
            box.add_widget(button)

    @staticmethod
    def _lane() -> Lane:
        from kivy.app import App  # noqa: PLC0415 - the running app, at tap time

        lane: Lane = App.get_running_app().lane
        return lane

    def _void(self, line_id: str) -> None:
        from kivy.app import App  # noqa: PLC0415 - the running app, at tap time

        App.get_running_app().lane.void_line(line_id)

    def _render_devices(self, snap: LaneSnapshot) -> None:
        box = self.ids.devices
        box.clear_widgets()
        if snap.attendant is None:
            return
        locale = snap.locale
        for device in snap.devices:
            state = tr_name(locale, "device_state", device.state)
            if device.state == "running" and not device.connected:
                state = tr(locale, "panel.device_disconnected")
            line = tr(
                locale,
                "panel.device_line",
                name=tr_name(locale, "device", device.role),
                sim=tr(locale, "panel.simulated") if device.simulated else "",
                state=state,
            )
            mark = "●" if device.connected else "○"
            # The detail is the device's own words (a fault, a driver error): shown as is.
            text = f"{mark} {line}  {device.detail}".rstrip()
            box.add_widget(KioskLabel(text=text, scale=0.8))
