"""Toledo 8217 and MT-SICS byte-level parsers (pure), with hypothesis fuzzing."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.errors import ScaleProtocolError
from drivers.scale import sics, toledo
from drivers.scale.events import ScaleStatus

# --- Toledo 8217 --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "grams", "net"),
    [
        (b"01.250", 1250, False),
        (b"00.000", 0, False),
        (b"12.345N", 12345, True),
        (b" 1.5", 1500, False),
    ],
)
def test_toledo_weight_frame_is_kilograms_to_grams(body: bytes, grams: int, net: bool) -> None:
    assert toledo.parse_frame(body) == toledo.ToledoWeight(grams, net)


@pytest.mark.parametrize(
    ("status_byte", "status"),
    [
        (0x41, ScaleStatus.IN_MOTION),
        (0x42, ScaleStatus.OVERLOAD),
        (0x43, ScaleStatus.OVERLOAD),
        (0x44, ScaleStatus.UNDER_ZERO),
        (0x48, ScaleStatus.ZERO_ERROR),
        (0x50, ScaleStatus.ERROR),
        (0xC1, ScaleStatus.IN_MOTION),  # bit 7 is the parity bit when read as 8N1
    ],
)
def test_toledo_status_byte_bits(status_byte: int, status: ScaleStatus) -> None:
    reply = toledo.parse_frame(bytes([ord("?"), status_byte]))
    assert isinstance(reply, toledo.ToledoStatus)
    assert reply.status is status


def test_toledo_status_detail_names_every_set_bit() -> None:
    reply = toledo.parse_frame(b"?\x63")  # motion, over capacity, net
    assert isinstance(reply, toledo.ToledoStatus)
    assert reply.detail == "status 0x23: in motion, over capacity, net"


@pytest.mark.parametrize(
    "body", [b"?\x01", b"?", b"?AB", b"", b"1.2.3", b"12,50", b"-0.010", b"1.2345"]
)
def test_toledo_invalid_frames_raise_protocol_error(body: bytes) -> None:
    with pytest.raises(ScaleProtocolError):
        toledo.parse_frame(body)


def test_toledo_decoder_reassembles_split_frames_and_reports_junk() -> None:
    decoder = toledo.ToledoDecoder()
    assert decoder.feed(b"\x13\x0201.2") == [toledo.ToledoGarbage(b"\x13", "bytes outside a frame")]
    assert decoder.feed(b"50\r\x02?A\r") == [
        toledo.ToledoWeight(1250, net=False),
        toledo.ToledoStatus(0x01),
    ]


def test_toledo_decoder_drops_a_frame_restarted_by_stx_and_overlong_frames() -> None:
    decoder = toledo.ToledoDecoder()
    got = decoder.feed(b"\x0201.\x0200.500\r\x02123456789012\r")
    assert got[0] == toledo.ToledoGarbage(b"01.", "frame restarted by STX")
    assert got[1] == toledo.ToledoWeight(500, net=False)
    assert isinstance(got[2], toledo.ToledoGarbage)
    assert not any(isinstance(o, toledo.ToledoWeight) for o in got[2:])


def test_toledo_encoders_match_the_wire_format() -> None:
    assert toledo.encode_weight(1250) == b"\x0201.250\r"
    assert toledo.encode_status(toledo.BIT_MOTION) == b"\x02?A\r"


def whole_frames(stream: bytes) -> set[toledo.ToledoReply]:
    """Every reply an `STX body CR` in the stream (bit 7 masked) stands for."""
    masked = bytes(b & 0x7F for b in stream)
    replies: set[toledo.ToledoReply] = set()
    for i, byte in enumerate(masked):
        if byte != toledo.STX:
            continue
        end = masked.find(b"\r", i + 1)
        body = masked[i + 1 : end]
        if end == -1 or b"\x02" in body:
            continue
        with contextlib.suppress(ScaleProtocolError):
            replies.add(toledo.parse_frame(body))
    return replies


@settings(max_examples=400)
@given(st.lists(st.binary(max_size=20), max_size=20))
def test_toledo_random_bytes_never_raise_and_every_reply_is_a_whole_frame(
    chunks: list[bytes],
) -> None:
    decoder = toledo.ToledoDecoder()
    allowed = whole_frames(b"".join(chunks))
    for chunk in chunks:
        for outcome in decoder.feed(chunk):
            if not isinstance(outcome, toledo.ToledoGarbage):
                assert outcome in allowed
    decoder.reset()


@settings(max_examples=200)
@given(st.lists(st.tuples(st.integers(0, 99_999), st.binary(max_size=15)), min_size=1, max_size=8))
def test_toledo_valid_answers_survive_noise_between_them(
    answers: list[tuple[int, bytes]],
) -> None:
    wire = b"".join(noise + toledo.encode_weight(grams) for grams, noise in answers)
    got = [o.grams for o in toledo.ToledoDecoder().feed(wire) if isinstance(o, toledo.ToledoWeight)]
    expected = iter(got)
    assert all(any(g == grams for g in expected) for grams, _ in answers)


# --- MT-SICS ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "reply"),
    [
        (b"S S      1.250 kg", sics.SicsReply("S", "S", 1250, "kg", "S S      1.250 kg")),
        (b"S D      0.125 kg", sics.SicsReply("S", "D", 125, "kg", "S D      0.125 kg")),
        (b"S S       1250 g", sics.SicsReply("S", "S", 1250, "g", "S S       1250 g")),
        (b"S S     -0.005 kg", sics.SicsReply("S", "S", -5, "kg", "S S     -0.005 kg")),
        (b"S S    1250.4 g", sics.SicsReply("S", "S", 1250, "g", "S S    1250.4 g")),
        (b"S I", sics.SicsReply("S", "I", text="S I")),
        (b"S +", sics.SicsReply("S", "+", text="S +")),
        (b"S -", sics.SicsReply("S", "-", text="S -")),
        (b"Z A", sics.SicsReply("Z", "A", text="Z A")),
        (b"T S      0.100 kg", sics.SicsReply("T", "S", 100, "kg", "T S      0.100 kg")),
        (b"ES", sics.SicsReply("ES", "", text="ES")),
        (b"EL", sics.SicsReply("EL", "", text="EL")),
        (b'I4 A "SIM0000001"', sics.SicsReply("I4", "A", text='I4 A "SIM0000001"')),
    ],
)
def test_sics_reply_lines_parse(line: bytes, reply: sics.SicsReply) -> None:
    assert sics.parse_line(line) == reply


@pytest.mark.parametrize(
    ("line", "status", "stable"),
    [
        (b"S S 1.000 kg", ScaleStatus.OK, True),
        (b"S D 1.000 kg", ScaleStatus.OK, False),
        (b"S +", ScaleStatus.OVERLOAD, False),
        (b"S -", ScaleStatus.UNDERLOAD, False),
        (b"S I", ScaleStatus.BUSY, False),
        (b"ET", ScaleStatus.ERROR, False),
        (b"Z +", ScaleStatus.ZERO_ERROR, False),
    ],
)
def test_sics_replies_map_to_scale_states(line: bytes, status: ScaleStatus, stable: bool) -> None:
    got_status, got_stable, _ = sics.parse_line(line).scale_status()
    assert (got_status, got_stable) == (status, stable)


@pytest.mark.parametrize(
    "line",
    [
        b"",
        b"S",
        b"S S 1.0",
        b"S S 1.0 lb",
        b"S S abc kg",
        b"S X 1 kg",
        b"ES x",
        b"s s 1 g",
        b"S S\x001 g",
        b"Z Q",
    ],
)
def test_sics_invalid_lines_raise_protocol_error(line: bytes) -> None:
    with pytest.raises(ScaleProtocolError):
        sics.parse_line(line)


def test_sics_decoder_splits_lines_and_reports_garbage() -> None:
    decoder = sics.SicsDecoder()
    assert decoder.feed(b"S S      1.2") == []
    got = decoder.feed(b"50 kg\r\n\xffS\r\nZ A\n")
    assert got[0] == sics.SicsReply("S", "S", 1250, "kg", "S S      1.250 kg")
    assert isinstance(got[1], sics.SicsGarbage)
    assert got[2] == sics.SicsReply("Z", "A", text="Z A")
    overlong, reply = decoder.feed(b"S S 1 g" * 20 + b"\r\nS S 1 g\r\n")
    assert isinstance(overlong, sics.SicsGarbage)
    assert overlong.reason == "line too long"
    assert reply == sics.SicsReply("S", "S", 1, "g", "S S 1 g")


def test_sics_weight_encoder_matches_balance_format() -> None:
    assert sics.encode_weight("S", 1250) == b"S S      1.250 kg\r\n"
    assert sics.encode_weight("D", -5) == b"S D     -0.005 kg\r\n"


@settings(max_examples=400)
@given(st.lists(st.binary(max_size=24), max_size=20))
def test_sics_random_bytes_never_raise_and_every_weight_is_a_whole_line(
    chunks: list[bytes],
) -> None:
    decoder = sics.SicsDecoder()
    lines = b"".join(chunks).split(b"\n")
    for chunk in chunks:
        for outcome in decoder.feed(chunk):
            if isinstance(outcome, sics.SicsReply):
                assert outcome.text.encode("ascii") in {line.removesuffix(b"\r") for line in lines}
    decoder.reset()


@settings(max_examples=200)
@given(
    st.lists(
        st.tuples(
            st.integers(-99_999, 999_999), st.sampled_from(["S", "D"]), st.binary(max_size=15)
        ),
        min_size=1,
        max_size=8,
    )
)
def test_sics_valid_lines_survive_terminated_noise_between_them(
    answers: list[tuple[int, str, bytes]],
) -> None:
    wire = b"".join(noise + b"\r\n" + sics.encode_weight(s, g) for g, s, noise in answers)
    got = [
        (o.grams, o.status) for o in sics.SicsDecoder().feed(wire) if isinstance(o, sics.SicsReply)
    ]
    expected = iter(got)
    assert all(any(g == (grams, s) for g in expected) for grams, s, _ in answers)
