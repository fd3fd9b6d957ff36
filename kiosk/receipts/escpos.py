"""ESC/POS bytes for a receipt (SPEC section 3 "Receipts"; PROTOCOLS.md "Receipt printer").

Commands come from `drivers.printer.commands`, byte for byte what python-escpos's `Dummy`
printer writes for them but without loading python-escpos (~9.5 MB of resident memory
per kiosk, for a receipt every transaction; see that module). Text never goes through
python-escpos's own encoder, which cannot write Chinese correctly (PROTOCOLS.md): it is
encoded by drivers.printer.cjk and inserted raw. The text is the domain layout measured
in printer cells (every non-ASCII character is a double-byte glyph two columns wide),
so columns line up on paper.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from drivers.printer.cjk import CODECS, Codec, encode_text_report, is_codec
from drivers.printer.commands import Align as CommandAlign
from drivers.printer.commands import EscPosCommands
from kiosk.domain.receipt import Align, Paper, QrCode, Receipt, ReceiptError, layout

# QR module size in dots (GS ( k fn 67): a "TX:<id>" payload is a version 2-4 symbol,
# 33 modules at most, so 6 dots (198) fits 58 mm (384 dots) and 8 (264) fits 80 mm.
QR_MODULE_DOTS = {Paper.MM58: 6, Paper.MM80: 8}
_ALIGN: dict[Align, CommandAlign] = {Align.LEFT: "left", Align.CENTER: "center"}

_log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Style:
    align: Align = Align.LEFT
    bold: bool = False
    double: bool = False


def _apply(printer: EscPosCommands, have: _Style, want: _Style) -> None:
    """Send only the style commands that change something (ESC @ set the defaults)."""
    if want.align is not have.align:
        printer.align(_ALIGN[want.align])  # ESC a n
    if want.bold is not have.bold:
        printer.bold(want.bold)  # ESC E n
    if want.double is not have.double:
        # GS ! n rather than ESC ! n: GS ! also scales Chinese (double-byte) glyphs.
        size = 2 if want.double else 1
        printer.size(size, size)
    have.align, have.bold, have.double = want.align, want.bold, want.double


def render_escpos(receipt: Receipt, paper: Paper, codec: str = "gb18030") -> bytes:
    """The print job for `receipt` on `paper`: ESC @, the layout's lines (Chinese text
    in `codec`, "gbk" or "gb18030", between FS & / FS .), a native QR code of the
    receipt's `qr_payload` (GS ( k) between blank lines (ESC d 1), and a cut (GS V 66 0).
    Characters the printer cannot print come out as "?" / "？" and are logged with the
    transaction id."""
    if not is_codec(codec):
        raise ReceiptError(
            f"receipt {receipt.transaction_id!r}: printer codec {codec!r} is not one of "
            f"{', '.join(CODECS)}"
        )
    chosen: Codec = codec
    printer = EscPosCommands()
    printer.init()  # ESC @: clears modes left over from the previous job
    style = _Style()
    unencodable: list[str] = []
    for block in layout(receipt, paper.columns, double_byte_cells=True):
        if isinstance(block, QrCode):
            _apply(printer, style, _Style(align=Align.CENTER))
            # ESC d 1 before and after: blank paper as the QR quiet zone (4 modules).
            printer.feed(1)
            printer.qr(block.payload, size=QR_MODULE_DOTS[paper], level="M")
            printer.feed(1)
            continue
        _apply(printer, style, _Style(block.align, block.bold, block.double))
        encoded = encode_text_report(block.text + "\n", chosen)
        unencodable.extend(f"{u.char!r} (U+{ord(u.char):04X})" for u in encoded.unencodable)
        printer.raw(encoded.data)
    printer.cut_after_feed()  # GS V 66 0: feed to the cutter, then partial cut
    if unencodable:
        _log.warning(
            "receipt text the printer cannot print was replaced by '?'",
            extra={
                "transaction_id": receipt.transaction_id,
                "codec": chosen,
                "unencodable": sorted(set(unencodable)),
            },
        )
    return printer.output()
