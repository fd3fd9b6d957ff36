"""The few ESC/POS commands a kiosk receipt needs, as bytes (PROTOCOLS.md "Receipt printer").

Written by hand rather than through python-escpos's `Dummy`: importing python-escpos
loads its printer-capability database (a 96 kB JSON parsed with PyYAML at import, plus
python-barcode and a temporary directory per process) for ~9.5 MB of resident memory
more than the kiosk already has, for commands that are a few fixed bytes and that no
printer profile changes. The kiosk prints a receipt per transaction, so the library
would stay loaded for good (bench/README.md, UI: a 150 MB budget). Every command here
produces the same bytes as the python-escpos 3.1 call named in its docstring; the
tests compare them byte for byte (tests/drivers/test_printer_commands.py).
python-escpos still builds everything else (`drivers.printer.builder`: raster logos,
printed barcodes, printer profiles).
"""

from __future__ import annotations

from typing import Literal

from drivers.printer.errors import PrinterError

Align = Literal["left", "center", "right"]
QrLevel = Literal["L", "M", "Q", "H"]

ESC = b"\x1b"
GS = b"\x1d"
INIT = ESC + b"@"  # ESC @
_ALIGN = {"left": ESC + b"a\x00", "center": ESC + b"a\x01", "right": ESC + b"a\x02"}  # ESC a n
_BOLD = {False: ESC + b"E\x00", True: ESC + b"E\x01"}  # ESC E n
_QR_LEVEL = {"L": 0, "M": 1, "Q": 2, "H": 3}  # GS ( k fn 69: 48 + level
_QR_MODEL_2 = 2  # GS ( k fn 65: 48 + model


class EscPosCommands:
    """Collects one job's bytes; the commands a kiosk receipt is made of."""

    __slots__ = ("_parts",)

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def raw(self, data: bytes) -> None:
        """Bytes as they are (text already encoded by `drivers.printer.cjk`)."""
        self._parts.append(data)

    def init(self) -> None:
        """`ESC @`: clears modes left over from the previous job (`hw("INIT")`)."""
        self._parts.append(INIT)

    def align(self, align: Align) -> None:
        """`ESC a n` (`set(align=…)`)."""
        self._parts.append(_ALIGN[align])

    def bold(self, bold: bool) -> None:
        """`ESC E n` (`set(bold=…)`)."""
        self._parts.append(_BOLD[bold])

    def size(self, width: int, height: int) -> None:
        """`GS ! n`, width and height multipliers 1-8 (`set(custom_size=True, width=…,
        height=…)`); GS ! rather than ESC ! because it also scales Chinese glyphs."""
        if not (1 <= width <= 8 and 1 <= height <= 8):
            raise PrinterError(f"text size {width}x{height}: each must be 1 to 8")
        self._parts.append(GS + b"!" + bytes(((width - 1) << 4 | (height - 1),)))

    def feed(self, lines: int = 1) -> None:
        """`ESC d n`: print and feed n lines, 0-255 (`print_and_feed(n)`)."""
        if not 0 <= lines <= 255:
            raise PrinterError(f"feed of {lines} lines: must be 0 to 255")
        self._parts.append(ESC + b"d" + bytes((lines,)))

    def qr(self, content: str, *, size: int, level: QrLevel = "M") -> None:
        """A QR code the printer renders itself, model 2: `GS ( k` functions 65 (model),
        67 (module size 1-16 dots), 69 (error correction), 80 (store the UTF-8 data),
        81 (print) (`qr(content, ec=…, size=…, native=True)`). Empty content prints
        nothing, as python-escpos does."""
        if not 1 <= size <= 16:
            raise PrinterError(f"QR module size {size}: must be 1 to 16 dots")
        if not content:
            return
        self._code_2d(65, bytes((48 + _QR_MODEL_2, 0)))
        self._code_2d(67, bytes((size,)))
        self._code_2d(69, bytes((48 + _QR_LEVEL[level],)))
        self._code_2d(80, content.encode("utf-8"), b"0")
        self._code_2d(81, b"", b"0")

    def _code_2d(self, fn: int, data: bytes, m: bytes = b"") -> None:
        # GS ( k pL pH cn fn [m] data, cn = "1" (QR code); pL pH count cn, fn, m and data.
        length = len(data) + len(m) + 2
        if length > 0xFFFF:
            raise PrinterError(f"QR code data of {len(data)} bytes is too long for GS ( k")
        self._parts.append(
            GS + b"(k" + length.to_bytes(2, "little") + b"1" + bytes((fn,)) + m + data
        )

    def cut_after_feed(self) -> None:
        """`GS V 66 0`: feed to the cutter, then a partial cut (`cut(feed=False)`)."""
        self._parts.append(GS + b"V\x42\x00")

    def output(self) -> bytes:
        """Everything collected so far."""
        return b"".join(self._parts)
