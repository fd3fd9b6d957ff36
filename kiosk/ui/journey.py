"""The scripted shopper-and-attendant journey through every screen, with screenshots.

Used by `kiosk run` on a machine without a display and by `kiosk demo --screenshots`:
it taps through the real UI (simulated touches) on the demo store, feeds scans and a
produce weight as the simulated devices would, and writes one PNG per screen in each
language (`NN-screen-locale.png`).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from drivers.scale import ScaleStatus, Weight
from kiosk.lane_setup import KioskLane
from kiosk.lane_view import Screen
from kiosk.ui.driver import UiDriver

log = logging.getLogger(__name__)

MILK = "6920101000010"
TOAST = "6920909000014"
BEER = "6920303000016"
WECHAT_CODE = "134567890123456789"
PHONE = "13800138000"
ATTENDANT_PIN = "1234"  # the demo attendants' published PINs (kiosk.security.attendants)
SUPERVISOR_PIN = "2580"
LOCALES = ("zh_CN", "en")


class Journey:
    def __init__(self, driver: UiDriver, demo: KioskLane, out_dir: Path) -> None:
        self.driver = driver
        self.demo = demo
        self.out_dir = out_dir
        self.shots: list[Path] = []

    def shoot(self, name: str) -> None:
        """A screenshot of the current screen in every language, then back to the first."""
        start = self.driver.snap.locale
        for locale in (start, *(loc for loc in LOCALES if loc != start)):
            if self.driver.snap.locale != locale:
                self.driver.tap_id("lang", self.driver.root.ids.topbar)  # type: ignore[union-attr]
            number = len(self.shots) // len(LOCALES) + 1
            self.shots.append(
                self.driver.screenshot(self.out_dir / f"{number:02d}-{name}-{locale}.png")
            )
        if self.driver.snap.locale != start:
            self.driver.tap_id("lang", self.driver.root.ids.topbar)  # type: ignore[union-attr]

    def scan(self, code: str) -> None:
        self.demo.lane.scan(code)
        self.driver.settle()

    def run(self) -> list[Path]:
        d = self.driver
        d.go(Screen.ATTRACT)
        self.shoot("attract")
        d.tap_id("start")
        for code in (MILK, MILK, MILK, TOAST, BEER):
            self.scan(code)
        self.shoot("attendant-required")
        d.type_pin(ATTENDANT_PIN, d.find("pinpad"))
        self.shoot("basket")
        d.tap_id("produce")
        self.demo.lane.feed_weight(
            Weight(1250, True, ScaleStatus.OK, time.time(), source="produce_scale")
        )
        d.settle()
        self.shoot("produce")
        d.tap_text("香蕉" if d.snap.locale == "zh_CN" else "Bananas")
        d.tap_id("member_button")
        keypad = d.find("keypad")
        for digit in PHONE:
            d.tap(keypad.ids[f"k{digit}"])
        self.shoot("member")
        d.tap(keypad.ids.kok)
        d.tap_id("pay")
        self.shoot("payment-choice")
        d.tap_id("wechat")
        self.shoot("paying")
        self.scan(WECHAT_CODE)
        self.shoot("receipt")
        paid = d.snap.receipt
        d.tap_id("done")
        d.tap_id("staff")
        self.shoot("attendant-login")
        d.type_pin(SUPERVISOR_PIN, d.find("login"))
        self.shoot("attendant-panel")
        d.tap_id("refund")  # the refund desk: the sale just paid, ready to refund
        if paid is not None:
            self.scan(f"TX:{paid.tx_id}")  # the QR code on the receipt
        self.shoot("attendant-refund")
        d.tap_id("refund")
        d.tap_id("lane")
        d.tap_id("exit")
        self.shoot("out-of-service")
        d.tap_id("staff")
        d.type_pin(SUPERVISOR_PIN, d.find("login"))
        d.tap_id("lane")
        d.tap_id("exit")
        d.go(Screen.ATTRACT)
        return self.shots


def run_journey(driver: UiDriver, demo: KioskLane, out_dir: Path) -> list[Path]:
    """Tap through every screen; return the screenshots written to `out_dir`."""
    shots = Journey(driver, demo, out_dir).run()
    log.info("journey done", extra={"screenshots": len(shots), "dir": str(out_dir)})
    return shots
