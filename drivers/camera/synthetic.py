"""Frames and video files with real barcodes in them (zxing-cpp's writer), so the camera
reader is tested and benchmarked on real decodes without a camera."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import zxingcpp

from drivers.camera.errors import CameraOpenError

Frame = npt.NDArray[np.uint8]

WIDTH, HEIGHT = 640, 480


def barcode_image(
    content: str, fmt: zxingcpp.BarcodeFormat, scale: int = 3, *, gs1: bool = False
) -> Frame:
    """A grey image of one barcode made by zxing-cpp's writer, quiet zones included."""
    options = {"gs1": True} if gs1 else {}
    barcode = zxingcpp.create_barcode(content, fmt, **options)
    return np.array(zxingcpp.write_barcode_to_image(barcode, scale=scale), dtype=np.uint8)


def blank_frame(shade: int = 235) -> Frame:
    return np.full((HEIGHT, WIDTH, 3), shade, dtype=np.uint8)


def noise_frame(seed: int) -> Frame:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(HEIGHT, WIDTH, 3), dtype=np.uint8)


def frame_with(code: Frame, x: int = 100, y: int = 100) -> Frame:
    """A 640x480 BGR frame with `code` pasted at (x, y) on a light background."""
    frame = blank_frame()
    h, w = code.shape[:2]
    frame[y : y + h, x : x + w] = code[..., None]
    return frame


def rotated(frame: Frame, degrees: float) -> Frame:
    centre = (WIDTH / 2, HEIGHT / 2)
    matrix = cv2.getRotationMatrix2D(centre, degrees, 1.0)
    out = cv2.warpAffine(frame, matrix, (WIDTH, HEIGHT), borderValue=(235, 235, 235))
    return np.asarray(out, dtype=np.uint8)


def blurred(frame: Frame, kernel: int = 5) -> Frame:
    return np.asarray(cv2.GaussianBlur(frame, (kernel, kernel), 0), dtype=np.uint8)


def write_video(path: Path, frames: Iterable[Frame], fps: float = 30.0) -> Path:
    """An MJPG AVI file (works with headless OpenCV, no codec packs needed)."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), fps, (WIDTH, HEIGHT))
    if not writer.isOpened():
        raise CameraOpenError(f"cannot write video file {path} (MJPG/AVI)")
    try:
        for frame in frames:
            writer.write(frame)
    finally:
        writer.release()
    return path
