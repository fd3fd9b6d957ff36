"""The attendant panel offers what the lane would allow in its state, and nothing else."""

from __future__ import annotations

from tests.ui.conftest import Kiosk

TOAST = "6920909000014"
SUPERVISOR_PIN = "2580"


def test_between_shoppers_the_panel_offers_refunds_and_no_basket_cancel(kiosk: Kiosk) -> None:
    ui = kiosk.ui
    ui.tap_id("staff")
    ui.type_pin(SUPERVISOR_PIN, ui.find("login"))
    assert not ui.find("refund").disabled
    assert ui.find("cancel_basket").disabled
    assert ui.find("cancel_basket").opacity == 0


def test_with_a_basket_the_panel_offers_cancel_and_no_refunds(kiosk: Kiosk) -> None:
    ui = kiosk.ui
    kiosk.lane.scan(TOAST)
    ui.settle()
    ui.tap_id("staff")
    ui.type_pin(SUPERVISOR_PIN, ui.find("login"))
    assert not ui.find("cancel_basket").disabled
    assert ui.find("refund").disabled
    assert ui.find("refund").opacity == 0


def test_hidden_actions_take_no_room_so_the_offered_ones_start_at_the_top(kiosk: Kiosk) -> None:
    ui = kiosk.ui
    ui.tap_id("staff")
    ui.type_pin(SUPERVISOR_PIN, ui.find("login"))
    ui.frames(3)  # layout
    approve, cancel, reprint = ui.find("approve"), ui.find("cancel_basket"), ui.find("reprint")
    assert approve.opacity == 0  # nothing to approve
    assert cancel.opacity == 0  # no basket
    column = reprint.parent
    assert approve.parent is None  # out of the column
    assert cancel.parent is None
    # The first offered action sits at the top of its column (Kivy's y grows upwards).
    assert reprint.top == column.top
    assert reprint.top > ui.find("refund").top > ui.find("lane").top


def test_roles_and_device_health_are_shown_in_the_chosen_language(kiosk: Kiosk) -> None:
    ui = kiosk.ui
    ui.tap_id("staff")
    ui.type_pin(SUPERVISOR_PIN, ui.find("login"))
    assert ui.find("who").text == "李强 Li Qiang（主管）"
    (printer,) = (w.text for w in ui.find("devices").children)
    assert printer == "● 小票打印机（模拟）：运行中"
    assert ui.root is not None
    ui.tap_id("lang", ui.root.ids.topbar)
    assert ui.find("who").text == "李强 Li Qiang (supervisor)"
    (printer,) = (w.text for w in ui.find("devices").children)
    assert printer == "● Receipt printer (simulated): running"


def test_device_health_is_shown_only_after_a_login(kiosk: Kiosk) -> None:
    ui = kiosk.ui
    ui.tap_id("staff")
    assert ui.find("devices").children == []
    ui.type_pin(SUPERVISOR_PIN, ui.find("login"))
    assert len(ui.find("devices").children) == 1
