"""Read a receipt back from the ESC/POS bytes a printer received.

The simulator uses it to show what it "printed", and tests use it to check a receipt
end to end (text, barcodes, QR codes, cuts) instead of comparing opaque bytes. It
knows the commands our builder sends (python-escpos output and `FS &`/`FS .` text);
an unknown command is an error naming its offset, never silently skipped text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from drivers.printer.cjk import Codec, decode_text
from drivers.printer.errors import PrinterError

ESC, FS, GS, DLE = 0x1B, 0x1C, 0x1D, 0x10

# Commands with a fixed number of parameter bytes after the two command bytes.
_FIXED: dict[tuple[int, int], int] = {
    (ESC, ord("@")): 0,  # initialise
    (ESC, ord("!")): 1,  # print mode
    (ESC, ord("-")): 1,  # underline
    (ESC, ord("E")): 1,  # emphasis
    (ESC, ord("G")): 1,  # double strike
    (ESC, ord("M")): 1,  # font
    (ESC, ord("a")): 1,  # align
    (ESC, ord("d")): 1,  # feed n lines
    (ESC, ord("J")): 1,  # feed n dots
    (ESC, ord("t")): 1,  # code table
    (ESC, ord("{")): 1,  # upside down
    (ESC, ord("2")): 0,  # default line spacing
    (ESC, ord("3")): 1,  # line spacing
    (ESC, ord("p")): 3,  # drawer kick
    (GS, ord("!")): 1,  # character size
    (GS, ord("B")): 1,  # reverse
    (GS, ord("b")): 1,  # smoothing
    (GS, ord("h")): 1,  # barcode height
    (GS, ord("w")): 1,  # barcode width
    (GS, ord("f")): 1,  # HRI font
    (GS, ord("H")): 1,  # HRI position
    (GS, ord("L")): 2,  # left margin
    (GS, ord("W")): 2,  # print area width
    (DLE, 0x04): 1,  # real-time status request (answered, not printed)
}
_CUT = (GS, ord("V"))
_BARCODE = (GS, ord("k"))
_TWO_D = (GS, ord("("))
_RASTER = (GS, ord("v"))


@dataclass(slots=True)
class PrintedReceipt:
    """What the paper would show."""

    text: str = ""
    barcodes: list[tuple[int, str]] = field(default_factory=list)  # (GS k m, data)
    qr_codes: list[str] = field(default_factory=list)
    images: int = 0
    cuts: int = 0


def read_receipt(data: bytes, codec: Codec = "gb18030") -> PrintedReceipt:
    """Decode ESC/POS bytes into text, barcodes, QR codes, images and cuts."""
    receipt = PrintedReceipt()
    text = bytearray()
    i = 0
    n = len(data)

    def need(count: int) -> bytes:
        if i + count > n:
            raise PrinterError(f"ESC/POS command at offset {i} is cut short")
        return data[i : i + count]

    while i < n:
        byte = data[i]
        if byte == FS and i + 1 < n and data[i + 1] in (0x26, 0x2E):  # FS & / FS .
            text += data[i : i + 2]
            i += 2
            continue
        if byte not in (ESC, GS, DLE):
            text.append(byte)
            i += 1
            continue
        cmd = tuple(need(2))
        if cmd in _FIXED:
            i += 2 + _FIXED[cmd]
        elif cmd == _CUT:
            mode = need(3)[2]
            i += 4 if mode in (65, 66) else 3  # GS V 65/66 n carries a feed amount
            receipt.cuts += 1
        elif cmd == _BARCODE:
            m = need(3)[2]
            if m <= 6:  # function A: data ends with NUL
                end = data.index(0, i + 3)
                receipt.barcodes.append((m, data[i + 3 : end].decode("ascii")))
                i = end + 1
            else:  # function B: a length byte
                length = need(4)[3]
                receipt.barcodes.append((m, need(4 + length)[4:].decode("ascii")))
                i += 4 + length
        elif cmd == _TWO_D:
            head = need(5)
            length = head[3] | head[4] << 8
            body = need(5 + length)[5:]
            if head[2] == ord("k") and body[:3] == b"1P0":  # store QR data
                receipt.qr_codes.append(body[3:].decode("utf-8"))
            i += 5 + length
        elif cmd == _RASTER:
            head = need(8)
            width_bytes = head[4] | head[5] << 8
            height = head[6] | head[7] << 8
            i += 8 + width_bytes * height
            receipt.images += 1
        else:
            raise PrinterError(f"unknown ESC/POS command {bytes(cmd).hex(' ')} at offset {i}")
    receipt.text = decode_text(bytes(text), codec)
    return receipt
