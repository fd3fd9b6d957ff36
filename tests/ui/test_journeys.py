"""Whole journeys through the real UI, tapped with simulated touches, offscreen."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from drivers.scale import ScaleStatus, Weight
from kiosk.domain.transaction import AttendantReason
from kiosk.lane_view import Screen
from kiosk.ui.env import FULL_HD, SMALL, DisplayProfile
from tests.ui.conftest import Kiosk

MILK = "6920101000010"
TOAST = "6920909000014"
BEER = "6920303000016"
WECHAT_CODE = "134567890123456789"


def rows(kiosk: Kiosk) -> list[dict[str, object]]:
    return list(kiosk.ui.find("lines").data)


def test_basic_purchase_scan_pay_by_card_receipt(kiosk: Kiosk) -> None:
    ui = kiosk.ui
    assert ui.snap.screen is Screen.ATTRACT
    ui.tap_id("start")
    snap = ui.snap
    assert snap.screen is Screen.BASKET
    assert ui.find("pay").disabled  # nothing to pay for yet
    kiosk.lane.scan(TOAST)  # as the scanner delivers it
    ui.settle()
    assert [r["name"] for r in rows(kiosk)] == ["全麦吐司 400g"]
    assert ui.find("total").text == "合计  ¥12.90"
    ui.tap_id("pay")
    snap = ui.snap
    assert snap.screen is Screen.PAYMENT_CHOICE
    ui.tap_id("card")
    snap = ui.snap
    assert snap.screen is Screen.RECEIPT
    assert ui.find("how").text == "请取走您的小票。"
    assert snap.receipt is not None
    assert list(kiosk.devices.printed) == [snap.receipt.tx_id]
    ui.tap_id("done")
    snap = ui.snap
    assert snap.screen is Screen.ATTRACT


def test_produce_purchase_search_by_pinyin_and_weigh(kiosk: Kiosk) -> None:
    ui = kiosk.ui
    ui.tap_id("start")
    ui.tap_id("produce")
    assert ui.snap.screen is Screen.PRODUCE
    ui.tap_id("query")  # opens the search keyboard
    keyboard = ui.find("keyboard")
    for key in "xj":  # 香蕉 xiang jiao
        ui.tap(next(b for b in _buttons(keyboard) if b.text == key.upper()))
    assert [t.item_id for t in ui.snap.produce] == ["P-BANANA"]
    ui.tap_id("query")  # close the keyboard to see the result
    kiosk.lane.feed_weight(Weight(1250, False, ScaleStatus.OK, time.time(), source="produce_scale"))
    ui.settle()
    assert "稳定中" in ui.find("weight").text
    ui.tap_text("香蕉")
    assert ui.snap.notice is not None
    assert ui.snap.notice.key == "weight_not_stable"
    assert ui.snap.lines == ()
    kiosk.lane.feed_weight(Weight(1250, True, ScaleStatus.OK, time.time(), source="produce_scale"))
    ui.settle()
    ui.tap_text("香蕉")
    snap = ui.snap
    assert snap.screen is Screen.BASKET
    (row,) = rows(kiosk)
    assert row["detail"] == "1.250 千克 × ¥6.98/kg"
    assert row["amount"] == "¥8.73"
    ui.tap_id("pay")
    ui.tap_id("card")
    snap = ui.snap
    assert snap.screen is Screen.RECEIPT


def test_age_restricted_item_blocks_until_an_attendant_approves(kiosk: Kiosk) -> None:
    ui = kiosk.ui
    kiosk.lane.scan(BEER)
    ui.settle()
    overlay = ui.find("overlay", ui.root)
    assert overlay.shown
    assert "年龄" in overlay.ids.reason.text
    # The overlay is modal: a tap on "pay" underneath reaches nothing.
    ui.tap(ui.find("pay", ui.screen()))
    assert ui.snap.screen is Screen.BASKET
    assert ui.snap.overlay is AttendantReason.AGE_CHECK
    ui.type_pin("0000", overlay.ids.pinpad)
    assert ui.snap.notice is not None
    assert ui.snap.notice.key == "pin_wrong"
    assert overlay.shown
    ui.type_pin("1234", overlay.ids.pinpad)
    assert not overlay.shown
    snap = ui.snap
    assert snap.overlay is None
    ui.tap_id("pay")
    snap = ui.snap
    assert snap.screen is Screen.PAYMENT_CHOICE


def test_declined_card_then_wechat_payment_code(kiosk: Kiosk) -> None:
    ui = kiosk.ui
    sims = kiosk.demo.payments.simulators
    assert sims is not None
    sims.zvt.queue("decline")
    kiosk.lane.scan(MILK)
    ui.settle()
    ui.tap_id("pay")
    ui.tap_id("card")
    assert ui.snap.screen is Screen.PAYMENT_CHOICE
    assert ui.find("failure").text == "上一次付款未成功，请重试或选择其他方式。"
    ui.tap_id("wechat")
    snap = ui.snap
    assert snap.screen is Screen.PAYING
    assert ui.find("prompt").text == "请向扫描器出示付款码"
    kiosk.lane.scan(WECHAT_CODE)
    ui.settle()
    snap = ui.snap
    assert snap.screen is Screen.RECEIPT
    assert [(m, s) for m, _, s in sims.ledger()] == [("card", "declined"), ("wechat", "approved")]


def test_power_cut_mid_basket_brings_the_basket_back(kivy_window: None, tmp_path: Path) -> None:
    first = Kiosk(tmp_path / "store", SMALL).start()
    for code in (MILK, TOAST):
        first.lane.scan(code)
    first.ui.settle()
    before = rows(first)
    first.close()  # the process dies; the journal stays
    second = Kiosk(tmp_path / "store", SMALL).start()
    try:
        assert second.ui.snap.screen is Screen.BASKET
        assert rows(second) == before
        assert second.ui.find("total").text == "合计  ¥16.40"
        second.ui.tap_id("pay")
        second.ui.tap_id("card")
        snap = second.ui.snap
        assert snap.screen is Screen.RECEIPT
    finally:
        second.close()


def test_switching_language_mid_purchase_keeps_the_basket(kiosk: Kiosk) -> None:
    ui = kiosk.ui
    kiosk.lane.scan(MILK)
    kiosk.lane.scan(TOAST)
    ui.settle()
    ui.tap_id("lang")
    assert ui.snap.locale == "en"
    # Scan order, the newest last (highlighted, scrolled into view).
    assert [r["name"] for r in rows(kiosk)] == ["Whole milk 250 ml", "Wholemeal sliced loaf 400 g"]
    assert ui.find("pay").text == "Pay"
    assert ui.find("total").text == "Total  ¥16.40"
    ui.tap_id("pay")
    assert ui.find("amount").text == "To pay: ¥16.40"
    ui.tap_id("lang")
    assert ui.find("amount").text == "应付：¥16.40"
    assert ui.find("card").text == "银行卡"
    ui.tap_id("card")
    assert ui.snap.screen is Screen.RECEIPT


def test_remove_line_needs_attendant_pin_in_the_overlay(kiosk: Kiosk) -> None:
    ui = kiosk.ui
    kiosk.lane.scan(MILK)
    kiosk.lane.scan(TOAST)
    ui.settle()
    (toast_row,) = [w for w in ui.visible_widgets() if getattr(w, "name", "") == "全麦吐司 400g"]
    (remove,) = [b for b in _buttons(toast_row) if b.text == "删除"]
    ui.tap(remove)
    overlay = ui.find("overlay", ui.root)
    assert overlay.ids.reason.text == "删除商品：全麦吐司 400g"
    ui.type_pin("1234", overlay.ids.pinpad)
    assert [r["name"] for r in rows(kiosk)] == ["纯牛奶 250ml"]


def test_large_text_mode_scales_text_not_targets(kiosk: Kiosk) -> None:
    ui = kiosk.ui
    pay_font = ui.find("start").font_size
    ui.tap_id("large")
    assert ui.snap.large_text
    assert ui.find("start").font_size > pay_font
    assert ui.find("large").text == "标准字体"


def _buttons(widget: Any) -> list[Any]:
    from kivy.uix.button import Button  # noqa: PLC0415

    found: list[Any] = []
    stack = [widget]
    while stack:
        w = stack.pop()
        if isinstance(w, Button):
            found.append(w)
        stack.extend(getattr(w, "children", []))
    return found


def test_attendant_refunds_a_wechat_sale_from_the_panel_by_scanning_the_receipt(
    kiosk: Kiosk,
) -> None:
    ui = kiosk.ui
    sims = kiosk.demo.payments.simulators
    assert sims is not None
    kiosk.lane.scan(TOAST)
    ui.settle()
    ui.tap_id("pay")
    ui.tap_id("wechat")
    kiosk.lane.scan(WECHAT_CODE)
    ui.settle()
    receipt = ui.snap.receipt
    assert receipt is not None
    ui.tap_id("done")
    ui.tap_id("staff")
    ui.type_pin("1234", ui.find("login"))  # an attendant: no refund button for that role
    assert ui.find("refund").disabled
    ui.tap_id("exit")
    ui.tap_id("staff")
    ui.type_pin("2580", ui.find("login"))  # a supervisor
    ui.tap_id("refund")
    assert ui.snap.refund is not None
    kiosk.lane.scan(MILK)  # not a receipt
    ui.settle()
    assert ui.snap.notice is not None
    assert ui.snap.notice.key == "refund_scan_receipt"
    kiosk.lane.scan(f"TX:{receipt.tx_id}")  # the QR code printed on the receipt
    ui.settle()
    ui.tap_text("退款 ¥12.90（微信支付）")
    ui.wait_for(lambda s: s.refund is not None and not s.refund.busy)
    assert ui.snap.notice is not None
    assert ui.snap.notice.key == "refund_done"
    (order,) = sims.qr.ledger.orders("wechat")
    assert order.refunded_minor == 1290
    assert ui.find("lines").children  # the sale stays listed, fully refunded
    assert any("已全部退款" in str(getattr(w, "text", "")) for w in ui.visible_widgets())
    ui.tap_id("refund")  # done with refunds
    assert ui.snap.refund is None


def test_basket_lists_lines_in_scan_order_newest_last_highlighted_and_in_view(
    kiosk: Kiosk,
) -> None:
    from bench.ui import sellable_gtins  # noqa: PLC0415 - the demo items without a check

    ui = kiosk.ui
    ui.tap_id("start")
    codes = sellable_gtins()[:9]  # more lines than the list shows at once
    for n, code in enumerate(codes, 1):
        kiosk.lane.scan(code)
        ui.wait_for(lambda s, n=n: len(s.lines) == n)  # type: ignore[misc]
    ui.frames(5)
    shown = rows(kiosk)
    assert [r["line_id"] for r in shown] == [line.line_id for line in ui.snap.lines]
    assert [r["highlight"] for r in shown] == [False] * 8 + [True]
    # The newest row is scrolled into view: inside the list's visible area.
    rv = ui.find("lines")
    (view,) = [v for v in rv.layout_manager.children if v.line_id == ui.snap.last_line_id]
    _, bottom = rv.to_window(rv.x, rv.y)
    _, row_bottom = view.to_window(view.x, view.y)
    assert bottom - 1 <= row_bottom
    assert row_bottom + view.height <= bottom + rv.height + 1


@pytest.mark.parametrize("profile", [SMALL, FULL_HD], ids=["800x480@7in", "1920x1080@21.5in"])
def test_a_short_basket_starts_at_the_top_of_the_list_also_after_the_overlay(
    kivy_window: None, tmp_path: Path, profile: DisplayProfile
) -> None:
    kiosk = Kiosk(tmp_path / "store", profile).start()
    try:
        ui = kiosk.ui
        kiosk.lane.scan(TOAST)  # from the attract screen: the basket screen is built now
        kiosk.lane.scan(BEER)  # the attendant-required overlay covers the basket
        ui.wait_for(lambda s: len(s.lines) == 2)
        ui.type_pin("1234", ui.find("pinpad"))  # approved: the overlay closes
        ui.frames(120)  # two seconds: the list has settled wherever it goes
        rv = ui.find("lines")
        first_id = ui.snap.lines[0].line_id
        first = next(v for v in rv.layout_manager.children if v.line_id == first_id)
        _, list_bottom = rv.to_window(rv.x, rv.y)
        _, row_bottom = first.to_window(first.x, first.y)
        # Kivy's y grows upwards: the first row's top is the list's top, not lower down.
        assert abs((row_bottom + first.height) - (list_bottom + rv.height)) <= 1
    finally:
        kiosk.close()
