"""Serial scanner framing (pure): CR/LF framing, AIM prefixes, junk, timeouts, fuzzing."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.scanner.events import DuplicateFilter
from drivers.scanner.framing import (
    AimMode,
    Frame,
    Framing,
    Partial,
    Reject,
    Rejected,
    SerialFrameDecoder,
    split_aim,
)

TERMINATORS = b"\r\n"


def frames(outcomes: list[Frame | Rejected | Partial]) -> list[Frame]:
    return [o for o in outcomes if isinstance(o, Frame)]


@pytest.mark.parametrize(
    ("framing", "wire"),
    [
        (Framing.CR, b"4006381333931\r"),
        (Framing.LF, b"4006381333931\n"),
        (Framing.CRLF, b"4006381333931\r\n"),
        (Framing.CRLF, b"4006381333931\r"),
        (Framing.CRLF, b"4006381333931\n"),
    ],
)
def test_configured_terminator_ends_a_read(framing: Framing, wire: bytes) -> None:
    decoder = SerialFrameDecoder(framing)
    assert decoder.feed(wire, 0.0) == [Frame("4006381333931", None)]


def test_read_split_across_chunks_is_reassembled() -> None:
    decoder = SerialFrameDecoder(Framing.CRLF)
    assert decoder.feed(b"]E040063", 0.00) == []
    assert decoder.feed(b"81333931\r", 0.01) == [Frame("4006381333931", "]E0")]
    assert decoder.feed(b"\n", 0.02) == []  # the LF of CR LF is no empty read


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("]E04006381333931", ("]E0", "4006381333931")),
        ("]C1010401234567890110ABC", ("]C1", "010401234567890110ABC")),
        ("]e0" + "0100012345678905", ("]e0", "0100012345678905")),
        ("]d2" + "01", ("]d2", "01")),
        ("]Q3" + "x", ("]Q3", "x")),
        ("4006381333931", (None, "4006381333931")),
        ("]E", (None, "]E")),
        ("]1x", (None, "]1x")),
    ],
)
def test_aim_prefix_is_split_off(text: str, expected: tuple[str | None, str]) -> None:
    assert split_aim(text) == expected


def test_gs_inside_a_gs1_read_is_kept() -> None:
    decoder = SerialFrameDecoder(Framing.CR)
    got = decoder.feed(b"]C10104012345678901\x1d10LOT7\r", 0.0)
    assert got == [Frame("0104012345678901\x1d10LOT7", "]C1")]


def test_junk_bytes_reject_the_frame() -> None:
    decoder = SerialFrameDecoder(Framing.CR)
    got = decoder.feed(b"40063\xff81333931\r", 0.0)
    assert got == [Rejected(Reject.JUNK, b"40063\xff81333931")]


def test_required_aim_prefix_rejects_frames_without_one() -> None:
    decoder = SerialFrameDecoder(Framing.CR, aim=AimMode.REQUIRED)
    assert decoder.feed(b"4006381333931\r]E0\r", 0.0) == [
        Rejected(Reject.NO_AIM, b"4006381333931"),
        Rejected(Reject.EMPTY, b"]E0"),
    ]


def test_no_aim_mode_keeps_bracket_data() -> None:
    decoder = SerialFrameDecoder(Framing.CR, aim=AimMode.NONE)
    assert decoder.feed(b"]E0123\r", 0.0) == [Frame("]E0123", None)]


def test_overlong_frame_is_rejected_and_framing_recovers() -> None:
    decoder = SerialFrameDecoder(Framing.CR, max_length=8)
    got = decoder.feed(b"123456789012\r12345\r", 0.0)
    assert got == [Rejected(Reject.OVERFLOW, b"12345678"), Frame("12345", None)]


def test_partial_frame_is_dropped_after_inter_byte_timeout_with_its_tail() -> None:
    decoder = SerialFrameDecoder(Framing.CR, inter_byte_timeout_s=0.2)
    assert decoder.feed(b"400638", 0.0) == []
    # The line stalled; what follows up to the terminator is the tail of that read.
    assert decoder.feed(b"1333931\r", 1.0) == [Partial(b"400638"), Partial(b"1333931")]
    assert decoder.feed(b"96385074\r", 2.0) == [Frame("96385074", None)]


def test_noise_head_dropped_by_timeout_does_not_swallow_next_read() -> None:
    decoder = SerialFrameDecoder(Framing.CR, inter_byte_timeout_s=0.2)
    assert decoder.feed(b"\x00\xfe", 0.0) == []
    assert decoder.feed(b"96385074\r", 1.0) == [Partial(b"\x00\xfe"), Frame("96385074", None)]


def test_expire_reports_a_partial_when_the_line_goes_quiet() -> None:
    decoder = SerialFrameDecoder(Framing.CR, inter_byte_timeout_s=0.2)
    decoder.feed(b"4006", 0.0)
    assert decoder.expire(0.1) == []
    assert decoder.expire(0.3) == [Partial(b"4006")]
    assert decoder.pending == b""


def test_reset_after_disconnect_drops_partial_without_eating_next_read() -> None:
    decoder = SerialFrameDecoder(Framing.CR)
    decoder.feed(b"4006", 0.0)
    assert decoder.reset() == [Partial(b"4006")]
    assert decoder.feed(b"96385074\r", 0.01) == [Frame("96385074", None)]


def test_duplicate_filter_drops_same_code_from_same_source_within_window() -> None:
    dedup = DuplicateFilter(0.5)
    assert dedup.accept("s1", "123", 0.0)
    assert not dedup.accept("s1", "123", 0.3)
    assert dedup.accept("s2", "123", 0.3)  # another scanner
    assert dedup.accept("s1", "123", 0.6)  # window counts from the last accepted read
    assert dedup.accept("s1", "456", 0.7)
    assert dedup.accept("s1", "123", 0.8)  # a different code in between


# --- fuzzing ----------------------------------------------------------------------------

printable = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=40
)
chunked = st.lists(
    st.tuples(st.binary(max_size=30), st.floats(min_value=0, max_value=0.5)), max_size=30
)


def _feed_all(decoder: SerialFrameDecoder, chunks: list[tuple[bytes, float]]) -> list[Frame]:
    now = 0.0
    out: list[Frame | Rejected | Partial] = []
    for data, gap in chunks:
        now += gap
        out += decoder.feed(data, now)
    return frames(out)


@settings(max_examples=300)
@given(chunked, st.sampled_from(list(Framing)), st.sampled_from(list(AimMode)))
def test_random_bytes_never_raise_and_frames_are_clean_delimited_segments(
    chunks: list[tuple[bytes, float]], framing: Framing, aim: AimMode
) -> None:
    decoder = SerialFrameDecoder(framing, aim=aim, max_length=64, inter_byte_timeout_s=0.2)
    stream = b"".join(data for data, _ in chunks)
    for frame in _feed_all(decoder, chunks):
        raw = ((frame.symbology or "") + frame.data).encode("ascii")
        assert frame.data
        assert all(0x20 <= ord(c) <= 0x7E or c == "\x1d" for c in frame.data)
        assert len(raw) <= 64
        # The whole read, directly followed by a terminator, is in what was sent.
        assert any(raw + bytes([t]) in stream for t in framing.terminators)


@settings(max_examples=200)
@given(
    st.lists(st.tuples(printable, st.binary(max_size=12)), min_size=1, max_size=8),
    st.data(),
)
def test_valid_reads_survive_terminated_noise_between_them(
    reads: list[tuple[str, bytes]], data: st.DataObject
) -> None:
    wire = bytearray()
    for text, noise in reads:
        wire += noise + b"\r" + text.encode("ascii") + b"\r\n"
    cuts = sorted(data.draw(st.lists(st.integers(0, len(wire)), max_size=10)))
    chunks = [bytes(wire[a:b]) for a, b in zip([0, *cuts], [*cuts, len(wire)], strict=True)]
    decoder = SerialFrameDecoder(Framing.CRLF, aim=AimMode.NONE)
    got = [f.data for f in _feed_all(decoder, [(c, 0.001) for c in chunks])]
    expected = [text for text, _ in reads]
    it = iter(got)
    assert all(any(g == e for g in it) for e in expected)  # in order, as a subsequence
