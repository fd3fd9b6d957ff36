"""The ZVT byte codec: APDUs, BMPs (bitmaps), TLV containers and BCD fields.

Pure functions, no I/O (PROTOCOLS.md "Card pinpad: ZVT"; ECR interface PA00P015):

- APDU = CLASS (1) INSTR (1) LEN (1 byte; `FF` + 2-byte little-endian length when the
  data is 255 bytes or longer) DATA. Terminal acknowledgements have the same shape:
  `80 00 00` positive, `84 xx 00` negative (CCRC APRC LEN).
- A BMP is one tag byte and a value whose length is fixed by the tag, or LLVAR / LLLVAR:
  a length of 2 / 3 decimal digits, each sent as `Fx` (so 15 bytes is `F1 F5`).
- BMP 06 is a TLV container: BER-TLV, tags of 1..3 bytes (`1F 07`), lengths of 1 byte
  (< 0x80), `81 xx` or `82 xx xx`; a tag with bit 0x20 set holds nested objects.

The BMP table matches Wireshark's packet-zvt.c dissector and the python ecrterm
library (bitmaps.py) byte for byte; every decoder rejects malformed input with a
`ZvtCodecError` naming the offset, never with another exception.

Written by hand: no maintained Python ZVT library exists on PyPI (ecrterm is not
published for Python 3 in a maintained form), and the codec is small and fully tested.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from drivers.pinpad.zvt.errors import ZvtCodecError

MAX_APDU_DATA = 0xFFFF


# --- APDU ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Apdu:
    """One application protocol data unit. For acknowledgements `cls` is the CCRC."""

    cls: int
    instr: int
    data: bytes = b""

    @property
    def control(self) -> int:
        """CLASS and INSTR as one number, e.g. 0x060F for a completion."""
        return self.cls << 8 | self.instr

    def encode(self) -> bytes:
        return encode_apdu(self.cls, self.instr, self.data)

    def __repr__(self) -> str:  # data may hold card data: show only its size
        return f"Apdu({self.cls:02X} {self.instr:02X}, {len(self.data)} bytes)"


def encode_apdu(cls: int, instr: int, data: bytes = b"") -> bytes:
    """CLASS INSTR LEN DATA, with the 3-byte length form for 255 bytes or more."""
    if not (0 <= cls <= 0xFF and 0 <= instr <= 0xFF):
        raise ZvtCodecError(f"APDU control field out of range: {cls!r} {instr!r}")
    size = len(data)
    if size > MAX_APDU_DATA:
        raise ZvtCodecError(f"APDU data of {size} bytes exceeds the ZVT maximum {MAX_APDU_DATA}")
    if size < 0xFF:
        header = bytes((cls, instr, size))
    else:
        header = bytes((cls, instr, 0xFF, size & 0xFF, size >> 8))
    return header + bytes(data)


def apdu_size(buf: bytes | bytearray | memoryview) -> int | None:
    """The total size of the APDU that starts `buf`, or None while its header is incomplete."""
    if len(buf) < 3:
        return None
    if buf[2] != 0xFF:
        return 3 + buf[2]
    if len(buf) < 5:
        return None
    return 5 + (buf[3] | buf[4] << 8)


def decode_apdu(buf: bytes) -> Apdu:
    """Decode exactly one APDU; truncated or trailing bytes are a `ZvtCodecError`."""
    size = apdu_size(buf)
    if size is None:
        raise ZvtCodecError(f"APDU of {len(buf)} bytes is shorter than its header")
    if len(buf) != size:
        raise ZvtCodecError(
            f"APDU length field says {size} bytes in total, got {len(buf)} "
            f"(control field {buf[0]:02X} {buf[1]:02X})"
        )
    header = 3 if buf[2] != 0xFF else 5
    return Apdu(buf[0], buf[1], bytes(buf[header:]))


# --- BCD and variable lengths ------------------------------------------------------------


def encode_bcd(value: int, size: int) -> bytes:
    """`value` as `size` bytes of packed BCD, most significant digit first."""
    if value < 0:
        raise ZvtCodecError(f"BCD cannot hold the negative number {value}")
    digits = str(value)
    if len(digits) > 2 * size:
        raise ZvtCodecError(f"{value} does not fit in {size} BCD bytes ({2 * size} digits)")
    return bytes.fromhex(digits.zfill(2 * size))


def bcd_digits(data: bytes) -> str:
    """The decimal digits of packed BCD; any nibble above 9 is a `ZvtCodecError`."""
    text = data.hex()
    if not text.isdigit() and text:
        raise ZvtCodecError(f"not BCD: {data.hex(' ').upper()}")
    return text


def decode_bcd(data: bytes) -> int:
    return int(bcd_digits(data) or "0")


def encode_password(password: str | int) -> bytes:
    """The 6-digit terminal password as 3 bytes of BCD (PA00P015 section 1.2)."""
    text = f"{password:06d}" if isinstance(password, int) else password
    if len(text) != 6 or not text.isdigit():
        raise ZvtCodecError(f"a ZVT password is 6 digits, got {len(text)} characters")
    return bytes.fromhex(text)


def encode_currency(numeric: int) -> bytes:
    """An ISO 4217 numeric currency code as 2 bytes of BCD: 978 -> 09 78, 156 -> 01 56."""
    if not 0 < numeric <= 999:
        raise ZvtCodecError(f"ISO 4217 numeric currency codes are 1..999, got {numeric}")
    return encode_bcd(numeric, 2)


def _encode_var_length(size: int, digits: int) -> bytes:
    if size >= 10**digits:
        raise ZvtCodecError(f"{size} bytes exceed the {'L' * digits}VAR maximum {10**digits - 1}")
    return bytes(0xF0 | int(d) for d in str(size).zfill(digits))


def _decode_var_length(data: bytes, offset: int, digits: int) -> int:
    prefix = data[offset : offset + digits]
    if len(prefix) < digits:
        raise ZvtCodecError(f"{'L' * digits}VAR length at offset {offset} is truncated")
    size = 0
    for byte in prefix:
        if byte >> 4 != 0xF or byte & 0x0F > 9:
            raise ZvtCodecError(
                f"{'L' * digits}VAR length byte {byte:02X} at offset {offset} is not Fx (x=0..9)"
            )
        size = size * 10 + (byte & 0x0F)
    return size


# --- TLV (BMP 06) ------------------------------------------------------------------------

MAX_TLV_DEPTH = 8


@dataclass(frozen=True, slots=True)
class Tlv:
    """One BER-TLV data object; `value` is a tuple of objects when the tag is constructed."""

    tag: int
    value: bytes | tuple[Tlv, ...] = b""

    @property
    def constructed(self) -> bool:
        return tag_is_constructed(self.tag)

    def find(self, tag: int) -> Tlv | None:
        """The first nested object with `tag`, depth first (None for primitive objects)."""
        return find_tlv(self.value, tag) if isinstance(self.value, tuple) else None


def tag_is_constructed(tag: int) -> bool:
    first = tag
    while first > 0xFF:
        first >>= 8
    return bool(first & 0x20)


def _encode_tag(tag: int) -> bytes:
    if tag < 0:
        raise ZvtCodecError(f"negative TLV tag {tag}")
    raw = tag.to_bytes(max(1, (tag.bit_length() + 7) // 8), "big")
    if len(raw) > 3:
        raise ZvtCodecError(f"TLV tag {tag:X} is longer than 3 bytes")
    multi = raw[0] & 0x1F == 0x1F
    if (
        multi != (len(raw) > 1)
        or any(b & 0x80 == 0 for b in raw[1:-1])
        or (len(raw) > 1 and raw[-1] & 0x80)
    ):
        raise ZvtCodecError(f"TLV tag {tag:X} is not a valid BER tag")
    return raw


def _encode_tlv_length(size: int) -> bytes:
    if size < 0x80:
        return bytes((size,))
    if size <= 0xFF:
        return bytes((0x81, size))
    if size <= 0xFFFF:
        return bytes((0x82, size >> 8, size & 0xFF))
    raise ZvtCodecError(f"TLV value of {size} bytes exceeds 65535")


def encode_tlv_length(size: int) -> bytes:
    """A BER length: 1 byte below 0x80, else `81 xx` or `82 xx xx`."""
    return _encode_tlv_length(size)


def encode_tlv(objects: tuple[Tlv, ...] | list[Tlv]) -> bytes:
    """Encode a sequence of TLV objects (without the BMP 06 tag and total length)."""
    out = bytearray()
    for obj in objects:
        if isinstance(obj.value, tuple):
            if not obj.constructed:
                raise ZvtCodecError(f"TLV tag {obj.tag:X} is primitive but holds nested objects")
            body = encode_tlv(obj.value)
        else:
            if obj.constructed:
                raise ZvtCodecError(f"TLV tag {obj.tag:X} is constructed but holds raw bytes")
            body = bytes(obj.value)
        out += _encode_tag(obj.tag) + _encode_tlv_length(len(body)) + body
    return bytes(out)


def _decode_tlv_length(data: bytes, offset: int) -> tuple[int, int]:
    if offset >= len(data):
        raise ZvtCodecError(f"TLV length missing at offset {offset}")
    first = data[offset]
    if first < 0x80:
        return first, offset + 1
    count = first & 0x7F
    if count not in (1, 2):
        raise ZvtCodecError(f"TLV length form {first:02X} at offset {offset} is not supported")
    if offset + 1 + count > len(data):
        raise ZvtCodecError(f"TLV length at offset {offset} is truncated")
    return int.from_bytes(data[offset + 1 : offset + 1 + count], "big"), offset + 1 + count


def _decode_tag(data: bytes, offset: int) -> tuple[int, int]:
    start = offset
    tag = data[offset]
    offset += 1
    if tag & 0x1F == 0x1F:
        while True:
            if offset >= len(data):
                raise ZvtCodecError(f"TLV tag at offset {start} is truncated")
            if offset - start >= 3:
                raise ZvtCodecError(f"TLV tag at offset {start} is longer than 3 bytes")
            byte = data[offset]
            tag = tag << 8 | byte
            offset += 1
            if not byte & 0x80:
                break
    return tag, offset


def decode_tlv(data: bytes, *, _depth: int = 0) -> tuple[Tlv, ...]:
    """Decode a sequence of TLV objects; nested objects for constructed tags."""
    if _depth > MAX_TLV_DEPTH:
        raise ZvtCodecError(f"TLV nesting deeper than {MAX_TLV_DEPTH} levels")
    objects: list[Tlv] = []
    offset = 0
    while offset < len(data):
        start = offset
        tag, offset = _decode_tag(data, offset)
        size, offset = _decode_tlv_length(data, offset)
        if offset + size > len(data):
            raise ZvtCodecError(
                f"TLV tag {tag:X} at offset {start} needs {size} bytes, {len(data) - offset} left"
            )
        body = data[offset : offset + size]
        offset += size
        if tag_is_constructed(tag):
            objects.append(Tlv(tag, decode_tlv(body, _depth=_depth + 1)))
        else:
            objects.append(Tlv(tag, bytes(body)))
    return tuple(objects)


def find_tlv(objects: tuple[Tlv, ...], tag: int) -> Tlv | None:
    """The first object with `tag` in `objects` or nested in them, depth first."""
    for obj in objects:
        if obj.tag == tag:
            return obj
        if isinstance(obj.value, tuple):
            found = find_tlv(obj.value, tag)
            if found is not None:
                return found
    return None


def find_all_tlv(objects: tuple[Tlv, ...], tag: int) -> list[Tlv]:
    """Every object with `tag`, in order, at any depth."""
    found: list[Tlv] = []
    for obj in objects:
        if obj.tag == tag:
            found.append(obj)
        if isinstance(obj.value, tuple):
            found += find_all_tlv(obj.value, tag)
    return found


# --- BMPs ------------------------------------------------------------------------------


class BmpLength(enum.Enum):
    FIXED = "fixed"
    LLVAR = "llvar"
    LLLVAR = "lllvar"
    TLV = "tlv"  # BMP 06: BER length, then TLV objects


@dataclass(frozen=True, slots=True)
class BmpSpec:
    tag: int
    name: str
    kind: BmpLength
    size: int = 0  # bytes, for FIXED


def _fixed(tag: int, name: str, size: int) -> BmpSpec:
    return BmpSpec(tag, name, BmpLength.FIXED, size)


def _ll(tag: int, name: str) -> BmpSpec:
    return BmpSpec(tag, name, BmpLength.LLVAR)


def _lll(tag: int, name: str) -> BmpSpec:
    return BmpSpec(tag, name, BmpLength.LLLVAR)


# PA00P015 chapter "Bitmaps"; checked against Wireshark packet-zvt.c (bitmap_info[]) and
# ecrterm packets/bitmaps.py: same tags, same fixed sizes, same LL/LLL variable fields.
BMP_TABLE: dict[int, BmpSpec] = {
    spec.tag: spec
    for spec in (
        _fixed(0x01, "timeout", 1),
        _fixed(0x02, "max_status_infos", 1),
        _fixed(0x03, "service_byte", 1),
        _fixed(0x04, "amount", 6),  # BCD, minor units
        _fixed(0x05, "pump_nr", 1),
        BmpSpec(0x06, "tlv", BmpLength.TLV),
        _fixed(0x0B, "trace", 3),  # BCD
        _fixed(0x0C, "time", 3),  # BCD HHMMSS
        _fixed(0x0D, "date", 2),  # BCD MMDD
        _fixed(0x0E, "expiry", 2),  # BCD YYMM
        _fixed(0x17, "card_sequence_nr", 2),
        _fixed(0x19, "payment_type", 1),  # also status byte / card type, by command
        _ll(0x22, "pan"),  # BCD, E = masked digit, F = padding
        _ll(0x23, "track2"),
        _lll(0x24, "track3"),
        _fixed(0x27, "result_code", 1),
        _fixed(0x29, "terminal_id", 4),  # BCD
        _fixed(0x2A, "vu_number", 15),  # ASCII
        _ll(0x2D, "track1"),
        _lll(0x2E, "sync_chip_data"),
        _fixed(0x37, "original_trace", 3),  # BCD, trace of the reversed transaction
        _fixed(0x3A, "cvv", 2),
        _fixed(0x3B, "aid", 8),
        _lll(0x3C, "additional_data"),
        _fixed(0x3D, "password", 3),
        _fixed(0x49, "currency", 2),  # BCD ISO 4217 numeric
        _lll(0x60, "totals"),
        _fixed(0x87, "receipt_no", 2),  # BCD
        _fixed(0x88, "turnover_no", 3),
        _fixed(0x8A, "card_type", 1),
        _ll(0x8B, "card_name"),
        _fixed(0x8C, "card_type_id", 1),
        _lll(0x92, "offline_chip_data"),
        _lll(0x9A, "geldkarte"),
        _fixed(0xA0, "result_code_as", 1),
        _ll(0xA7, "chip_data"),
        _fixed(0xAA, "date_yymmdd", 3),
        _lll(0xAF, "ef_info"),
        _fixed(0xBA, "aid_parameter", 5),
        _fixed(0xD0, "algorithm_key", 1),
        _ll(0xD1, "card_offset"),
        _fixed(0xD2, "direction", 1),
        _fixed(0xD3, "key_position", 1),
        _fixed(0xE0, "input_min", 1),
        *(_ll(0xE1 + i, f"text2_line{i + 1}") for i in range(8)),
        _fixed(0xE9, "input_max", 1),
        _fixed(0xEA, "input_echo", 1),
        _fixed(0xEB, "mac", 8),
        _fixed(0xF0, "display_duration", 1),
        *(_ll(0xF1 + i, f"text1_line{i + 1}") for i in range(8)),
        _fixed(0xF9, "beeps", 1),
        _fixed(0xFA, "status", 1),
        _fixed(0xFB, "ok_required", 1),
        _fixed(0xFC, "dialog_control", 1),
    )
}


@dataclass(frozen=True, slots=True)
class Bmp:
    """One BMP: its tag and its value without any length prefix (BMP 06: the TLV bytes)."""

    tag: int
    value: bytes

    def __repr__(self) -> str:  # BMP 22/23 may hold card data: never print values
        return f"Bmp({self.tag:02X}, {len(self.value)} bytes)"


def encode_bmp(tag: int, value: bytes) -> bytes:
    """Tag, length prefix as the table says, value."""
    spec = BMP_TABLE.get(tag)
    if spec is None:
        raise ZvtCodecError(f"unknown BMP {tag:02X}: its length rule is not known")
    if spec.kind is BmpLength.FIXED:
        if len(value) != spec.size:
            raise ZvtCodecError(
                f"BMP {tag:02X} ({spec.name}) is {spec.size} bytes, got {len(value)}"
            )
        return bytes((tag,)) + bytes(value)
    if spec.kind is BmpLength.LLVAR:
        return bytes((tag,)) + _encode_var_length(len(value), 2) + bytes(value)
    if spec.kind is BmpLength.LLLVAR:
        return bytes((tag,)) + _encode_var_length(len(value), 3) + bytes(value)
    return bytes((tag,)) + _encode_tlv_length(len(value)) + bytes(value)


def encode_bmps(bmps: list[Bmp] | tuple[Bmp, ...]) -> bytes:
    return b"".join(encode_bmp(b.tag, b.value) for b in bmps)


def decode_bmps(data: bytes, offset: int = 0) -> tuple[Bmp, ...]:
    """Decode BMPs from `offset` to the end; an unknown tag or short field is an error."""
    bmps: list[Bmp] = []
    while offset < len(data):
        tag = data[offset]
        spec = BMP_TABLE.get(tag)
        if spec is None:
            raise ZvtCodecError(f"unknown BMP {tag:02X} at offset {offset}")
        start = offset
        offset += 1
        if spec.kind is BmpLength.FIXED:
            size = spec.size
        elif spec.kind is BmpLength.LLVAR:
            size = _decode_var_length(data, offset, 2)
            offset += 2
        elif spec.kind is BmpLength.LLLVAR:
            size = _decode_var_length(data, offset, 3)
            offset += 3
        else:
            size, offset = _decode_tlv_length(data, offset)
        if offset + size > len(data):
            raise ZvtCodecError(
                f"BMP {tag:02X} ({spec.name}) at offset {start} needs {size} bytes, "
                f"{len(data) - offset} left"
            )
        value = bytes(data[offset : offset + size])
        if spec.kind is BmpLength.TLV:
            decode_tlv(value)  # validate now: a bad container is a bad APDU
        bmps.append(Bmp(tag, value))
        offset += size
    return tuple(bmps)


def bmp_value(bmps: tuple[Bmp, ...], tag: int) -> bytes | None:
    """The value of the first BMP with `tag`, or None."""
    for bmp in bmps:
        if bmp.tag == tag:
            return bmp.value
    return None


# --- card numbers -------------------------------------------------------------------


def mask_pan(digits: str) -> str:
    """All but the last 4 digits as '*' (masked digits stay masked): PCI DSS display rule."""
    visible = 4 if len(digits) > 4 else 0
    head = "*" * (len(digits) - visible)
    return head + digits[len(digits) - visible :]


def decode_pan(value: bytes) -> str | None:
    """BMP 22 as a masked card number: never returns more than the last 4 digits in clear.

    The terminal sends BCD with `E` for a masked digit and `F` padding (some send track-2
    style data with a `D` separator); whatever it sends, the result is masked here.
    """
    nibbles = value.hex().upper()
    digits: list[str] = []
    for nibble in nibbles:
        if nibble.isdigit():
            digits.append(nibble)
        elif nibble == "E":
            digits.append("*")
        else:  # F padding or a field separator ends the number
            break
    if not digits:
        return None
    return mask_pan("".join(digits))


def encode_masked_pan(masked: str) -> bytes:
    """A masked card number ('******1234') as BMP 22 BCD: '*' -> E, odd length padded F."""
    if not masked or any(c not in "0123456789*" for c in masked):
        raise ZvtCodecError("a masked PAN is digits and '*' only")
    text = masked.replace("*", "E")
    if len(text) % 2:
        text += "F"
    return bytes.fromhex(text)


_PAN_LIKE = re.compile(r"(?<![0-9])(?:[0-9][ -]?){12,18}[0-9](?![0-9])")


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def scrub_pans(text: str) -> str:
    """Mask every card number in terminal text (13..19 digits, Luhn-valid, spaces allowed).

    Terminals mask the PAN on receipts; this is the second line of defence, so a
    misconfigured terminal cannot put a clear PAN into our receipts, journal or logs.
    """

    def mask(match: re.Match[str]) -> str:
        chunk = match.group(0)
        digits = "".join(c for c in chunk if c.isdigit())
        if not 13 <= len(digits) <= 19 or not _luhn_ok(digits):
            return chunk
        keep = len(digits) - 4
        out = []
        for c in chunk:
            if c.isdigit() and keep > 0:
                out.append("*")
                keep -= 1
            else:
                out.append(c)
        return "".join(out)

    return _PAN_LIKE.sub(mask, text)
