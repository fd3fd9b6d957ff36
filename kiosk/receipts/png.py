"""PNG preview of a receipt: what the printer puts on paper (SPEC section 3 "Receipts").

Draws the same layout as the ESC/POS renderer, dot for dot: one column is
`paper.dots // paper.columns` dots (12, font A), a double-byte glyph two columns, and
each line's text is first passed through the printer encoding, so characters the
printer cannot print show as "?" here too.
"""

from __future__ import annotations

import io
from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageFont

from drivers.printer.cjk import CODECS, decode_text, encode_text_report, is_codec
from kiosk.domain.receipt import Align, Paper, QrCode, Receipt, ReceiptError, layout, text_width
from kiosk.errors import KioskError
from kiosk.receipts.escpos import QR_MODULE_DOTS

# CJK fonts of Debian packages, in order of preference (`font_path` overrides).
FONT_FILES = (
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),  # fonts-wqy-zenhei
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),  # fonts-noto-cjk
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),  # fonts-wqy-microhei
)
FONT_PACKAGE = "fonts-wqy-zenhei"
MARGIN_DOTS = 16
LINE_GAP_DOTS = 6  # ESC 2 default line spacing is about 30 dots for a 24-dot font


class PreviewFontMissing(KioskError):
    """No CJK font is installed to draw the receipt preview with."""


def find_font(font_path: Path | None = None) -> Path:
    """The CJK font file to draw with: `font_path` if given, else the first of
    `FONT_FILES` that exists; raise `PreviewFontMissing` naming what was searched."""
    candidates = (font_path,) if font_path is not None else FONT_FILES
    for path in candidates:
        if path.is_file():
            return path
    raise PreviewFontMissing(
        f"no CJK font for the receipt preview; searched {', '.join(map(str, candidates))}; "
        f"install the Debian package {FONT_PACKAGE}"
    )


def _face(path: Path, size: int) -> ImageFont.FreeTypeFont:
    """The Simplified Chinese face of a font collection (Noto CJK holds JP, KR, SC, …),
    monospaced if the collection has one."""
    faces: list[ImageFont.FreeTypeFont] = []
    for index in range(16):
        try:
            faces.append(ImageFont.truetype(str(path), size, index=index))
        except OSError:
            break
    if not faces:
        raise PreviewFontMissing(f"font file {path} cannot be read by FreeType")
    # Prefer the monospaced face: its ASCII glyphs are exactly one column wide.
    chinese = [f for f in faces if (f.getname()[0] or "").endswith(" SC")] or [
        f for f in faces if (f.getname()[0] or "").startswith("WenQuanYi")
    ]
    mono = [f for f in chinese if "Mono" in (f.getname()[0] or "")]
    return (mono or chinese or faces)[0]


def render_png(
    receipt: Receipt, paper: Paper, codec: str = "gb18030", *, font_path: Path | None = None
) -> bytes:
    """A grayscale PNG `paper.dots` wide showing the receipt as printed with `codec`."""
    if not is_codec(codec):
        raise ReceiptError(
            f"receipt {receipt.transaction_id!r}: printer codec {codec!r} is not one of "
            f"{', '.join(CODECS)}"
        )
    cell = paper.dots // paper.columns
    font = find_font(font_path)
    faces = {1: _face(font, 2 * cell), 2: _face(font, 4 * cell)}
    rows: list[tuple[int, Image.Image | tuple[str, Align, bool, int]]] = []
    for block in layout(receipt, paper.columns, double_byte_cells=True):
        if isinstance(block, QrCode):
            code = qrcode.QRCode(
                error_correction=qrcode.constants.ERROR_CORRECT_M,
                box_size=QR_MODULE_DOTS[paper],
                border=4,  # the quiet zone the printer leaves as blank paper
            )
            code.add_data(block.payload)
            code.make(fit=True)
            image: Image.Image = code.make_image().get_image().convert("L")
            rows.append((image.height, image))
            continue
        printed = decode_text(encode_text_report(block.text, codec).data, codec)
        scale = 2 if block.double else 1
        rows.append(((2 * cell + LINE_GAP_DOTS) * scale, (printed, block.align, block.bold, scale)))
    height = 2 * MARGIN_DOTS + sum(h for h, _ in rows)
    sheet = Image.new("L", (paper.dots, height), 255)
    draw = ImageDraw.Draw(sheet)
    y = MARGIN_DOTS
    for row_height, row in rows:
        if isinstance(row, Image.Image):
            sheet.paste(row, ((paper.dots - row.width) // 2, y))
        else:
            text, align, bold, scale = row
            width = text_width(text, double_byte_cells=True) * cell * scale
            x = 0 if align is Align.LEFT else (paper.dots - width) // 2
            for char in text:
                draw.text((x, y), char, fill=0, font=faces[scale], stroke_width=int(bold))
                x += text_width(char, double_byte_cells=True) * cell * scale
        y += row_height
    out = io.BytesIO()
    sheet.save(out, format="PNG")
    return out.getvalue()
