"""Drive the kiosk UI in-process: tests, the offscreen journey, screenshots, the bench.

`UiDriver` builds `KioskApp` and attaches it to Kivy's window without `App.run()`, then
advances frames itself (`EventLoop.idle()`), so a test can tap a widget with a real
touch event (down/up through the widget tree, as a finger would), wait for the lane
to publish and the UI to draw, and write a PNG. Every wait is bounded by a frame
count and a timeout; none asserts on elapsed time.

Call `kiosk.ui.env.prepare_kivy` before importing this module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from kivy.base import EventLoop
from kivy.input.motionevent import MotionEvent
from kivy.uix.stencilview import StencilView
from kivy.uix.widget import Widget

from kiosk.lane import Lane
from kiosk.lane_view import LaneSnapshot, Screen
from kiosk.ui.app import KioskApp
from kiosk.ui.env import DisplayProfile
from kiosk.ui.fonts import find_cjk_font
from kiosk.ui.root import KioskRoot


class UiTimeout(AssertionError):
    """The UI did not reach the awaited state within the bounded wait."""


class _Touch(MotionEvent):
    """A finger: one touch at window coordinates, dispatched like a real one."""

    _ids = iter(range(1, 1 << 30))

    def __init__(self, x: float, y: float) -> None:
        window = EventLoop.window
        super().__init__(
            "kiosk-driver",
            next(self._ids),
            {"x": x / (window.width - 1.0), "y": y / (window.height - 1.0)},
            is_touch=True,
            type_id="touch",
        )
        self.profile = ["pos"]

    def depack(self, args: dict[str, float]) -> None:
        self.sx = args["x"]
        self.sy = args["y"]
        super().depack(args)


class UiDriver:
    """One app on the window, its lane started by `start()`; `close()` undoes both."""

    def __init__(self, lane: Lane, profile: DisplayProfile, font: Path | None = None) -> None:
        self.lane = lane
        self.profile = profile
        self.app = KioskApp(lane, profile, find_cjk_font(font))
        self.root: KioskRoot | None = None

    def start(self) -> UiDriver:
        EventLoop.ensure_window()
        window = EventLoop.window
        size = (self.profile.width, self.profile.height)
        if tuple(window.size) != size:
            window.size = size
        self.root = self.app.build()
        self.app.root = self.root
        window.add_widget(self.root)
        self.lane.on_snapshot = self.app.on_lane_snapshot
        self.lane.start()
        self.settle()
        return self

    def close(self) -> None:
        self.lane.stop()
        if self.root is not None:
            EventLoop.window.remove_widget(self.root)
            self.root = None
        # kv's `app` proxy caches the app until it stops: release it for the next app.
        self.app.dispatch("on_stop")

    # ------------------------------------------------------------ waiting

    def frames(self, count: int = 1) -> None:
        for _ in range(count):
            EventLoop.idle()

    def settle(self, *, max_frames: int = 400, timeout: float = 15.0) -> LaneSnapshot:
        """Run frames until the UI shows the lane's newest snapshot and no payment runs."""
        for _ in range(max_frames):
            if not self.lane.flush(timeout):
                raise UiTimeout("the lane did not finish its queued actions")
            self.frames(1)
            latest = self.lane.snapshot()
            shown = self.app.rendered
            paying = latest is not None and latest.payment is not None
            busy = paying and latest.payment.prompt not in (None, "show_code")  # type: ignore[union-attr]
            if latest is not None and shown is not None and shown.seq == latest.seq and not busy:
                # Layout and the screen manager catch up over the next frames (Clock
                # callbacks scheduled by the render itself).
                self.frames(3)
                if self.app.rendered is shown and self.lane.snapshot() is latest:
                    return shown
        raise UiTimeout(f"UI not settled after {max_frames} frames")

    def wait_for(
        self, what: Callable[[LaneSnapshot], bool], *, max_frames: int = 400
    ) -> LaneSnapshot:
        for _ in range(max_frames):
            snap = self.settle()
            if what(snap):
                return snap
        raise UiTimeout("the awaited state never came")

    @property
    def snap(self) -> LaneSnapshot:
        shown = self.app.rendered
        assert shown is not None, "nothing rendered yet"
        return shown

    # ------------------------------------------------------------ finding and tapping

    def screen(self) -> Any:
        assert self.root is not None
        return self.root.current_screen()

    def find(self, widget_id: str, where: Any = None) -> Any:
        """The widget with kv id `widget_id` in `where` (default: overlay or current screen,
        then the top bar), searching nested rules' ids too."""
        assert self.root is not None
        places = [where] if where is not None else self._places()
        for place in places:
            found = _find_id(place, widget_id)
            if found is not None:
                return found
        raise LookupError(f"no widget with id {widget_id!r} on {self.snap.screen.value}")

    def _places(self) -> list[Any]:
        assert self.root is not None
        overlay = self.root.ids.overlay
        places: list[Any] = [overlay] if overlay.shown else []
        return [*places, self.screen(), self.root.ids.topbar]

    def tap(self, widget: Widget) -> LaneSnapshot:
        """Touch the centre of `widget` (down, then up) and wait for the UI to settle."""
        if widget.disabled or widget.opacity == 0:
            raise AssertionError(f"{widget} is not tappable (disabled or invisible)")
        x, y = widget.to_window(*widget.center)
        _check_reachable(widget, x, y)
        touch = _Touch(x, y)
        EventLoop.post_dispatch_input("begin", touch)
        self.frames(1)
        EventLoop.post_dispatch_input("end", touch)
        self.frames(1)
        return self.settle()

    def tap_id(self, widget_id: str, where: Any = None) -> LaneSnapshot:
        return self.tap(self.find(widget_id, where))

    def tap_text(self, text: str) -> LaneSnapshot:
        """Tap the visible button whose text contains `text` (for generated rows)."""
        for widget in self.visible_widgets():
            if widget.__class__.__name__.endswith(("Button", "TileButton")):
                label = str(getattr(widget, "text", "")) + str(getattr(widget, "caption", ""))
                if text in label:
                    return self.tap(widget)
        raise LookupError(f"no visible button with {text!r} on {self.snap.screen.value}")

    def type_pin(self, pin: str, pad: Any) -> LaneSnapshot:
        for digit in pin:
            self.tap(pad.ids[f"k{digit}"])
        return self.tap(pad.ids.kok)

    def visible_widgets(self) -> Iterator[Any]:
        """Widgets a finger can reach now: on screen, not disabled, not transparent."""
        for place in self._places():
            yield from _visible(place)

    def screenshot(self, path: Path) -> Path:
        assert self.root is not None
        path.parent.mkdir(parents=True, exist_ok=True)
        self.frames(2)
        self.root.export_to_png(str(path))
        return path

    def go(self, screen: Screen) -> LaneSnapshot:
        return self.wait_for(lambda s: s.screen is screen)


def _check_reachable(widget: Any, x: float, y: float) -> None:
    """A finger at (x, y) must land inside every scrolling parent that clips `widget`."""
    parent = widget.parent
    while parent is not None and parent is not parent.parent:
        if isinstance(parent, StencilView):
            px, py = parent.to_window(parent.x, parent.y)
            if not (px <= x <= px + parent.width and py <= y <= py + parent.height):
                raise AssertionError(f"{widget} is scrolled out of sight; a finger cannot reach it")
        parent = parent.parent


def _find_id(widget: Any, widget_id: str) -> Any:
    ids = getattr(widget, "ids", {})
    if widget_id in ids:
        return ids[widget_id]
    for child in getattr(widget, "children", []):
        found = _find_id(child, widget_id)
        if found is not None:
            return found
    return None


def _visible(widget: Any) -> Iterator[Any]:
    if widget.opacity == 0 or widget.disabled or widget.width <= 0 or widget.height <= 0:
        return
    yield widget
    for child in widget.children:
        yield from _visible(child)
