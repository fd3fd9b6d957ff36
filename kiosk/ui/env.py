"""Kivy's process set-up, done once before the first `import kivy` (no Kivy import here).

Kivy reads its environment at import: whether to parse `sys.argv` (never, for us),
where to write its config and logs, and SDL's video driver. `prepare_kivy` sets them,
then the window's size, so the same app runs full-screen on a kiosk (SDL2/KMS), in a
window on a laptop, and offscreen in tests (`SDL_VIDEODRIVER=offscreen`, Mesa EGL).
"""

from __future__ import annotations

import logging
import math
import os
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class DisplayProfile:
    """A touch screen: pixels and physical diagonal, hence pixels per millimetre."""

    width: int
    height: int
    diagonal_in: float

    @property
    def dpi(self) -> float:
        return math.hypot(self.width, self.height) / self.diagonal_in

    @property
    def px_per_mm(self) -> float:
        return self.dpi / 25.4

    @property
    def layout_scale(self) -> float:
        """How many physical millimetres one layout millimetre is on this screen.

        The layout is drawn in millimetres (touch targets >= 9 mm anywhere), sized for a
        7" panel read from ~35 cm. A larger screen is read from further away (a 21.5"
        monitor from ~55 cm), so the same angle needs bigger text and buttons: 1.0 up to
        7", growing linearly to 1.5 at 21.5", at most 1.6.
        """
        return min(1.6, max(1.0, 1.0 + (self.diagonal_in - 7.0) / 29.0))

    @classmethod
    def parse(cls, text: str) -> DisplayProfile:
        """`800x480@7` (width x height @ diagonal inches)."""
        try:
            size, diagonal = text.split("@")
            width, height = size.lower().split("x")
            profile = cls(int(width), int(height), float(diagonal))
        except ValueError:
            raise ValueError(
                f"display {text!r}: write WIDTHxHEIGHT@INCHES, e.g. 800x480@7"
            ) from None
        if not (320 <= profile.width <= 7680 and 240 <= profile.height <= 4320):
            raise ValueError(f"display {text!r}: size out of range")
        if not 3 <= profile.diagonal_in <= 100:
            raise ValueError(f"display {text!r}: diagonal out of range 3..100 in")
        return profile


#: The two screens the kiosk is designed for (issue 6): a 7" 800x480 panel and a
#: 21.5" full-HD monitor.
SMALL = DisplayProfile(800, 480, 7.0)
FULL_HD = DisplayProfile(1920, 1080, 21.5)


def _warnings_only(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.WARNING


def has_display() -> bool:
    """True when SDL can open a visible window (X11, Wayland, or a video driver set)."""
    if os.environ.get("SDL_VIDEODRIVER"):
        return os.environ["SDL_VIDEODRIVER"] != "offscreen"
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def prepare_kivy(
    *, headless: bool, profile: DisplayProfile, home: Path, fullscreen: bool = False
) -> None:
    """Set Kivy's environment and window config. Call before importing any Kivy module."""
    if "kivy" in sys.modules and "kivy.core.window" in sys.modules:
        return  # the window exists already (tests build many apps in one process)
    home.mkdir(parents=True, exist_ok=True)
    os.environ["KIVY_NO_ARGS"] = "1"  # Kivy would otherwise parse our command line
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
    os.environ.setdefault("KIVY_NO_FILELOG", "1")
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
    os.environ["KIVY_HOME"] = str(home)
    if headless:
        os.environ["SDL_VIDEODRIVER"] = "offscreen"
    # Kivy logs its start-up (versions, GL, providers) at INFO through Python logging and
    # resets its logger's level on import: a filter keeps only warnings and errors.
    logging.getLogger("kivy").addFilter(_warnings_only)
    from kivy.config import Config  # noqa: PLC0415 - only after the environment is set

    Config.set("graphics", "width", str(profile.width))
    Config.set("graphics", "height", str(profile.height))
    Config.set("graphics", "resizable", "0")
    Config.set("graphics", "fullscreen", "auto" if fullscreen else "0")
    Config.set("kivy", "exit_on_escape", "0")
    Config.set("kivy", "keyboard_mode", "system")
    Config.set("input", "mouse", "mouse,disable_multitouch")
    # The interruptible clock: a lane snapshot (a zero-timeout trigger fired from the
    # lane's thread) wakes the UI thread from its between-frames sleep, so the frame that
    # shows it starts at once instead of at the next 60 fps tick (up to 16.7 ms later).
    # `interupt_next_only` (set by KioskApp) keeps every other timeout on the frame grid.
    Config.set("kivy", "kivy_clock", "interrupt")
