"""Receipt and thanks: "take your receipt", or a QR code for the e-receipt."""

from __future__ import annotations

import io

import qrcode
from kivy.core.image import Image as CoreImage

from kiosk.lane_view import LaneSnapshot
from kiosk.ui.screens.base import KioskScreen


def qr_texture(text: str) -> object:
    """A texture of the QR code for `text` (drawn with qrcode + Pillow, shown by Kivy)."""
    image = qrcode.make(text, border=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    buffer.seek(0)
    return CoreImage(buffer, ext="png").texture


class ReceiptScreen(KioskScreen):
    _qr_for: str = ""

    def render(self, snap: LaneSnapshot) -> None:
        url = snap.receipt.e_receipt_url if snap.receipt else None
        qr = self.ids.qr
        if url and url != self._qr_for:
            qr.texture = qr_texture(url)
            self._qr_for = url
        qr.opacity = 1 if url else 0
