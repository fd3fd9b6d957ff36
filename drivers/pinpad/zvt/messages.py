"""ZVT messages: the commands the ECR sends and typed views of what the terminal sends.

Builders return encoded APDU bytes; `parse_terminal_message` turns an APDU from the
terminal into one of the message types below. Card numbers are masked on the way in
(`codec.decode_pan`) and track data is never kept, so no object here holds a clear PAN.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from drivers.pinpad.zvt import codec
from drivers.pinpad.zvt.codec import Apdu, Bmp, Tlv, bmp_value, decode_bmps, encode_bmps
from drivers.pinpad.zvt.codes import STATUS_SEE_TEXT, intermediate_text
from drivers.pinpad.zvt.errors import ZvtCodecError

# Control fields (PA00P015 chapter 2 and 3; PROTOCOLS.md "Card pinpad: ZVT").
REGISTRATION = 0x0600
AUTHORIZATION = 0x0601
LOG_OFF = 0x0602
COMPLETION = 0x060F
ABORT = 0x061E  # terminal -> ECR: the command ended without success
REPEAT_RECEIPT = 0x0620
REVERSAL = 0x0630
REFUND = 0x0631
END_OF_DAY = 0x0650
ABORT_COMMAND = 0x06B0  # ECR -> terminal: stop what you are doing
PRINT_LINE = 0x06D1
PRINT_TEXT_BLOCK = 0x06D3
STATUS_ENQUIRY = 0x0501
STATUS_INFORMATION = 0x040F
INTERMEDIATE_STATUS = 0x04FF

ACK = bytes((0x80, 0x00, 0x00))  # positive acknowledgement, both directions
CCRC_POSITIVE = 0x80
CCRC_NEGATIVE = 0x84
NACK_NOT_SUPPORTED = bytes((0x84, 0x83, 0x00))  # "function not possible"

# Registration config byte (PA00P015 "Registration"): print lines for payment (0x02) and
# administration receipts (0x04) go to the ECR, intermediate status is sent (0x08), the
# ECR controls payment (0x10) and administration (0x20), and receipts are sent as print
# commands rather than compiled by the ECR (0x80).
DEFAULT_CONFIG_BYTE = 0x02 | 0x04 | 0x08 | 0x10 | 0x20 | 0x80

# TLV tags (PA00P015 "TLV-container"; names as in Wireshark's packet-zvt.c).
TAG_TEXT_LINES = 0x07
TAG_END_OF_RECEIPT = 0x09
TAG_PERMITTED_COMMAND = 0x0A
TAG_DISPLAY_TEXTS = 0x24
TAG_PRINT_TEXTS = 0x25
TAG_PERMITTED_COMMANDS = 0x26
TAG_RECEIPT_TYPE = 0x1F07

RECEIPT_MERCHANT = 1
RECEIPT_CUSTOMER = 2
RECEIPT_ADMINISTRATION = 3

# What this ECR handles; a terminal told this list sends nothing else (TLV tag 26).
HANDLED_COMMANDS = (
    STATUS_INFORMATION,
    INTERMEDIATE_STATUS,
    COMPLETION,
    ABORT,
    PRINT_LINE,
    PRINT_TEXT_BLOCK,
)


def _apdu(control: int, data: bytes = b"") -> bytes:
    return codec.encode_apdu(control >> 8, control & 0xFF, data)


# --- ECR -> terminal ------------------------------------------------------------------


def permitted_commands_tlv(commands: tuple[int, ...] = HANDLED_COMMANDS) -> Tlv:
    return Tlv(
        TAG_PERMITTED_COMMANDS,
        tuple(Tlv(TAG_PERMITTED_COMMAND, c.to_bytes(2, "big")) for c in commands),
    )


def registration(
    password: str | int,
    currency: int,
    *,
    config_byte: int = DEFAULT_CONFIG_BYTE,
    service_byte: int | None = None,
    permitted: tuple[int, ...] | None = HANDLED_COMMANDS,
) -> bytes:
    """06 00: password, config byte, currency code [03 service byte] [06 TLV]."""
    data = codec.encode_password(password) + bytes((config_byte,)) + codec.encode_currency(currency)
    bmps: list[Bmp] = []
    if service_byte is not None:
        bmps.append(Bmp(0x03, bytes((service_byte,))))
    if permitted:
        bmps.append(Bmp(0x06, codec.encode_tlv([permitted_commands_tlv(permitted)])))
    return _apdu(REGISTRATION, data + encode_bmps(bmps))


def authorization(
    amount_minor: int,
    currency: int,
    *,
    payment_type: int | None = None,
    reference: str | None = None,
) -> bytes:
    """06 01: BMP 04 amount (6 BCD, minor units), 49 currency [19 payment type] [3C ref].

    `reference` (printable ASCII) travels in BMP 3C "additional data"; terminals that do
    not use it ignore it, the in-repo simulator echoes it in its status information.
    """
    if amount_minor <= 0:
        raise ZvtCodecError(f"an authorisation needs a positive amount, got {amount_minor}")
    bmps = [
        Bmp(0x04, codec.encode_bcd(amount_minor, 6)),
        Bmp(0x49, codec.encode_currency(currency)),
    ]
    if payment_type is not None:
        bmps.append(Bmp(0x19, bytes((payment_type,))))
    if reference is not None:
        bmps.append(Bmp(0x3C, encode_reference(reference)))
    return _apdu(AUTHORIZATION, encode_bmps(bmps))


def encode_reference(reference: str) -> bytes:
    if not reference or len(reference) > 64 or not all(" " <= c <= "~" for c in reference):
        raise ZvtCodecError("an ECR reference is 1..64 printable ASCII characters")
    return reference.encode("ascii")


def reversal(password: str | int, receipt_no: int) -> bytes:
    """06 30: password, BMP 87 receipt number (2 BCD) of the payment to reverse."""
    return _apdu(
        REVERSAL,
        codec.encode_password(password) + codec.encode_bmp(0x87, codec.encode_bcd(receipt_no, 2)),
    )


def refund(
    password: str | int,
    amount_minor: int,
    currency: int,
    *,
    reference: str | None = None,
) -> bytes:
    """06 31: password, BMP 04 amount (6 BCD, minor units), 49 currency [3C reference].

    PA00P015 "Refund (06 31)": the password, then bitmaps as for an authorisation
    (BMPs 01, 02 and 05 removed from it in revision 04). Portalum.Zvt and the Kotlin
    ZVT library send password + 04 (+ 49); Wireshark's packet-zvt.c dissects 06 31 as
    password + bitmap sequence. `reference` travels in BMP 3C as in `authorization`.
    """
    if amount_minor <= 0:
        raise ZvtCodecError(f"a refund needs a positive amount, got {amount_minor}")
    bmps = [
        Bmp(0x04, codec.encode_bcd(amount_minor, 6)),
        Bmp(0x49, codec.encode_currency(currency)),
    ]
    if reference is not None:
        bmps.append(Bmp(0x3C, encode_reference(reference)))
    return _apdu(REFUND, codec.encode_password(password) + encode_bmps(bmps))


@dataclass(frozen=True, slots=True)
class RefundCommand:
    """A 06 31 as the terminal reads it (the simulator's view of our refund)."""

    password: str  # 6 digits
    amount_minor: int
    currency: int | None
    reference: str | None


def parse_refund(data: bytes) -> RefundCommand:
    """The data of a 06 31; a missing amount or malformed field is a `ZvtCodecError`."""
    if len(data) < 3:
        raise ZvtCodecError(f"refund 06 31 of {len(data)} bytes is shorter than its password")
    password = codec.bcd_digits(data[:3])
    bmps = decode_bmps(data, 3)
    amount = bmp_value(bmps, 0x04)
    if amount is None:
        raise ZvtCodecError("refund 06 31 without an amount (BMP 04)")
    ref = bmp_value(bmps, 0x3C)
    try:
        reference = None if ref is None else ref.decode("ascii")
    except UnicodeDecodeError:
        raise ZvtCodecError("refund 06 31 reference (BMP 3C) is not ASCII") from None
    return RefundCommand(
        password=password,
        amount_minor=codec.decode_bcd(amount),
        currency=_bcd_int(bmp_value(bmps, 0x49)),
        reference=reference,
    )


def end_of_day(password: str | int) -> bytes:
    return _apdu(END_OF_DAY, codec.encode_password(password))


def status_enquiry(password: str | int, service_byte: int | None = None) -> bytes:
    bmps = [] if service_byte is None else [Bmp(0x03, bytes((service_byte,)))]
    return _apdu(STATUS_ENQUIRY, codec.encode_password(password) + encode_bmps(bmps))


def repeat_receipt(password: str | int) -> bytes:
    return _apdu(REPEAT_RECEIPT, codec.encode_password(password))


def log_off() -> bytes:
    return _apdu(LOG_OFF)


def abort_command() -> bytes:
    return _apdu(ABORT_COMMAND)


def negative_ack(code: int) -> bytes:
    return bytes((CCRC_NEGATIVE, code, 0x00))


# --- terminal -> ECR ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ack:
    """80 00 00 (positive), 84 00 00 / 84 9C 00 (positive, "please wait"), 84 xx (refused)."""

    positive: bool
    code: int


@dataclass(frozen=True, slots=True)
class IntermediateStatus:
    """04 FF: what the terminal shows the shopper now ("insert card", "enter PIN")."""

    code: int
    timeout_s: int | None
    texts: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return " / ".join(self.texts) if self.texts else intermediate_text(self.code)


@dataclass(frozen=True, slots=True)
class CardTotal:
    card: str
    count: int
    amount_minor: int


TOTALS_CARDS = ("ec-card", "JCB", "Eurocard", "Amex", "VISA", "Diners", "remaining")


@dataclass(frozen=True, slots=True)
class Totals:
    """BMP 60 individual totals of an end-of-day: receipt range and per-card sums."""

    receipt_from: int
    receipt_to: int
    cards: tuple[CardTotal, ...]


@dataclass(frozen=True, slots=True)
class StatusInformation:
    """04 0F: the result of a transaction (or of an end-of-day), card number masked."""

    result_code: int | None = None
    amount_minor: int | None = None
    currency: int | None = None
    trace: int | None = None
    original_trace: int | None = None
    receipt_no: int | None = None
    turnover_no: int | None = None
    time: str | None = None  # HH:MM:SS
    date: str | None = None  # MM-DD
    masked_pan: str | None = None
    card_type: int | None = None
    card_name: str | None = None
    terminal_id: str | None = None
    vu_number: str | None = None
    aid: str | None = None
    additional_text: str | None = None
    totals: Totals | None = None
    tlv: tuple[Tlv, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class PrintLine:
    """06 D1: one receipt line. Attribute bit 7 (not 0x80 alone) marks the last line."""

    attribute: int
    text: str
    line_feeds: int = 0  # attribute FF: feed this many lines instead of printing text

    @property
    def is_last(self) -> bool:
        return bool(self.attribute & 0x80) and self.attribute not in (0x80, 0xFF)


@dataclass(frozen=True, slots=True)
class PrintTextBlock:
    """06 D3: a whole receipt; TLV 1F07 tells merchant (1), customer (2) or admin (3)."""

    receipt_type: int | None
    lines: tuple[str, ...]
    end_of_receipt: bool


@dataclass(frozen=True, slots=True)
class Completion:
    """06 0F: the command succeeded; after a status enquiry it carries the terminal status."""

    software_version: str | None = None
    terminal_status: int | None = None
    status_byte: int | None = None
    terminal_id: str | None = None
    currency: int | None = None


@dataclass(frozen=True, slots=True)
class Abort:
    """06 1E: the command ended without success, with a result code."""

    result_code: int


@dataclass(frozen=True, slots=True)
class OtherCommand:
    """A terminal command this ECR does not handle; it is refused with 84 83 00."""

    control: int


TerminalMessage = (
    Ack
    | IntermediateStatus
    | StatusInformation
    | PrintLine
    | PrintTextBlock
    | Completion
    | Abort
    | OtherCommand
)


def _text(data: bytes, charset: str) -> str:
    """Terminal text, with any card number in it masked (`codec.scrub_pans`)."""
    return codec.scrub_pans(data.decode(charset, errors="replace").rstrip("\x00"))


def _bcd_str(value: bytes | None) -> str | None:
    return None if value is None else codec.bcd_digits(value)


def _bcd_int(value: bytes | None) -> int | None:
    return None if value is None else codec.decode_bcd(value)


def decode_totals(value: bytes) -> Totals | None:
    """BMP 60 in the layout ecrterm documents (2+2 BCD receipt range, 7 x count + 6 BCD)."""
    if len(value) != 4 + 7 * 7:
        return None
    cards = []
    for i, name in enumerate(TOTALS_CARDS):
        chunk = value[4 + 7 * i : 11 + 7 * i]
        cards.append(CardTotal(name, chunk[0], codec.decode_bcd(chunk[1:])))
    return Totals(codec.decode_bcd(value[0:2]), codec.decode_bcd(value[2:4]), tuple(cards))


def encode_totals(totals: Totals) -> bytes:
    by_name = {c.card: c for c in totals.cards}
    out = codec.encode_bcd(totals.receipt_from, 2) + codec.encode_bcd(totals.receipt_to, 2)
    for name in TOTALS_CARDS:
        card = by_name.get(name, CardTotal(name, 0, 0))
        out += bytes((min(card.count, 0xFF),)) + codec.encode_bcd(card.amount_minor, 6)
    return out


def parse_status_information(data: bytes, charset: str = "cp437") -> StatusInformation:
    bmps = decode_bmps(data)
    time = _bcd_str(bmp_value(bmps, 0x0C))
    date = _bcd_str(bmp_value(bmps, 0x0D))
    pan = bmp_value(bmps, 0x22)
    rc = bmp_value(bmps, 0x27)
    card_type = bmp_value(bmps, 0x8A)
    card_name = bmp_value(bmps, 0x8B)
    vu = bmp_value(bmps, 0x2A)
    aid = bmp_value(bmps, 0x3B)
    extra = bmp_value(bmps, 0x3C)
    totals = bmp_value(bmps, 0x60)
    tlv = bmp_value(bmps, 0x06)
    return StatusInformation(
        result_code=None if rc is None else rc[0],
        amount_minor=_bcd_int(bmp_value(bmps, 0x04)),
        currency=_bcd_int(bmp_value(bmps, 0x49)),
        trace=_bcd_int(bmp_value(bmps, 0x0B)),
        original_trace=_bcd_int(bmp_value(bmps, 0x37)),
        receipt_no=_bcd_int(bmp_value(bmps, 0x87)),
        turnover_no=_bcd_int(bmp_value(bmps, 0x88)),
        time=None if time is None else f"{time[0:2]}:{time[2:4]}:{time[4:6]}",
        date=None if date is None else f"{date[0:2]}-{date[2:4]}",
        masked_pan=None if pan is None else codec.decode_pan(pan),
        card_type=None if card_type is None else card_type[0],
        card_name=None if card_name is None else _text(card_name, "latin-1"),
        terminal_id=_bcd_str(bmp_value(bmps, 0x29)),
        vu_number=None if vu is None else _text(vu, "latin-1").strip(),
        aid=None if aid is None else _text(aid, "latin-1").strip(),
        additional_text=None if extra is None else _text(extra, charset),
        totals=None if totals is None else decode_totals(totals),
        tlv=() if tlv is None else codec.decode_tlv(tlv),
    )


def _tlv_lines(objects: tuple[Tlv, ...], charset: str) -> tuple[str, ...]:
    return tuple(
        _text(obj.value, charset)
        for obj in codec.find_all_tlv(objects, TAG_TEXT_LINES)
        if isinstance(obj.value, bytes)
    )


def parse_intermediate_status(data: bytes, charset: str = "cp437") -> IntermediateStatus:
    """04 FF: status byte [timeout byte] [BMPs, e.g. 06 with display texts (tag 24/07)]."""
    if not data:
        raise ZvtCodecError("intermediate status 04 FF without a status byte")
    timeout = data[1] if len(data) > 1 else None
    texts: tuple[str, ...] = ()
    if len(data) > 2:
        tlv = bmp_value(decode_bmps(data, 2), 0x06)
        if tlv is not None:
            display = codec.find_tlv(codec.decode_tlv(tlv), TAG_DISPLAY_TEXTS)
            if display is not None and isinstance(display.value, tuple):
                texts = _tlv_lines(display.value, charset)
    if data[0] == STATUS_SEE_TEXT and not texts:
        texts = ("(terminal status without text)",)
    return IntermediateStatus(data[0], timeout or None, texts)


def parse_print_text_block(data: bytes, charset: str = "cp437") -> PrintTextBlock:
    tlv = bmp_value(decode_bmps(data), 0x06)
    if tlv is None:
        raise ZvtCodecError("print text block 06 D3 without a TLV container (BMP 06)")
    objects = codec.decode_tlv(tlv)
    kind = codec.find_tlv(objects, TAG_RECEIPT_TYPE)
    receipt_type = (
        kind.value[0] if kind is not None and isinstance(kind.value, bytes) and kind.value else None
    )
    texts = codec.find_tlv(objects, TAG_PRINT_TEXTS)
    lines = _tlv_lines(texts.value, charset) if texts and isinstance(texts.value, tuple) else ()
    end = codec.find_tlv(objects, TAG_END_OF_RECEIPT) is not None
    return PrintTextBlock(receipt_type, lines, end)


def parse_completion(data: bytes, *, after_status_enquiry: bool = False) -> Completion:
    """06 0F. After a status enquiry: [LLLVAR software version] terminal-status [BMPs]."""
    version = None
    status = None
    offset = 0
    if after_status_enquiry:
        if len(data) >= 3 and all(b >> 4 == 0xF and b & 0xF <= 9 for b in data[:3]):
            size = int("".join(str(b & 0xF) for b in data[:3]))
            if 3 + size > len(data):
                raise ZvtCodecError("software version in 06 0F is truncated")
            version = _text(data[3 : 3 + size], "latin-1")
            offset = 3 + size
        if offset < len(data):
            status = data[offset]
            offset += 1
    bmps = decode_bmps(data, offset)
    status_byte = bmp_value(bmps, 0x19)
    return Completion(
        software_version=version,
        terminal_status=status,
        status_byte=None if status_byte is None else status_byte[0],
        terminal_id=_bcd_str(bmp_value(bmps, 0x29)),
        currency=_bcd_int(bmp_value(bmps, 0x49)),
    )


def parse_terminal_message(
    apdu: Apdu, *, charset: str = "cp437", after_status_enquiry: bool = False
) -> TerminalMessage:
    """A typed view of one APDU from the terminal; malformed data is a `ZvtCodecError`."""
    if apdu.cls == CCRC_POSITIVE:
        return Ack(True, apdu.instr)
    if apdu.cls == CCRC_NEGATIVE:
        return Ack(apdu.instr in (0x00, 0x9C), apdu.instr)
    control = apdu.control
    if control == INTERMEDIATE_STATUS:
        return parse_intermediate_status(apdu.data, charset)
    if control == STATUS_INFORMATION:
        return parse_status_information(apdu.data, charset)
    if control == PRINT_LINE:
        if not apdu.data:
            raise ZvtCodecError("print line 06 D1 without an attribute byte")
        if apdu.data[0] == 0xFF:  # "line feed, count of feeds follows"
            return PrintLine(0xFF, "", apdu.data[1] if len(apdu.data) > 1 else 1)
        return PrintLine(apdu.data[0], _text(apdu.data[1:], charset))
    if control == PRINT_TEXT_BLOCK:
        return parse_print_text_block(apdu.data, charset)
    if control == COMPLETION:
        return parse_completion(apdu.data, after_status_enquiry=after_status_enquiry)
    if control == ABORT:
        if not apdu.data:
            raise ZvtCodecError("abort 06 1E without a result code")
        return Abort(apdu.data[0])
    return OtherCommand(control)


# --- terminal -> ECR builders (the simulator speaks these) -----------------------------


def intermediate_status(code: int, timeout_s: int = 0, texts: tuple[str, ...] = ()) -> bytes:
    data = bytes((code, timeout_s))
    if texts:
        display = Tlv(
            TAG_DISPLAY_TEXTS,
            tuple(Tlv(TAG_TEXT_LINES, t.encode("cp437", errors="replace")) for t in texts),
        )
        data += codec.encode_bmp(0x06, codec.encode_tlv([display]))
    return _apdu(INTERMEDIATE_STATUS, data)


def status_information(bmps: list[Bmp]) -> bytes:
    return _apdu(STATUS_INFORMATION, encode_bmps(bmps))


def print_line(text: str, *, last: bool = False) -> bytes:
    attribute = 0x81 if last else 0x00  # bit 7 plus a non-zero low part: last line
    return _apdu(PRINT_LINE, bytes((attribute,)) + text.encode("cp437", errors="replace"))


def print_text_block(receipt_type: int, lines: tuple[str, ...]) -> bytes:
    texts = Tlv(
        TAG_PRINT_TEXTS,
        tuple(Tlv(TAG_TEXT_LINES, line.encode("cp437", errors="replace")) for line in lines),
    )
    objects = [Tlv(TAG_RECEIPT_TYPE, bytes((receipt_type,))), texts]
    return _apdu(PRINT_TEXT_BLOCK, codec.encode_bmp(0x06, codec.encode_tlv(objects)))


def completion(bmps: list[Bmp] | None = None, *, prefix: bytes = b"") -> bytes:
    return _apdu(COMPLETION, prefix + encode_bmps(bmps or []))


def status_enquiry_completion(software_version: str, terminal_status: int) -> bytes:
    version = software_version.encode("ascii")
    prefix = codec.encode_bmp(0x3C, version)[1:]  # the LLLVAR form, without a BMP tag
    return completion(prefix=prefix + bytes((terminal_status,)))


def abort(result_code: int) -> bytes:
    return _apdu(ABORT, bytes((result_code,)))
