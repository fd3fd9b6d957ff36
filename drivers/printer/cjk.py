"""Chinese text for ESC/POS printers: GBK or GB18030 bytes framed by `FS &` … `FS .`.

Written by hand rather than through python-escpos (PROTOCOLS.md "Receipt printer:
ESC/POS"): python-escpos 3.1 has no Chinese code page, sends Han text as raw GB18030
without `FS &`, turns ，！（） and full-width letters into "?" and writes ¥ as a 4-byte
sequence GBK printers cannot show.

What `encode_text` promises:

- printable ASCII (0x20-0x7E) and LF are one byte each, outside double-byte mode;
- every other character the printer's character set holds becomes its double-byte code
  (GBK, or GB18030's 2-byte part), or for GB18030 printers the 4-byte code of a CJK
  Extension A ideograph; each run of such characters is wrapped in `FS &` (1C 26) …
  `FS .` (1C 2E), so on the paper each one takes two columns;
- ¥ (U+00A5) is written as ￥ (U+FFE5, A3 A4), the yen/yuan sign every GB2312 font has;
- anything else is replaced and reported: ASCII control characters (they would be read
  as printer commands) by "?", other characters outside the character set by the
  full-width "？" (A3 BF), so every character keeps its width on the paper (1 column
  ASCII, 2 otherwise) and laid-out columns stay aligned.
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass
from typing import Literal, TypeGuard, get_args

from drivers.printer.errors import PrinterError

Codec = Literal["gbk", "gb18030"]
CODECS: tuple[Codec, ...] = get_args(Codec)

# PROTOCOLS.md "Receipt printer: ESC/POS": FS & enters, FS . leaves double-byte mode.
FS_DOUBLE_BYTE_ON = b"\x1c\x26"
FS_DOUBLE_BYTE_OFF = b"\x1c\x2e"

REPLACEMENT = "?"  # for ASCII control characters: one column
WIDE_REPLACEMENT = "\uff1f"  # ？ (A3 BF) for other non-printable characters: two columns
LF = "\n"

# Characters written as a different character the printer's fonts are sure to hold.
_SUBSTITUTES = {"\u00a5": "\uffe5"}  # ¥ -> ￥ (GBK A3 A4); GB18030 has ¥ only as 4 bytes

# GB18030 4-byte codes that certified printer fonts must hold: CJK Extension A. Other
# 4-byte characters (Latin extensions, emoji, ...) usually print blank or as a box,
# which is worse than a reported "?".
_EXTENSION_A = range(0x3400, 0x4DC0)

_log = logging.getLogger(__name__)


class TextEncodingError(PrinterError):
    """An unknown codec was asked for, or bytes are not text `encode_text` could write."""


@dataclass(frozen=True, slots=True)
class Unencodable:
    """A character printed as "?" or "？": its position in the input text and the character."""

    index: int
    char: str

    def __str__(self) -> str:
        return f"U+{ord(self.char):04X} at index {self.index}"


@dataclass(frozen=True, slots=True)
class EncodedText:
    """Printer bytes for a text, and the characters that were replaced."""

    data: bytes
    unencodable: tuple[Unencodable, ...]


def is_codec(name: str) -> TypeGuard[Codec]:
    """True if `name` is a printer character set `encode_text` supports."""
    return name in CODECS


def _check_codec(codec: str) -> None:
    if not is_codec(codec):
        raise TextEncodingError(
            f"unknown printer character set {codec!r}; choose one of {', '.join(CODECS)} "
            "(printer setting 'codec')"
        )


def _is_double_byte(code: bytes) -> bool:
    # GBK / GB18030 2-byte: lead 81-FE, trail 40-7E or 80-FE.
    return (
        len(code) == 2
        and 0x81 <= code[0] <= 0xFE
        and (0x40 <= code[1] <= 0x7E or 0x80 <= code[1] <= 0xFE)
    )


def _is_four_byte(code: bytes) -> bool:
    # GB18030 4-byte: 81-FE, 30-39, 81-FE, 30-39.
    return (
        len(code) == 4
        and 0x81 <= code[0] <= 0xFE
        and 0x30 <= code[1] <= 0x39
        and 0x81 <= code[2] <= 0xFE
        and 0x30 <= code[3] <= 0x39
    )


def double_byte_code(char: str, codec: Codec) -> bytes | None:
    """The bytes `char` is printed with in double-byte mode, or None if it cannot be.

    Applies the ¥ -> ￥ substitution. ASCII characters return None: they are never
    written in double-byte mode.
    """
    _check_codec(codec)
    char = _SUBSTITUTES.get(char, char)
    if len(char) != 1 or ord(char) < 0x80:
        return None
    if unicodedata.category(char)[0] == "C" or unicodedata.category(char) in ("Zl", "Zp"):
        # Control, format, private-use, surrogate, unassigned and line/paragraph
        # separators: never glyphs on a receipt.
        return None
    try:
        code = char.encode(codec)
    except UnicodeEncodeError:
        return None
    if _is_double_byte(code):
        return code
    if codec == "gb18030" and ord(char) in _EXTENSION_A and _is_four_byte(code):
        return code
    return None


def encode_text_report(text: str, codec: Codec) -> EncodedText:
    """Encode `text` for a printer with character set `codec` (see the module docstring).

    Never raises for the text's content: characters that cannot be printed become "?"
    (ASCII control characters) or "？" (others) and are listed in the result.
    """
    _check_codec(codec)
    out = bytearray()
    unencodable: list[Unencodable] = []
    double = False
    for index, char in enumerate(text):
        if char == LF or " " <= char <= "~":
            code, wide = char.encode("ascii"), False
        elif (found := double_byte_code(char, codec)) is not None:
            code, wide = found, True
        else:
            unencodable.append(Unencodable(index, char))
            # Replaced by a character as wide as it (see the module docstring).
            wide = ord(char) >= 0x80
            code = (WIDE_REPLACEMENT if wide else REPLACEMENT).encode(codec)
        if wide != double:
            out += FS_DOUBLE_BYTE_ON if wide else FS_DOUBLE_BYTE_OFF
            double = wide
        out += code
    if double:
        out += FS_DOUBLE_BYTE_OFF
    return EncodedText(bytes(out), tuple(unencodable))


def encode_text(text: str, codec: Codec) -> bytes:
    """Encode `text` like `encode_text_report`; log a warning naming replaced characters."""
    encoded = encode_text_report(text, codec)
    if encoded.unencodable:
        # Code points and positions only: the text itself may hold member data.
        _log.warning(
            "characters the printer cannot print were replaced by '?' or '？'",
            extra={"codec": codec, "unencodable": [str(u) for u in encoded.unencodable]},
        )
    return encoded.data


def decode_text(data: bytes, codec: Codec) -> str:
    """Reverse `encode_text`: ASCII bytes and LF, double-byte codes inside `FS &` … `FS .`.

    `FS &` / `FS .` themselves are dropped. Any other byte (an ESC/POS command, a
    double-byte code outside `FS &`, a broken code) raises `TextEncodingError` naming
    its offset. ￥ decodes as ￥: the ¥ substitution is not undone.
    """
    _check_codec(codec)
    out: list[str] = []
    double = False
    i = 0
    while i < len(data):
        pair = data[i : i + 2]
        if pair == FS_DOUBLE_BYTE_ON:
            double, i = True, i + 2
            continue
        if pair == FS_DOUBLE_BYTE_OFF:
            double, i = False, i + 2
            continue
        byte = data[i]
        if byte == 0x0A or 0x20 <= byte <= 0x7E:
            out.append(chr(byte))
            i += 1
            continue
        if not double or not 0x81 <= byte <= 0xFE:
            where = "outside FS & double-byte mode" if not double else "in double-byte mode"
            raise TextEncodingError(f"byte 0x{byte:02X} at offset {i} is not text {where}")
        size = 4 if codec == "gb18030" and data[i + 1 : i + 2].isdigit() else 2
        code = data[i : i + size]
        valid = _is_four_byte(code) if size == 4 else _is_double_byte(code)
        try:
            if not valid:
                raise UnicodeDecodeError(codec, code, 0, len(code), "not a complete code")
            out.append(code.decode(codec))
        except UnicodeDecodeError:
            raise TextEncodingError(
                f"bytes {code.hex(' ').upper()} at offset {i} are not a {codec} character"
            ) from None
        i += size
    return "".join(out)
