"""Camera barcode reader: OpenCV capture and zxing-cpp decode, delivering `Scan` events.

Needs the `camera` extra (opencv-python-headless, zxing-cpp); import it only where a
camera is configured, so the rest of the kiosk does not pay for OpenCV.
"""

from drivers.camera.decode import DEFAULT_FORMATS, Decoded, Deduplicator, FrameDecoder, Roi
from drivers.camera.errors import CameraConfigError, CameraError, CameraOpenError
from drivers.camera.reader import CameraHealth, CameraReader, parse_source

__all__ = [
    "DEFAULT_FORMATS",
    "CameraConfigError",
    "CameraError",
    "CameraHealth",
    "CameraOpenError",
    "CameraReader",
    "Decoded",
    "Deduplicator",
    "FrameDecoder",
    "Roi",
    "parse_source",
]
