"""The Kivy app: wires the lane to the screens and delegates (STYLE.md: not an Electrum App).

`KioskApp` holds what every rule binds to (`lang`, `mm`, `fmm`, `large_text`, `snap`),
receives snapshots from the lane's worker thread and renders only the newest one on
the UI thread through a `Clock` trigger, so the UI thread never waits for the lane.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.core.text import DEFAULT_FONT, LabelBase
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty

from kiosk.lane import Lane
from kiosk.lane_view import LaneSnapshot, Screen
from kiosk.ui.env import DisplayProfile
from kiosk.ui.i18n import tr
from kiosk.ui.kivy_fixes import finish_each_frame, fix_scrollview_bar_bindings, frame_waker
from kiosk.ui.root import KioskRoot

UI_DIR = Path(__file__).resolve().parent
LARGE_TEXT_SCALE = 1.3
# Rule files, shared widgets first; one per screen next to its module.
KV_FILES = (
    "widgets.kv",
    "root.kv",
    "overlay.kv",
    "screens/attract.kv",
    "screens/basket.kv",
    "screens/produce.kv",
    "screens/member.kv",
    "screens/payment_choice.kv",
    "screens/paying.kv",
    "screens/receipt.kv",
    "screens/attendant_panel.kv",
    "screens/out_of_service.kv",
)


def release_free_heap(_dt: float = 0.0) -> None:
    """Give the C heap's free pages back to the OS (glibc `malloc_trim`; else nothing).

    Drawing and receipts allocate and free native memory in bursts (Mesa's llvmpipe
    compiling shaders, label textures, Pillow for the e-receipt QR code); glibc keeps
    the freed pages, so the kiosk's RSS stayed ~30 MB above what it uses
    (`python -m bench.ui`). Called between shoppers, where its few milliseconds are
    not seen.
    """
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _load_libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


_LIBC = _load_libc()


def load_rules() -> None:
    """Load every .kv file once (reloading replaces the rules, for repeated app builds)."""
    for name in KV_FILES:
        path = str(UI_DIR / name)
        Builder.unload_file(path)
        Builder.load_file(path)


class KioskApp(App):
    lang = StringProperty("zh_CN")
    mm = NumericProperty(5.0)  # pixels per layout millimetre (DisplayProfile.layout_scale)
    fmm = NumericProperty(5.0)  # the same for text: larger in large-text mode
    large_text = BooleanProperty(False)
    snap = ObjectProperty(None, allownone=True)

    def __init__(self, lane: Lane, profile: DisplayProfile, font: Path, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.lane = lane
        self.profile = profile
        self.title = "Kiosk"
        self.mm = profile.px_per_mm * profile.layout_scale  # pixels per layout millimetre
        self.fmm = self.mm
        self._font = font
        self._pending: LaneSnapshot | None = None
        self._render_trigger = Clock.create_trigger(self._render_pending, 0)
        self._wake_frame = frame_waker()
        self.rendered: LaneSnapshot | None = None

    def build(self) -> KioskRoot:
        # Every label (Latin and CJK) uses the CJK font: one face, one look.
        LabelBase.register(DEFAULT_FONT, str(self._font))
        fix_scrollview_bar_bindings()
        from kivy.core.window import Window  # noqa: PLC0415 - creates the window if none

        finish_each_frame(Window)
        load_rules()
        return KioskRoot()

    # Called on the lane's worker thread.
    def on_lane_snapshot(self, snap: LaneSnapshot) -> None:
        self._pending = snap
        self._render_trigger()  # Clock triggers are safe to fire from any thread
        self._wake_frame()  # draw it in the frame that starts now, not at the next tick

    def _render_pending(self, _dt: float) -> None:
        snap = self._pending
        if snap is None or (self.rendered is not None and snap.seq <= self.rendered.seq):
            return
        self.render(snap)

    def render(self, snap: LaneSnapshot) -> None:
        """Show `snap` (UI thread)."""
        if snap.screen is Screen.ATTRACT and (
            self.rendered is None or self.rendered.screen is not Screen.ATTRACT
        ):
            # Between shoppers, the frame after the attract screen: nobody waits on it.
            Clock.schedule_once(release_free_heap, 0)
        self.lang = snap.locale
        self.large_text = snap.large_text
        self.fmm = self.mm * (LARGE_TEXT_SCALE if snap.large_text else 1.0)
        self.snap = snap
        self.root.render(snap)
        self.rendered = snap

    def t(self, key: str, **params: object) -> str:
        return tr(self.lang, key, **params)
