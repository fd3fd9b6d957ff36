"""The printer simulator speaks ESC/POS status bytes on a real pty and TCP socket."""

from __future__ import annotations

import itertools
import os
import select
import socket
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.printer.errors import InvalidStatusByte
from drivers.printer.sim import (
    GARBAGE_REPLY,
    Faults,
    PrinterModel,
    PtyPrinterSimulator,
    TcpPrinterSimulator,
)
from drivers.printer.status import STATUS_REQUESTS, PrinterStatus

ALL_REQUESTS = b"".join(STATUS_REQUESTS[n] for n in (1, 2, 3, 4))


def status_of(model: PrinterModel) -> PrinterStatus:
    return PrinterStatus.from_bytes(model.feed(ALL_REQUESTS))


def test_healthy_model_answers_fixed_bits_only() -> None:
    assert PrinterModel().feed(ALL_REQUESTS) == bytes([0x12, 0x12, 0x12, 0x12])


@pytest.mark.parametrize(
    ("fault", "check"),
    [
        ("paper_end", lambda s: s.paper_end and s.paper_near_end and not s.online),
        ("paper_near_end", lambda s: s.paper_near_end and not s.paper_end and s.online),
        ("cover_open", lambda s: s.cover_open and not s.online),
        ("offline", lambda s: not s.online and not s.cover_open and not s.paper_end),
        ("cutter_jam", lambda s: s.cutter_error and s.offline_cause.error and not s.online),
        ("unrecoverable", lambda s: s.unrecoverable_error and not s.online),
        ("auto_recoverable", lambda s: s.auto_recoverable_error and not s.online),
        ("feed_button", lambda s: s.feed_button and not s.online),
    ],
)
def test_each_fault_is_answered_with_its_status_bits(fault: str, check: object) -> None:
    model = PrinterModel()
    model.set_faults(**{fault: True})
    assert callable(check)
    assert check(status_of(model))


def test_silent_printer_records_requests_but_answers_nothing() -> None:
    model = PrinterModel()
    model.set_faults(silent=True)
    assert model.feed(ALL_REQUESTS) == b""
    assert model.status_requests == 4
    assert bytes(model.received) == ALL_REQUESTS


def test_garbage_mode_answers_a_byte_the_parser_rejects() -> None:
    model = PrinterModel()
    model.set_faults(garbage=True)
    reply = model.feed(STATUS_REQUESTS[1])
    assert reply == bytes([GARBAGE_REPLY])
    with pytest.raises(InvalidStatusByte):
        PrinterStatus.from_bytes(reply * 4)


def test_status_request_split_across_reads_is_still_answered() -> None:
    model = PrinterModel()
    assert model.feed(b"AB\x10") == b""
    assert model.feed(b"\x04") == b""
    assert model.feed(b"\x04CD") == b"\x12"
    assert bytes(model.printed) == b"ABCD"
    assert bytes(model.received) == b"AB\x10\x04\x04CD"


def test_dle_not_followed_by_eot_is_print_data() -> None:
    model = PrinterModel()
    assert model.feed(b"\x10\x05\x01X\x10\x04\x09") == b""
    assert bytes(model.printed) == b"\x10\x05\x01X\x10\x04\x09"


def test_data_sent_while_offline_is_not_printed() -> None:
    model = PrinterModel()
    model.set_faults(cover_open=True)
    model.feed(b"lost receipt")
    model.recover()
    model.feed(b"good receipt")
    assert bytes(model.discarded) == b"lost receipt"
    assert bytes(model.printed) == b"good receipt"
    assert model.faults == Faults()


def read_exactly(fd: int, count: int, timeout: float = 2.0) -> bytes:
    deadline = time.monotonic() + timeout
    out = b""
    while len(out) < count:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        out += os.read(fd, count - len(out))
    return out


def test_pty_simulator_answers_status_and_records_print_data() -> None:
    with PtyPrinterSimulator() as sim:
        assert sim.url == f"pty://{sim.path}"
        fd = os.open(sim.path, os.O_RDWR | os.O_NOCTTY)
        try:
            sim.set_faults(paper_end=True)
            os.write(fd, ALL_REQUESTS)
            status = PrinterStatus.from_bytes(read_exactly(fd, 4))
            assert status.paper_end
            sim.recover()
            os.write(fd, b"\x1b@hello\r\n" + STATUS_REQUESTS[1])
            assert read_exactly(fd, 1) == b"\x12"
        finally:
            os.close(fd)
    assert bytes(sim.model.printed) == b"\x1b@hello\r\n"


def recv_exactly(conn: socket.socket, count: int) -> bytes:
    out = b""
    while len(out) < count:
        chunk = conn.recv(count - len(out))
        if not chunk:
            break
        out += chunk
    return out


def test_tcp_simulator_answers_status_and_survives_an_unplugged_cable() -> None:
    with TcpPrinterSimulator() as sim:
        assert sim.port > 0
        assert sim.url == f"tcp://127.0.0.1:{sim.port}"
        with socket.create_connection(("127.0.0.1", sim.port), timeout=2) as conn:
            sim.set_faults(cover_open=True)
            conn.sendall(ALL_REQUESTS)
            assert PrinterStatus.from_bytes(recv_exactly(conn, 4)).cover_open
            sim.unplug()
            assert conn.recv(1) == b""
        sim.plug()
        sim.recover()
        with socket.create_connection(("127.0.0.1", sim.port), timeout=2) as conn:
            conn.sendall(b"receipt" + STATUS_REQUESTS[4])
            assert recv_exactly(conn, 1) == b"\x12"
    assert bytes(sim.model.printed) == b"receipt"


def strip_status_requests(data: bytes) -> tuple[bytes, int]:
    """Reference: the print data and the number of DLE EOT n (n = 1..4) requests."""
    out = bytearray()
    count = 0
    i = 0
    while i < len(data):
        if (
            data[i] == 0x10
            and data[i + 1 : i + 2] == b"\x04"
            and data[i + 2 : i + 3]
            in (
                b"\x01",
                b"\x02",
                b"\x03",
                b"\x04",
            )
        ):
            count += 1
            i += 3
            continue
        out.append(data[i])
        i += 1
    return bytes(out), count


@given(
    st.lists(
        st.one_of(st.binary(max_size=8), st.sampled_from(list(STATUS_REQUESTS.values()))),
        max_size=20,
    ),
    st.lists(st.integers(min_value=1, max_value=7), min_size=1, max_size=10),
)
def test_any_byte_stream_in_any_chunking_answers_each_request_once(
    pieces: list[bytes], cuts: list[int]
) -> None:
    stream = b"".join(pieces)
    model = PrinterModel()
    replies = b""
    i = 0
    for size in itertools.cycle(cuts):
        if i >= len(stream):
            break
        replies += model.feed(stream[i : i + size])
        i += size
    replies += model.feed(b"!")  # settles a trailing DLE or DLE EOT held for more bytes
    expected_print, requests = strip_status_requests(stream + b"!")
    assert replies == b"\x12" * requests
    assert bytes(model.printed) == expected_print
    assert bytes(model.received) == stream + b"!"
