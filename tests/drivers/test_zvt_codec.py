"""The ZVT codec: APDUs, BMPs, TLV and BCD, against public byte vectors and by property.

Known vectors come from the python ecrterm project's parser tests (captured from real
terminals) and from PA00P015 examples; every one must decode to the documented fields.
"""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.pinpad.zvt import codec
from drivers.pinpad.zvt import messages as msg
from drivers.pinpad.zvt.codec import BMP_TABLE, Apdu, Bmp, BmpLength, Tlv
from drivers.pinpad.zvt.errors import ZvtCodecError


def hx(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


# --- APDU ---------------------------------------------------------------------------------


def test_apdu_with_short_data_has_one_length_byte() -> None:
    assert codec.encode_apdu(0x06, 0x01, b"\x01\x02") == hx("06 01 02 01 02")


def test_apdu_of_255_bytes_or_more_uses_ff_and_little_endian_length() -> None:
    encoded = codec.encode_apdu(0x06, 0xD3, bytes(300))
    assert encoded[:5] == hx("06 D3 FF 2C 01")
    assert codec.decode_apdu(encoded) == Apdu(0x06, 0xD3, bytes(300))
    assert codec.encode_apdu(0x06, 0xD3, bytes(255))[:5] == hx("06 D3 FF FF 00")


def test_apdu_of_the_maximum_length_round_trips_and_one_more_byte_is_refused() -> None:
    assert codec.decode_apdu(codec.encode_apdu(4, 0x0F, bytes(0xFFFF))).data == bytes(0xFFFF)
    with pytest.raises(ZvtCodecError, match="exceeds"):
        codec.encode_apdu(4, 0x0F, bytes(0x10000))


@pytest.mark.parametrize("raw", ["06", "06 01 03 00 00", "06 01 01 00 00", "06 01 FF 01"])
def test_apdu_whose_length_field_disagrees_with_its_size_is_a_codec_error(raw: str) -> None:
    with pytest.raises(ZvtCodecError):
        codec.decode_apdu(hx(raw))


@given(st.integers(0, 255), st.integers(0, 255), st.binary(max_size=600))
def test_apdu_round_trips(cls: int, instr: int, data: bytes) -> None:
    encoded = codec.encode_apdu(cls, instr, data)
    assert codec.apdu_size(encoded) == len(encoded)
    assert codec.decode_apdu(encoded) == Apdu(cls, instr, data)


@given(st.binary(max_size=400))
def test_any_bytes_decode_to_an_apdu_or_a_codec_error(data: bytes) -> None:
    try:
        apdu = codec.decode_apdu(data)
    except ZvtCodecError:
        return
    assert apdu.encode() == data or data[2] == 0xFF  # the long form may encode short data


# --- BCD, passwords, currencies, variable lengths ---------------------------------------------


def test_amount_is_six_bytes_of_bcd_in_minor_units() -> None:
    assert codec.encode_bcd(1234, 6) == hx("00 00 00 00 12 34")
    assert codec.decode_bcd(hx("00 00 00 00 40 00")) == 4000


def test_currency_codes_are_two_bytes_of_bcd() -> None:
    assert codec.encode_currency(978) == hx("09 78")  # EUR (PROTOCOLS.md)
    assert codec.encode_currency(156) == hx("01 56")  # CNY


def test_password_is_three_bytes_of_bcd() -> None:
    assert codec.encode_password("000000") == hx("00 00 00")
    assert codec.encode_password(123456) == hx("12 34 56")
    with pytest.raises(ZvtCodecError):
        codec.encode_password("12345")


def test_bcd_that_does_not_fit_or_has_letters_is_refused() -> None:
    with pytest.raises(ZvtCodecError):
        codec.encode_bcd(10**12, 6)
    with pytest.raises(ZvtCodecError):
        codec.decode_bcd(hx("1A"))


@given(st.integers(0, 10**12 - 1))
def test_bcd_round_trips(value: int) -> None:
    assert codec.decode_bcd(codec.encode_bcd(value, 6)) == value


def test_llvar_length_is_two_fx_digits_and_lllvar_three() -> None:
    assert codec.encode_bmp(0x8B, b"VISA\x00") == hx("8B F0 F5 56 49 53 41 00")
    assert codec.encode_bmp(0x3C, b"x" * 73)[:4] == hx("3C F0 F7 F3")


def test_variable_field_longer_than_its_digits_allow_is_refused() -> None:
    with pytest.raises(ZvtCodecError, match="LLVAR maximum 99"):
        codec.encode_bmp(0x22, bytes(100))


def test_llvar_length_byte_that_is_not_fx_is_a_codec_error() -> None:
    with pytest.raises(ZvtCodecError, match="not Fx"):
        codec.decode_bmps(hx("22 F0 1A 12"))


# --- BMPs -----------------------------------------------------------------------------------


def test_bmp_table_has_the_fixed_sizes_of_the_spec() -> None:
    sizes = {tag: spec.size for tag, spec in BMP_TABLE.items() if spec.kind is BmpLength.FIXED}
    expected = {0x04: 6, 0x0B: 3, 0x0C: 3, 0x0D: 2, 0x27: 1, 0x29: 4, 0x2A: 15, 0x3B: 8}
    expected |= {0x49: 2, 0x87: 2, 0x8A: 1, 0x88: 3, 0x37: 3, 0x19: 1, 0xBA: 5}
    assert {tag: sizes[tag] for tag in expected} == expected
    kinds = {0x22: BmpLength.LLVAR, 0x8B: BmpLength.LLVAR, 0x3C: BmpLength.LLLVAR}
    kinds |= {0x60: BmpLength.LLLVAR, 0x06: BmpLength.TLV}
    assert {tag: BMP_TABLE[tag].kind for tag in kinds} == kinds


def test_unknown_bmp_is_a_codec_error_naming_tag_and_offset() -> None:
    with pytest.raises(ZvtCodecError, match="unknown BMP FD at offset 2"):
        codec.decode_bmps(hx("27 00 FD 00"))


def test_fixed_bmp_with_wrong_size_cannot_be_encoded() -> None:
    with pytest.raises(ZvtCodecError, match="is 6 bytes"):
        codec.encode_bmp(0x04, b"\x12\x34")


def _bmp_strategy() -> st.SearchStrategy[Bmp]:
    def for_tag(tag: int) -> st.SearchStrategy[Bmp]:
        spec = BMP_TABLE[tag]
        if spec.kind is BmpLength.FIXED:
            values = st.binary(min_size=spec.size, max_size=spec.size)
        elif spec.kind is BmpLength.LLVAR:
            values = st.binary(max_size=99)
        elif spec.kind is BmpLength.LLLVAR:
            values = st.binary(max_size=300)
        else:
            values = st.lists(_tlv_strategy(), max_size=3).map(codec.encode_tlv)
        return values.map(lambda v: Bmp(tag, v))

    return st.sampled_from(sorted(BMP_TABLE)).flatmap(for_tag)


@given(st.lists(_bmp_strategy(), max_size=8))
def test_bmp_sequences_round_trip(bmps: list[Bmp]) -> None:
    assert codec.decode_bmps(codec.encode_bmps(bmps)) == tuple(bmps)


@given(st.binary(max_size=300))
def test_any_bytes_decode_to_bmps_or_a_codec_error(data: bytes) -> None:
    try:
        bmps = codec.decode_bmps(data)
    except ZvtCodecError:
        return
    assert codec.encode_bmps(list(bmps)) == data or any(b.tag == 0x06 for b in bmps)


# --- TLV --------------------------------------------------------------------------------------


def test_tlv_two_byte_tag_and_long_length_forms() -> None:
    obj = Tlv(0x1F07, b"\x02")
    assert codec.encode_tlv([obj]) == hx("1F 07 01 02")
    long_value = Tlv(0x07, bytes(200))
    assert codec.encode_tlv([long_value])[:3] == hx("07 81 C8")
    longer = Tlv(0x07, bytes(300))
    assert codec.encode_tlv([longer])[:4] == hx("07 82 01 2C")
    assert codec.decode_tlv(codec.encode_tlv([obj, long_value, longer])) == (
        obj,
        long_value,
        longer,
    )


def test_constructed_tlv_tag_holds_nested_objects() -> None:
    decoded = codec.decode_tlv(hx("25 06 07 01 41 07 01 42"))  # print texts: two lines
    assert decoded == (Tlv(0x25, (Tlv(0x07, b"A"), Tlv(0x07, b"B"))),)
    assert [t.value for t in codec.find_all_tlv(decoded, 0x07)] == [b"A", b"B"]


@pytest.mark.parametrize(
    "raw", ["07 05 41", "1F", "1F 87", "07 83 00 00 01", "25 03 07 05 41", "07"]
)
def test_malformed_tlv_is_a_codec_error(raw: str) -> None:
    with pytest.raises(ZvtCodecError):
        codec.decode_tlv(hx(raw))


def test_tlv_nesting_has_a_bound() -> None:
    data = b"\x00"
    for _ in range(20):
        data = b"\x25" + codec.encode_tlv_length(len(data)) + data
    with pytest.raises(ZvtCodecError, match="nesting"):
        codec.decode_tlv(data)


def _tlv_strategy() -> st.SearchStrategy[Tlv]:
    primitive_tags = st.sampled_from([0x07, 0x09, 0x0A, 0x12, 0x14, 0x1F07, 0x1F10, 0x1F8107])
    constructed_tags = st.sampled_from([0x24, 0x25, 0x26, 0x60, 0x2F])
    leaves = st.builds(Tlv, primitive_tags, st.binary(max_size=40))
    return st.recursive(
        leaves,
        lambda children: st.builds(
            Tlv, constructed_tags, st.lists(children, max_size=3).map(tuple)
        ),
        max_leaves=8,
    )


@given(st.lists(_tlv_strategy(), max_size=4))
def test_tlv_round_trips(objects: list[Tlv]) -> None:
    assert codec.decode_tlv(codec.encode_tlv(objects)) == tuple(objects)


@given(st.binary(max_size=200))
def test_any_bytes_decode_to_tlv_or_a_codec_error(data: bytes) -> None:
    with contextlib.suppress(ZvtCodecError):
        codec.decode_tlv(data)


# --- card numbers --------------------------------------------------------------------------


def test_masked_pan_keeps_e_masking_and_drops_f_padding() -> None:
    assert codec.decode_pan(hx("47 43 EE EE EE 77 43")) == "**********7743"
    assert codec.decode_pan(codec.encode_masked_pan("************4242")) == "************4242"
    assert codec.encode_masked_pan("*****1234") == hx("EE EE E1 23 4F")


def test_clear_pan_from_a_terminal_is_masked_to_the_last_four_digits() -> None:
    assert codec.decode_pan(hx("41 11 11 11 11 11 11 11")) == "************1111"


@given(st.text("0123456789", min_size=1, max_size=19))
def test_decoded_pan_never_shows_more_than_four_digits(digits: str) -> None:
    padded = digits + ("F" if len(digits) % 2 else "")
    masked = codec.decode_pan(bytes.fromhex(padded))
    assert masked is not None
    assert len(masked) == len(digits)
    assert sum(c.isdigit() for c in masked) <= 4
    assert masked.endswith(digits[-4:] if len(digits) > 4 else "")


# --- known vectors from real terminals (ecrterm tests/test_parsing.py) ---------------------------

STATUS_VECTOR = (
    "04 0F 37 27 00 04 00 00 00 00 40 00 49 09 78 0C 09 38 48 0D 04 25 22 F1 F1 59 66 66 "
    "66 66 D2 00 21 22 01 00 17 00 01 87 01 75 0B 61 39 95 19 40 29 60 09 99 14 0E 05 12 8A 02"
)

STATUS_WITH_TLV_VECTOR = (
    "040FCE2700040000000010004909780C1230050D062922F0F8474843EEEEEE77438700023B3838393135"
    "3000000B000733196029420030360E18018A0A8C038BF0F556495341002A343535363030303030353939"
    "2020203CF0F7F341532D544944203D2031334630303031330D41532D50726F632D436F6465203D203230"
    "203930332030300D436170742E2D5265662E3D20303030300D41494435393A20383039323538062B4102"
    "000A4902000315024445600F4204564953414307A00000000310102F0C1F1001001F1101011F120102"
)


def test_status_information_vector_decodes_with_the_card_number_masked() -> None:
    info = msg.parse_status_information(codec.decode_apdu(hx(STATUS_VECTOR)).data)
    assert info.result_code == 0
    assert info.amount_minor == 4000
    assert info.currency == 978
    assert (info.time, info.date) == ("09:38:48", "04-25")
    assert info.receipt_no == 175
    assert info.trace == 613995
    assert info.terminal_id == "60099914"
    assert info.card_type == 2
    assert info.masked_pan == "******6666"  # track-2 style data, cut at the D separator


def test_status_information_vector_with_tlv_and_texts_decodes() -> None:
    info = msg.parse_status_information(codec.decode_apdu(hx(STATUS_WITH_TLV_VECTOR)).data)
    assert info.amount_minor == 1000
    assert info.masked_pan == "************7743"
    assert info.card_name == "VISA"
    assert info.card_type == 10
    assert info.aid == "889150"
    assert info.vu_number == "455600000599"
    assert info.additional_text is not None
    assert info.additional_text.startswith("AS-TID = ")
    application = codec.find_tlv(info.tlv, 0x60)
    assert application is not None
    assert application.find(0x42) == Tlv(0x42, b"VISA")
    assert codec.find_tlv(info.tlv, 0x1F12) == Tlv(0x1F12, b"\x02")


def test_registration_vector_with_permitted_command_list_decodes() -> None:
    raw = hx(
        "06 00 63 00 00 00 FE 09 78 03 00 06 59 10 02 16 02 12 01 40 1A 02 10 00 26 28 0A 02 "
        "04 0F 0A 02 06 0F 0A 02 06 1E 0A 02 04 FF 0A 02 06 D8 0A 02 06 DB 0A 02 06 D9 0A 02 "
        "06 DA 0A 02 06 DD 0A 02 06 D3 27 03 14 01 FF 28 10 15 02 44 45 15 02 45 4E 15 02 46 "
        "52 15 02 49 54 40 02 C0 00 1F 04 02 F1 00 1F 05 01 00"
    )
    apdu = codec.decode_apdu(raw)
    assert apdu.data[:6] == hx("00 00 00 FE 09 78")
    bmps = codec.decode_bmps(apdu.data, 6)
    assert [b.tag for b in bmps] == [0x03, 0x06]
    permitted = codec.find_tlv(codec.decode_tlv(bmps[1].value), msg.TAG_PERMITTED_COMMANDS)
    assert permitted is not None
    assert isinstance(permitted.value, tuple)
    assert Tlv(0x0A, hx("06 D3")) in permitted.value


def test_registration_we_send_has_the_layout_of_the_spec() -> None:
    apdu = codec.decode_apdu(msg.registration("000000", 978))
    assert apdu.control == msg.REGISTRATION
    assert apdu.data[:6] == hx("00 00 00 BE 09 78")
    tlv = codec.decode_tlv(codec.decode_bmps(apdu.data, 6)[0].value)
    assert tlv == (msg.permitted_commands_tlv(),)


def test_completion_vector_of_a_registration_decodes() -> None:
    apdu = codec.decode_apdu(hx("06 0F 11 19 00 29 52 00 12 33 49 09 78 06 05 27 03 14 01 FF"))
    parsed = msg.parse_terminal_message(apdu)
    assert parsed == msg.Completion(status_byte=0, terminal_id="52001233", currency=978)


def test_authorization_vector_decodes_and_ours_carries_amount_and_currency() -> None:
    bmps = codec.decode_bmps(
        codec.decode_apdu(hx("06 01 0E 02 01 04 00 00 00 00 10 00 19 44 49 09 78")).data
    )
    assert codec.decode_bcd(codec.bmp_value(bmps, 0x04) or b"") == 1000
    ours = msg.authorization(1234, 156, reference="intent-7")
    assert ours == hx("06 01 16 04 00 00 00 00 12 34 49 01 56 3C F0 F0 F8") + b"intent-7"


def test_refund_is_06_31_with_password_then_amount_currency_and_reference() -> None:
    # PA00P015 "Refund (06 31)"; the layout Portalum.Zvt (RefundAsync) and the Kotlin ZVT
    # library (buildRefund) send, and that Wireshark's packet-zvt.c dissects (CTRL_REFUND).
    ours = msg.refund("000000", 1234, 978, reference="refund-1")
    assert ours == hx("06 31 19 00 00 00 04 00 00 00 00 12 34 49 09 78 3C F0 F0 F8") + b"refund-1"
    assert msg.refund(123456, 5, 156) == hx("06 31 0D 12 34 56 04 00 00 00 00 00 05 49 01 56")
    portalum = codec.decode_apdu(hx("06 31 0A 00 00 00 04 00 00 00 00 10 00"))
    assert portalum.control == msg.REFUND
    assert msg.parse_refund(portalum.data) == msg.RefundCommand("000000", 1000, None, None)


@pytest.mark.parametrize("amount", [0, -1])
def test_refund_of_nothing_cannot_be_encoded(amount: int) -> None:
    with pytest.raises(ZvtCodecError, match="positive amount"):
        msg.refund("000000", amount, 978)


@pytest.mark.parametrize(
    ("data", "why"),
    [
        ("00 00", "shorter than its password"),
        ("00 00 00 49 09 78", "without an amount"),
        ("0A 00 00 04 00 00 00 00 10 00", "not BCD"),
        ("00 00 00 04 00 00 00 00 10 00 3C F0 F0 F1 FF", "not ASCII"),
    ],
)
def test_malformed_refund_is_a_codec_error_saying_what_is_wrong(data: str, why: str) -> None:
    with pytest.raises(ZvtCodecError, match=why):
        msg.parse_refund(hx(data))


@given(
    st.integers(0, 999_999),
    st.integers(1, 10**12 - 1),
    st.integers(1, 999),
    st.none() | st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1),
)
def test_refund_round_trips(password: int, amount: int, currency: int, ref: str | None) -> None:
    reference = None if ref is None else ref[:64]
    apdu = codec.decode_apdu(msg.refund(password, amount, currency, reference=reference))
    assert apdu.control == msg.REFUND
    parsed = msg.parse_refund(apdu.data)
    assert parsed == msg.RefundCommand(f"{password:06d}", amount, currency, reference)


