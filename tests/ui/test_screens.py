"""Every screen: touch targets >= 9 mm at 800x480 and 1920x1080, screenshots in both
languages, and UI texts present in both catalogues."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from kiosk.ui.env import FULL_HD, SMALL, DisplayProfile
from tests.ui.conftest import Kiosk

UI = Path(__file__).resolve().parents[2] / "kiosk" / "ui"
MIN_MM = 9.0


def undersized(kiosk: Kiosk, profile: DisplayProfile) -> list[str]:
    """Visible touch targets smaller than 9 mm either way at `profile`'s pixel density."""
    from kivy.uix.button import ButtonBehavior  # noqa: PLC0415

    limit = MIN_MM * profile.px_per_mm - 0.5  # half a pixel of layout rounding
    small = []
    for widget in kiosk.ui.visible_widgets():
        if isinstance(widget, ButtonBehavior) and min(widget.width, widget.height) < limit:
            label = getattr(widget, "text", "") or type(widget).__name__
            small.append(f"{label!r} {widget.width:.0f}x{widget.height:.0f}px")
    return small


@pytest.mark.parametrize("profile", [SMALL, FULL_HD], ids=["800x480@7in", "1920x1080@21.5in"])
def test_every_touch_target_is_at_least_9mm(
    kivy_window: None, tmp_path: Path, profile: DisplayProfile
) -> None:
    from kiosk.ui.journey import Journey  # noqa: PLC0415

    kiosk = Kiosk(tmp_path / "store", profile).start()
    checked: dict[str, list[str]] = {}

    class Checking(Journey):
        def shoot(self, name: str) -> None:
            checked[name] = undersized(kiosk, profile)
            if name == "basket":  # large text grows the text, never shrinks a target
                self.driver.tap_id("large", self.driver.root.ids.topbar)  # type: ignore[union-attr]
                checked["basket-large-text"] = undersized(kiosk, profile)
                self.driver.tap_id("large", self.driver.root.ids.topbar)  # type: ignore[union-attr]

    try:
        assert kiosk.ui.app.mm == pytest.approx(profile.px_per_mm * profile.layout_scale)
        Checking(kiosk.ui, kiosk.demo, tmp_path / "unused").run()
    finally:
        kiosk.close()
    assert len(checked) == 13  # every screen, the overlay, the panel login and refund desk
    assert {name: small for name, small in checked.items() if small} == {}


def test_screenshots_of_every_screen_in_both_languages(kivy_window: None, tmp_path: Path) -> None:
    from kiosk.ui.journey import run_journey  # noqa: PLC0415

    kiosk = Kiosk(tmp_path / "store", SMALL).start()
    try:
        shots = run_journey(kiosk.ui, kiosk.demo, tmp_path / "shots")
    finally:
        kiosk.close()
    names = sorted(p.name for p in shots)
    screens = {re.sub(r"^\d+-|-(zh_CN|en)\.png$", "", n) for n in names}
    assert screens == {
        "attract",
        "basket",
        "produce",
        "member",
        "payment-choice",
        "paying",
        "receipt",
        "attendant-required",
        "attendant-login",
        "attendant-panel",
        "attendant-refund",
        "out-of-service",
    }
    assert len(shots) == 2 * len(screens)
    for zh in (p for p in shots if p.name.endswith("-zh_CN.png")):
        en = zh.with_name(zh.name.replace("-zh_CN.png", "-en.png"))
        zh_image, en_image = Image.open(zh).convert("RGB"), Image.open(en).convert("RGB")
        assert zh_image.size == (SMALL.width, SMALL.height)
        assert len(zh_image.getcolors(1 << 16) or ()) > 10, f"{zh.name} is blank"
        assert ImageChops.difference(zh_image, en_image).getbbox() is not None, zh.name


def test_occasional_screens_are_built_when_shown_and_dropped_when_left(
    kivy_window: None, tmp_path: Path
) -> None:
    from kiosk.ui.root import KEPT_SCREENS  # noqa: PLC0415

    kiosk = Kiosk(tmp_path / "store", SMALL).start()
    try:
        ui = kiosk.ui
        root = ui.root
        assert root is not None
        assert root.built_screens() == ["attract"]  # nothing else built at start
        ui.tap_id("start")
        ui.tap_id("produce")
        produce = ui.screen()
        assert "produce" in root.built_screens()
        ui.tap_id("back")
        ui.frames(3)
        assert ui.snap.screen.value == "basket"
        assert root.built_screens() == ["attract", "basket"]  # produce dropped, basket kept
        ui.tap_id("produce")  # built anew, and works as the first time
        assert ui.screen() is not produce
        assert any("香蕉" in getattr(w, "text", "") for w in ui.visible_widgets())
        ui.tap_id("back")
        ui.frames(3)
        assert {s.value for s in KEPT_SCREENS} >= set(root.built_screens())
    finally:
        kiosk.close()


def test_both_catalogues_have_the_same_keys() -> None:
    zh = json.loads((UI / "i18n" / "zh_CN.json").read_text("utf-8"))
    en = json.loads((UI / "i18n" / "en.json").read_text("utf-8"))
    assert set(zh) == set(en)


def test_every_text_key_the_ui_and_lane_use_exists() -> None:
    en = json.loads((UI / "i18n" / "en.json").read_text("utf-8"))
    used: set[str] = set()
    for path in [*UI.rglob("*.kv"), *UI.rglob("*.py")]:
        used |= set(
            re.findall(
                r"""tr\(\s*(?:app\.lang|locale|snap\.locale),\s*["']([\w.]+)["']""",
                path.read_text("utf-8"),
            )
        )
    used = {k for k in used if not k.endswith(".")}  # "payment." + method: listed below
    used |= {f"payment.{m}" for m in ("card", "wechat", "alipay")}
    used |= {f"paying.{p}" for p in ("show_code", "insert_card", "enter_pin", "processing")}
    flow = (UI.parent / "lane_flow.py").read_text("utf-8")
    used |= {f"notice.{k}" for k in re.findall(r"""_tell\(\s*["'](\w+)["']""", flow)}
    used |= {f"notice.{k}" for k in ("not_now", "internal_error", "lane_failed")}
    # Identifiers shown by name (tr_name): every one the kiosk knows has a text.
    from kiosk.device_config import ROLES  # noqa: PLC0415
    from kiosk.device_health import DeviceState  # noqa: PLC0415
    from kiosk.security.attendants import Role  # noqa: PLC0415

    used |= {f"device.{role}" for role in ROLES}
    used |= {f"device_state.{state.value}" for state in DeviceState}
    used |= {f"role.{role.value}" for role in Role}
    assert len(used) > 60
    assert sorted(used - set(en)) == []
