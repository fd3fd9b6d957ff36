"""ZVT framing: serial DLE STX/ETX frames with CRC-16/KERMIT and ACK/NAK, TCP APDU cutting."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.errors import TransportIOError
from drivers.pinpad.zvt import codec
from drivers.pinpad.zvt.channel import LinkTimeouts, ZvtChannel
from drivers.pinpad.zvt.errors import ZvtLinkError
from drivers.pinpad.zvt.framing import (
    ACK,
    NAK,
    ApduSplitter,
    BadFrame,
    Frame,
    LinkAck,
    LinkNak,
    SerialDeframer,
    crc16_kermit,
    encode_frame,
)


def hx(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


# A status-enquiry completion a real terminal sent (ecrterm tests/test_parsing.py).
REAL_FRAME = hx("10 02 06 0F 0B F0 F0 F7 32 2E 31 34 2E 31 35 00 10 03 B1 11")


def test_crc16_kermit_check_value() -> None:
    assert crc16_kermit(b"123456789") == 0x2189  # the catalogued CRC-16/KERMIT check


def test_frame_of_a_real_terminal_is_reproduced_byte_for_byte() -> None:
    apdu = REAL_FRAME[2:-4]
    assert encode_frame(apdu) == REAL_FRAME
    assert SerialDeframer().feed(REAL_FRAME) == [Frame(apdu)]


def test_dle_in_the_apdu_is_doubled_and_the_crc_covers_the_unstuffed_bytes() -> None:
    apdu = hx("04 0F 03 0B 10 10")
    frame = encode_frame(apdu)
    assert frame[2:-4] == hx("04 0F 03 0B 10 10 10 10")
    assert frame[-2:] == crc16_kermit(apdu + b"\x03").to_bytes(2, "little")
    assert SerialDeframer().feed(frame) == [Frame(apdu)]


def test_lone_ack_and_nak_bytes_are_link_events_and_noise_is_counted() -> None:
    deframer = SerialDeframer()
    events = deframer.feed(bytes((ACK, 0x55, NAK)) + REAL_FRAME)
    assert events == [LinkAck(), LinkNak(), Frame(REAL_FRAME[2:-4])]
    assert deframer.noise_bytes == 1


def test_frame_with_a_wrong_crc_is_a_bad_frame() -> None:
    spoiled = REAL_FRAME[:-1] + b"\x00"
    events = SerialDeframer().feed(spoiled)
    assert len(events) == 1
    assert isinstance(events[0], BadFrame)
    assert "CRC" in events[0].reason


def test_dle_followed_by_a_stray_byte_inside_a_frame_is_a_bad_frame() -> None:
    events = SerialDeframer().feed(hx("10 02 06 0F 10 41 00") + REAL_FRAME)
    assert isinstance(events[0], BadFrame)
    assert events[1:] == [Frame(REAL_FRAME[2:-4])]


def test_frame_restarted_by_dle_stx_loses_the_first_and_keeps_the_second() -> None:
    events = SerialDeframer().feed(hx("10 02 06 0F") + REAL_FRAME)
    assert isinstance(events[0], BadFrame)
    assert events[1:] == [Frame(REAL_FRAME[2:-4])]


def test_partial_frame_is_dropped_by_reset() -> None:
    deframer = SerialDeframer()
    assert deframer.feed(REAL_FRAME[:7]) == []
    assert deframer.in_frame
    assert isinstance(deframer.reset(), BadFrame)
    assert deframer.feed(REAL_FRAME) == [Frame(REAL_FRAME[2:-4])]


def _apdus() -> st.SearchStrategy[bytes]:
    return st.builds(
        codec.encode_apdu, st.integers(0, 255), st.integers(0, 255), st.binary(max_size=80)
    )


@given(st.lists(_apdus(), max_size=6), st.lists(st.integers(1, 17), min_size=1, max_size=30))
def test_frames_survive_any_chunking(apdus: list[bytes], cuts: list[int]) -> None:
    stream = b"".join(encode_frame(a) for a in apdus)
    deframer = SerialDeframer()
    events: list[object] = []
    pos = 0
    i = 0
    while pos < len(stream):
        step = cuts[i % len(cuts)]
        events += deframer.feed(stream[pos : pos + step])
        pos += step
        i += 1
    assert events == [Frame(a) for a in apdus]


@given(st.binary(max_size=500))
def test_serial_deframer_takes_any_bytes_without_raising(data: bytes) -> None:
    events = SerialDeframer().feed(data)
    assert all(isinstance(e, Frame | BadFrame | LinkAck | LinkNak) for e in events)


@given(st.lists(_apdus(), max_size=6), st.integers(1, 13))
def test_tcp_stream_is_cut_into_the_same_apdus(apdus: list[bytes], step: int) -> None:
    stream = b"".join(apdus)
    splitter = ApduSplitter()
    out: list[bytes] = []
    for pos in range(0, len(stream), step):
        out += splitter.feed(stream[pos : pos + step])
    assert out == apdus
    assert splitter.pending == 0


@given(st.binary(max_size=500))
def test_tcp_splitter_takes_any_bytes_without_raising(data: bytes) -> None:
    out = ApduSplitter().feed(data)
    assert b"".join(out) == data[: sum(len(a) for a in out)]


# --- channels over a real socket pair -----------------------------------------------------


class SocketPipe:
    """One end of a socketpair as a byte pipe (what the channel needs of a transport)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.sent = bytearray()

    def read(self, max_bytes: int, timeout: float) -> bytes:
        self.sock.settimeout(max(timeout, 0.001))
        try:
            return self.sock.recv(max_bytes)
        except TimeoutError:
            return b""

    def write(self, data: bytes) -> None:
        self.sent += data
        try:
            self.sock.sendall(data)
        except OSError as exc:
            raise TransportIOError(str(exc)) from exc