@given(st.binary(max_size=120))
def test_any_bytes_parse_as_a_refund_or_raise_a_codec_error(data: bytes) -> None:
    with contextlib.suppress(ZvtCodecError):
        parsed = msg.parse_refund(data)
        assert len(parsed.password) == 6
        assert parsed.amount_minor >= 0


def test_intermediate_status_vector_with_display_text_decodes() -> None:
    raw = hx("04 FF 1E 0A 01 06 1A 24 18 07 16") + b"Bitte Karte einstecken"
    parsed = msg.parse_terminal_message(codec.decode_apdu(raw))
    assert parsed == msg.IntermediateStatus(0x0A, 1, ("Bitte Karte einstecken",))


def test_intermediate_status_without_text_uses_the_code_table() -> None:
    parsed = msg.parse_terminal_message(codec.decode_apdu(hx("04 FF 01 0A")))
    assert isinstance(parsed, msg.IntermediateStatus)
    assert parsed.text == "insert card"


def test_print_line_vector_decodes() -> None:
    raw = hx("06 D1 17 00") + b" " * 9 + b"Kassenschnitt"
    parsed = msg.parse_terminal_message(codec.decode_apdu(raw))
    assert parsed == msg.PrintLine(0x00, " " * 9 + "Kassenschnitt")
    assert not parsed.is_last
    last = msg.parse_terminal_message(codec.decode_apdu(msg.print_line("end", last=True)))
    assert isinstance(last, msg.PrintLine)
    assert last.is_last


