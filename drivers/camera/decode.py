"""Decode barcodes in one camera frame with zxing-cpp, and suppress repeated reads.

zxing-cpp reports each result's AIM symbology identifier (`]E0` EAN-13/UPC-A, `]E4`
EAN-8, `]e0` GS1 DataBar, `]Q1` QR, `]d1`/`]d2` DataMatrix, …), the same prefix a serial
scanner sends (PROTOCOLS.md "Barcode scanners"), so camera and scanner reads carry the
same symbology. The text is taken in zxing's "plain" mode: GS1 element strings keep
their FNC1 separators as GS (0x1D), exactly as a scanner delivers them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt
import zxingcpp

from drivers.camera.errors import CameraConfigError

Frame = npt.NDArray[np.uint8]

#: Formats a self-checkout camera reads (SPEC section 4: products and phone QR codes).
DEFAULT_FORMATS: tuple[zxingcpp.BarcodeFormat, ...] = (
    zxingcpp.BarcodeFormat.EANUPC,
    zxingcpp.BarcodeFormat.QRCode,
    zxingcpp.BarcodeFormat.DataMatrix,
    zxingcpp.BarcodeFormat.DataBar,
)


@dataclass(frozen=True, slots=True)
class Roi:
    """Region of interest in pixels: only this rectangle of each frame is decoded."""

    x: int
    y: int
    width: int
    height: int

    def __post_init__(self) -> None:
        if self.x < 0 or self.y < 0 or self.width <= 0 or self.height <= 0:
            raise CameraConfigError(
                f"region of interest {self}: x and y must be >= 0, width and height > 0"
            )

    @classmethod
    def parse(cls, text: str) -> Roi:
        """Parse `X,Y,WIDTH,HEIGHT` (pixels), as written in config and on the command line."""
        parts = text.split(",")
        try:
            x, y, w, h = (int(p) for p in parts)
        except ValueError:
            raise CameraConfigError(
                f"region of interest {text!r}: expected X,Y,WIDTH,HEIGHT in whole pixels"
            ) from None
        return cls(x, y, w, h)

    def crop(self, frame: Frame) -> Frame:
        """The part of `frame` inside this region; raises if the region leaves the frame."""
        height, width = frame.shape[:2]
        if self.x + self.width > width or self.y + self.height > height:
            raise CameraConfigError(
                f"region of interest x={self.x} y={self.y} width={self.width} "
                f"height={self.height} does not fit a {width}x{height} frame"
            )
        return frame[self.y : self.y + self.height, self.x : self.x + self.width]


@dataclass(frozen=True, slots=True)
class Decoded:
    """One barcode found in a frame."""

    text: str
    symbology: str  # AIM symbology identifier, e.g. "]E0"
    format: str  # zxing-cpp's format name, for logs ("EAN-13", "QR Code", …)


class FrameDecoder:
    """Turns frames into `Decoded` results: crop to the ROI, grey, zxing-cpp.

    One decoder is used by one thread; zxing-cpp itself decodes on the calling thread.
    """

    def __init__(
        self,
        formats: Iterable[zxingcpp.BarcodeFormat] = DEFAULT_FORMATS,
        roi: Roi | None = None,
        *,
        try_rotate: bool = True,
        try_invert: bool = True,
        try_downscale: bool = True,
    ) -> None:
        format_list = list(formats)
        if not format_list:
            raise CameraConfigError("camera decoder needs at least one barcode format")
        self.formats = zxingcpp.BarcodeFormats(format_list)
        self.roi = roi
        self.try_rotate = try_rotate
        self.try_invert = try_invert
        self.try_downscale = try_downscale

    def decode(self, frame: Frame) -> list[Decoded]:
        """Every valid barcode in the frame (BGR or grey), in zxing-cpp's order."""
        if self.roi is not None:
            frame = self.roi.crop(frame)
        grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if frame.ndim == 3 else frame
        results = zxingcpp.read_barcodes(
            grey,
            formats=self.formats,
            text_mode=zxingcpp.TextMode.Plain,
            try_rotate=self.try_rotate,
            try_invert=self.try_invert,
            try_downscale=self.try_downscale,
        )
        return [
            Decoded(text=r.text, symbology=r.symbology_identifier, format=r.format.name)
            for r in results
            if r.valid and r.text
        ]


class Deduplicator:
    """Suppress repeated reads of the same code.

    A code held in front of the camera is seen in frame after frame; it counts once
    until it has been out of sight for `window_s` seconds. Each sighting renews the
    window, so a slowly moving phone does not produce a second read.
    """

    def __init__(self, window_s: float) -> None:
        if window_s < 0:
            raise CameraConfigError(f"duplicate window {window_s} s must not be negative")
        self.window_s = window_s
        self._last_seen: dict[tuple[str, str], float] = {}

    def admit(self, key: tuple[str, str], now: float) -> bool:
        """True when `key` (data, symbology) is a new read at time `now` (seconds)."""
        last = self._last_seen.get(key)
        self._last_seen[key] = now
        if len(self._last_seen) > 256:
            self._forget_older_than(now - self.window_s)
        return last is None or now - last > self.window_s

    def _forget_older_than(self, cutoff: float) -> None:
        for key, seen in list(self._last_seen.items()):
            if seen < cutoff:
                del self._last_seen[key]
