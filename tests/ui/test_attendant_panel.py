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