def test_print_text_block_carries_receipt_type_and_lines() -> None:
    raw = msg.print_text_block(msg.RECEIPT_CUSTOMER, ("Kunde", "12,34 EUR"))
    parsed = msg.parse_terminal_message(codec.decode_apdu(raw))
    assert parsed == msg.PrintTextBlock(msg.RECEIPT_CUSTOMER, ("Kunde", "12,34 EUR"), False)


def test_acknowledgements_positive_and_negative() -> None:
    assert msg.parse_terminal_message(codec.decode_apdu(hx("80 00 00"))) == msg.Ack(True, 0)
    assert msg.parse_terminal_message(codec.decode_apdu(hx("84 83 00"))) == msg.Ack(False, 0x83)
    assert msg.parse_terminal_message(codec.decode_apdu(hx("84 9C 00"))) == msg.Ack(True, 0x9C)


def test_status_enquiry_completion_carries_software_version_and_terminal_status() -> None:
    apdu = codec.decode_apdu(hx("06 0F 0B F0 F0 F7") + b"2.14.15" + b"\x00")
    parsed = msg.parse_terminal_message(apdu, after_status_enquiry=True)
    assert parsed == msg.Completion(software_version="2.14.15", terminal_status=0)
    ours = codec.decode_apdu(msg.status_enquiry_completion("2.14.15", 0))
    assert ours == apdu