@pytest.fixture
def pipes() -> Iterator[tuple[SocketPipe, SocketPipe]]:
    a, b = socket.socketpair()
    try:
        yield SocketPipe(a), SocketPipe(b)
    finally:
        a.close()
        b.close()


FAST = LinkTimeouts(serial_ack_s=0.2, serial_char_s=0.1, serial_tries=3)


def test_serial_channels_exchange_apdus_with_ack(pipes: tuple[SocketPipe, SocketPipe]) -> None:
    ecr = ZvtChannel(pipes[0], serial=True, timeouts=FAST)
    terminal = ZvtChannel(pipes[1], serial=True, timeouts=FAST)
    received: list[bytes | None] = []
    reader = threading.Thread(target=lambda: received.append(terminal.receive(2.0)))
    reader.start()
    ecr.send(hx("06 01 03 04 10 10"))
    reader.join()
    assert received == [hx("06 01 03 04 10 10")]
    assert pipes[1].sent == bytes((ACK,))


def test_serial_sender_resends_after_nak(pipes: tuple[SocketPipe, SocketPipe]) -> None:
    ecr_pipe, terminal_pipe = pipes
    ecr = ZvtChannel(ecr_pipe, serial=True, timeouts=FAST)
    terminal = ZvtChannel(terminal_pipe, serial=True, timeouts=FAST)
    received: list[bytes | None] = []
    reader = threading.Thread(target=lambda: received.append(terminal.receive(2.0)))
    reader.start()
    ecr.send(hx("80 00 00"), corrupt_first=True)  # first CRC spoiled: NAK, then resent
    reader.join()
    assert received == [hx("80 00 00")]
    assert terminal.counters.naks_sent == 1
    assert ecr.counters.retransmissions == 1
    assert bytes(terminal_pipe.sent) == bytes((NAK, ACK))


def test_serial_sender_gives_up_after_bounded_tries(pipes: tuple[SocketPipe, SocketPipe]) -> None:
    ecr = ZvtChannel(pipes[0], serial=True, timeouts=FAST)
    with pytest.raises(ZvtLinkError, match="not acknowledged after 3 tries"):
        ecr.send(hx("06 B0 00"))  # nobody answers on the other end
    assert pipes[1].sock.recv(4096).count(encode_frame(hx("06 B0 00"))) == 3


def test_serial_receiver_naks_a_frame_cut_short(pipes: tuple[SocketPipe, SocketPipe]) -> None:
    terminal = ZvtChannel(pipes[1], serial=True, timeouts=FAST)
    pipes[0].sock.sendall(REAL_FRAME[:6])  # the rest never comes
    assert terminal.receive(0.5) is None
    assert pipes[0].sock.recv(16) == bytes((NAK,))
    assert terminal.counters.bad_frames == 1


def test_tcp_channel_sends_raw_apdus(pipes: tuple[SocketPipe, SocketPipe]) -> None:
    ecr = ZvtChannel(pipes[0], serial=False)
    terminal = ZvtChannel(pipes[1], serial=False)
    ecr.send(hx("06 00 00"))
    ecr.send(hx("06 02 00"))
    assert terminal.receive(1.0) == hx("06 00 00")
    assert terminal.receive(1.0) == hx("06 02 00")
    assert terminal.receive(0.0) is None
    assert bytes(pipes[0].sent) == hx("06 00 00 06 02 00")


def test_channel_reports_a_broken_stream_as_a_link_error(
    pipes: tuple[SocketPipe, SocketPipe],
) -> None:
    ecr = ZvtChannel(pipes[0], serial=False)
    pipes[1].sock.close()
    pipes[0].sock.close()
    with pytest.raises(ZvtLinkError):
        ecr.send(hx("06 00 00"))
