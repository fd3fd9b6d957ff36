"""Chinese text encoding for ESC/POS printers (PROTOCOLS.md "Receipt printer: ESC/POS")."""

from __future__ import annotations

import logging
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.printer.cjk import (
    CODECS,
    Codec,
    TextEncodingError,
    decode_text,
    encode_text,
    encode_text_report,
    is_codec,
)

ON, OFF = b"\x1c\x26", b"\x1c\x2e"


@pytest.mark.parametrize("codec", CODECS)
def test_ascii_is_single_bytes_without_double_byte_mode(codec: Codec) -> None:
    assert encode_text("Total 12.50\n", codec) == b"Total 12.50\n"


@pytest.mark.parametrize("codec", CODECS)
def test_runs_of_chinese_are_wrapped_in_fs_ampersand_and_fs_dot(codec: Codec) -> None:
    data = encode_text("合计: 12元\n", codec)
    assert data == ON + b"\xba\xcf\xbc\xc6" + OFF + b": 12" + ON + b"\xd4\xaa" + OFF + b"\n"


@pytest.mark.parametrize("codec", CODECS)
def test_chinese_punctuation_and_full_width_letters_use_their_gbk_codes(codec: Codec) -> None:
    data = encode_text("，！（）Ａｚ", codec)
    assert data == ON + bytes.fromhex("A3AC A3A1 A3A8 A3A9 A3C1 A3FA") + OFF
    assert decode_text(data, codec) == "，！（）Ａｚ"


@pytest.mark.parametrize("codec", CODECS)
def test_yen_sign_prints_as_full_width_yuan_sign(codec: Codec) -> None:
    encoded = encode_text_report("¥12.50", codec)
    assert encoded.data == ON + b"\xa3\xa4" + OFF + b"12.50"
    assert encoded.unencodable == ()
    assert decode_text(encoded.data, codec) == "￥12.50"


def test_gb18030_printer_gets_four_byte_extension_a_and_gbk_printer_a_question_mark() -> None:
    assert encode_text("㐀", "gb18030") == ON + bytes.fromhex("8139EE39") + OFF
    assert decode_text(ON + bytes.fromhex("8139EE39") + OFF, "gb18030") == "㐀"
    gbk = encode_text_report("x㐀", "gbk")
    assert gbk.data == b"x" + ON + b"\xa3\xbf" + OFF  # ？ keeps the two columns
    assert [(u.index, u.char) for u in gbk.unencodable] == [(1, "㐀")]


def test_euro_sign_exists_only_in_gb18030() -> None:
    assert encode_text("€", "gb18030") == ON + b"\xa2\xe3" + OFF
    assert decode_text(encode_text_report("€", "gbk").data, "gbk") == "？"


@pytest.mark.parametrize("codec", CODECS)
def test_emoji_and_other_four_byte_characters_become_reported_full_width_question_marks(
    codec: Codec,
) -> None:
    encoded = encode_text_report("苹果🍎ß", codec)
    assert encoded.data == ON + "苹果？？".encode("gbk") + OFF
    assert [str(u) for u in encoded.unencodable] == ["U+1F34E at index 2", "U+00DF at index 3"]


@pytest.mark.parametrize("codec", CODECS)
def test_control_characters_never_reach_the_printer_as_commands(codec: Codec) -> None:
    encoded = encode_text_report("A\x1b@B\x1d\x0c中\x85", codec)
    assert encoded.data == b"A?@B??" + ON + "中？".encode("gbk") + OFF
    assert b"\x1b" not in encoded.data
    assert len(encoded.unencodable) == 4


def test_encode_text_logs_which_characters_were_replaced(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="drivers.printer.cjk"):
        encode_text("价格🍎", "gbk")
    (record,) = caplog.records
    assert record.unencodable == ["U+1F34E at index 2"]  # type: ignore[attr-defined]
    assert record.codec == "gbk"  # type: ignore[attr-defined]


def test_unknown_codec_is_rejected_with_the_choices() -> None:
    assert not is_codec("big5")
    with pytest.raises(TextEncodingError, match=r"'big5'.*gbk, gb18030"):
        encode_text("x", "big5")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xba\xcf", r"byte 0xBA at offset 0 is not text outside FS &"),
        (b"ok\x1b@", r"byte 0x1B at offset 2"),
        (ON + b"\xba", r"bytes BA at offset 2 are not a gbk character"),
        (ON + b"\xba\x20", r"bytes BA 20 at offset 2 are not a gbk character"),
    ],
)
def test_decoder_rejects_bytes_encode_text_never_writes(data: bytes, message: str) -> None:
    with pytest.raises(TextEncodingError, match=message):
        decode_text(data, "gbk")


def _gbk_text_char(char: str) -> bool:
    # Printable ASCII, LF, or a graphic character with a 2-byte GBK code.
    if char == "\n" or " " <= char <= "~":
        return True
    if unicodedata.category(char)[0] == "C" or unicodedata.category(char) in ("Zl", "Zp"):
        return False
    return len(char.encode("gbk")) == 2


gbk_text = st.text(st.characters(codec="gbk").filter(_gbk_text_char))


@given(text=gbk_text, codec=st.sampled_from(CODECS))
def test_gbk_encodable_text_round_trips(text: str, codec: Codec) -> None:
    encoded = encode_text_report(text, codec)
    assert encoded.unencodable == ()
    assert decode_text(encoded.data, codec) == text


@given(text=gbk_text, codec=st.sampled_from(CODECS))
def test_double_byte_mode_is_left_before_every_ascii_byte(text: str, codec: Codec) -> None:
    data = encode_text(text, codec)
    double = False
    i = 0
    while i < len(data):
        if data[i : i + 2] in (ON, OFF):
            assert (data[i : i + 2] == ON) != double, "FS & / FS . out of turn"
            double = data[i : i + 2] == ON
            i += 2
            continue
        assert (data[i] >= 0x80) == double
        i += 2 if double else 1
    assert not double


@given(text=st.text(), codec=st.sampled_from(CODECS))
def test_any_text_prints_one_character_of_the_same_width_per_character(
    text: str, codec: Codec
) -> None:
    encoded = encode_text_report(text, codec)
    decoded = decode_text(encoded.data, codec)
    replaced = {u.index for u in encoded.unencodable}
    assert len(decoded) == len(text)
    for index, (was, printed) in enumerate(zip(text, decoded, strict=True)):
        if index in replaced:
            assert printed == ("?" if ord(was) < 0x80 else "？")
        else:
            assert printed == was or (was, printed) == ("¥", "￥")
        assert (ord(printed) < 0x80) == (ord(was) < 0x80)  # one column stays one, two two