def test_end_of_day_totals_round_trip() -> None:
    totals = msg.Totals(1, 42, (msg.CardTotal("VISA", 3, 3702), msg.CardTotal("ec-card", 1, 5)))
    decoded = msg.decode_totals(msg.encode_totals(totals))
    assert decoded is not None
    assert {c.card: (c.count, c.amount_minor) for c in decoded.cards if c.count} == {
        "VISA": (3, 3702),
        "ec-card": (1, 5),
    }
    assert (decoded.receipt_from, decoded.receipt_to) == (1, 42)


@given(st.integers(0, 255), st.integers(0, 255), st.binary(max_size=200))
def test_any_terminal_apdu_parses_or_raises_a_codec_error(
    cls: int, instr: int, data: bytes
) -> None:
    for control in ((cls, instr), (0x04, 0x0F), (0x04, 0xFF), (0x06, 0xD3), (0x06, 0x0F)):
        with contextlib.suppress(ZvtCodecError):
            msg.parse_terminal_message(Apdu(*control, data), after_status_enquiry=instr % 2 == 0)


@pytest.mark.parametrize(
    ("text", "scrubbed"),
    [
        ("VISA 4111111111111111", "VISA ************1111"),
        ("Karte 4111 1111 1111 1111 ok", "Karte **** **** **** 1111 ok"),
        ("Trace 000004  Receipt 0004", "Trace 000004  Receipt 0004"),
        ("1234567890123", "1234567890123"),  # 13 digits, but not Luhn-valid: not a card
    ],
)
def test_card_numbers_in_terminal_text_are_masked(text: str, scrubbed: str) -> None:
    assert codec.scrub_pans(text) == scrubbed


def test_print_line_with_a_clear_card_number_is_masked_when_parsed() -> None:
    parsed = msg.parse_terminal_message(codec.decode_apdu(msg.print_line("PAN 5555555555554444")))
    assert parsed == msg.PrintLine(0, "PAN ************4444")
