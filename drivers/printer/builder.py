"""Build the ESC/POS bytes of a receipt: python-escpos for commands, our own Chinese text.

python-escpos (a `Dummy` printer that only collects bytes) writes the commands:
initialise, alignment, sizes, EAN-13 (`GS k`), native QR (`GS ( k`), raster logo
(`GS v 0`), cut (`GS V`). Text goes through `drivers.printer.cjk`, because python-escpos
has no Chinese code page (PROTOCOLS.md "Receipt printer: ESC/POS"). The bytes are then
handed to `ReceiptPrinter.print_job`, which spools them and sends them over the
transport, so one byte stream serves USB, serial, network and file printers alike.

python-escpos is imported when the first builder is made, not with this module: it
costs ~15 MB of resident memory (its capability database, python-barcode, qrcode), and
a kiosk that only starts its printer driver, or prints receipts (`kiosk.receipts.escpos`
uses `drivers.printer.commands`), never needs it.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Self

from drivers.printer.cjk import Codec, encode_text
from drivers.printer.errors import PrinterError

if TYPE_CHECKING:
    from PIL import Image

Align = Literal["left", "center", "right"]


class ReceiptBuilder:
    """Collects one receipt's bytes; every method returns `self` so calls chain."""

    def __init__(self, codec: Codec = "gb18030", profile: str | None = None) -> None:
        from escpos.printer import Dummy  # noqa: PLC0415 - lazy: see the module docstring

        self.codec: Codec = codec
        self._escpos = Dummy(profile=profile) if profile else Dummy()
        self._escpos.hw("INIT")  # ESC @

    def _raw(self, data: bytes) -> None:
        # Dummy only exposes its byte sink as `_raw`; it is the documented extension point.
        self._escpos._raw(data)

    def style(
        self,
        *,
        align: Align = "left",
        bold: bool = False,
        double_width: bool = False,
        double_height: bool = False,
    ) -> Self:
        """Alignment (`ESC a`), emphasis (`ESC E`) and size (`GS !`) for the following lines."""
        self._escpos.set(
            align=align, bold=bold, double_width=double_width, double_height=double_height
        )
        return self

    def text(self, text: str) -> Self:
        """Text in any mix of Chinese and Latin; Han runs framed by `FS &` … `FS .`."""
        self._raw(encode_text(text, self.codec))
        return self

    def line(self, text: str = "") -> Self:
        return self.text(text + "\n")

    def ean13(self, code: str, *, height: int = 64, width: int = 2) -> Self:
        """An EAN-13 printed by the printer (`GS k`), digits below; 12 or 13 digits."""
        if not (code.isdigit() and len(code) in (12, 13)):
            raise PrinterError(f"EAN-13 barcode {code!r}: expected 12 or 13 digits")
        # python-escpos announces its renderer on stdout; keep command output clean.
        with contextlib.redirect_stdout(io.StringIO()):
            self._escpos.barcode(code, "EAN13", height=height, width=width, function_type="A")
        return self

    def qr(self, content: str, *, size: int = 6) -> Self:
        """A QR code rendered by the printer itself (`GS ( k`, model 2, level M)."""
        if not content:
            raise PrinterError("QR code content is empty")
        from escpos.constants import QR_ECLEVEL_M  # noqa: PLC0415 - loaded with Dummy

        self._escpos.qr(content, size=size, native=True, ec=QR_ECLEVEL_M)
        return self

    def logo(self, image: Image.Image | str | Path, *, center: bool = True) -> Self:
        """A raster image (`GS v 0`), e.g. the store logo, dithered to black and white."""
        source = image if not isinstance(image, str | Path) else str(image)
        self._escpos.image(source, center=center)
        return self

    def feed(self, lines: int = 1) -> Self:
        self._raw(b"\n" * lines)
        return self

    def cut(self, *, partial: bool = False) -> Self:
        """Feed past the cutter and cut (`GS V`)."""
        self._escpos.cut(mode="PART" if partial else "FULL")
        return self

    def to_bytes(self) -> bytes:
        return bytes(self._escpos.output)
