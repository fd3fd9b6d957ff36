"""The transport factory: URL parsing, real pty/TCP/file streams, reconnection, health."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.errors import (
    DriverError,
    TransportClosed,
    TransportDisconnected,
    TransportOpenError,
    TransportUrlError,
)
from drivers.simlink import PtyLink, TcpLink
from drivers.transport import (
    Backoff,
    FileSpec,
    ReconnectingTransport,
    SerialSpec,
    TcpSpec,
    Transport,
    UsbSpec,
    drain_input,
    open_transport,
    parse_transport_url,
    with_serial_defaults,
)
from tests.drivers.fdcheck import no_fd_leaks  # noqa: F401 - fixture

pytestmark = pytest.mark.usefixtures("no_fd_leaks")


def read_exactly(transport: Transport, n: int, *, attempts: int = 100) -> bytes:
    """Read until n bytes arrived (bounded: 100 reads of at most 0.05 s)."""
    data = b""
    for _ in range(attempts):
        data += transport.read(n - len(data), 0.05)
        if len(data) >= n:
            return data
    return data


def disconnect_noticed(transport: Transport) -> bool:
    """Read until the transport reports the lost device (bounded)."""
    for _ in range(100):
        try:
            transport.read(1, 0.05)
        except TransportDisconnected:
            return True
    return False


# --- parsing --------------------------------------------------------------------------


def test_serial_url_options_become_line_settings() -> None:
    spec = parse_transport_url("serial:///dev/ttyUSB0?baudrate=9600&bytesize=7&parity=E&stopbits=1")
    assert spec == SerialSpec(
        url="serial:///dev/ttyUSB0?baudrate=9600&bytesize=7&parity=E&stopbits=1",
        path="/dev/ttyUSB0",
        baudrate=9600,
        bytesize=7,
        parity="E",
        stopbits=1.0,
    )


def test_pty_url_and_plain_device_path_are_serial_specs() -> None:
    pty = parse_transport_url("pty:///dev/pts/7")
    plain = parse_transport_url("/tmp/kiosk-sim-x/scanner")
    assert isinstance(pty, SerialSpec)
    assert pty.path == "/dev/pts/7"
    assert isinstance(plain, SerialSpec)
    assert plain.path == "/tmp/kiosk-sim-x/scanner"
    assert (pty.baudrate, pty.bytesize, pty.parity) == (9600, 8, "N")


def test_tcp_url_gives_host_and_port_including_ipv6() -> None:
    assert parse_transport_url("tcp://192.0.2.10:9100") == TcpSpec(
        "tcp://192.0.2.10:9100", "192.0.2.10", 9100
    )
    spec = parse_transport_url("tcp://[::1]:4001")
    assert isinstance(spec, TcpSpec)
    assert (spec.host, spec.port) == ("::1", 4001)


def test_file_and_usb_urls_parse() -> None:
    assert parse_transport_url("file:///var/tmp/r.escpos") == FileSpec(
        "file:///var/tmp/r.escpos", "/var/tmp/r.escpos"
    )
    usb = parse_transport_url("usb://04b8:0e15?interface=1&in_ep=0x82&out_ep=0x01&serial=AB12")
    assert usb == UsbSpec(
        url="usb://04b8:0e15?interface=1&in_ep=0x82&out_ep=0x01&serial=AB12",
        vendor_id=0x04B8,
        product_id=0x0E15,
        serial_number="AB12",
        interface=1,
        in_endpoint=0x82,
        out_endpoint=0x01,
    )


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("", "empty"),
        ("ftp://host/x", "unknown scheme"),
        ("serial://dev/ttyUSB0", "three slashes"),
        ("serial:///dev/ttyUSB0?baudrate=fast", "not an integer"),
        ("serial:///dev/ttyUSB0?baudrate=10", "out of range"),
        ("serial:///dev/ttyUSB0?bytesize=9", "out of range"),
        ("serial:///dev/ttyUSB0?parity=X", "parity"),
        ("serial:///dev/ttyUSB0?stopbits=3", "stopbits"),
        ("serial:///dev/ttyUSB0?speed=9600", "unknown option 'speed'"),
        ("serial:///dev/ttyUSB0?baudrate=9600&baudrate=4800", "given twice"),
        ("serial:///dev/ttyUSB0?rtscts=maybe", "boolean"),
        ("serial:///", "no device path"),
        ("tcp://printer", "no port"),
        ("tcp://printer:70000", "port"),
        ("tcp://:9100", "no host"),
        ("tcp://printer:9100/x", "no path"),
        ("file://relative/x", "absolute path"),
        ("usb://04b8", "VID:PID"),
        ("usb://04bg:0202", "hex"),
        ("usb://04b8:0202?in_ep=0x01", "out of range"),
        ("tcp://[", "not a URL"),
    ],
)
def test_bad_url_raises_typed_error_naming_url_and_problem(url: str, problem: str) -> None:
    with pytest.raises(TransportUrlError) as err:
        parse_transport_url(url)
    assert problem in str(err.value)
    assert repr(url) in str(err.value)
    assert isinstance(err.value, DriverError)


@given(st.text(max_size=80))
def test_any_text_either_parses_or_raises_the_typed_url_error(url: str) -> None:
    try:
        spec = parse_transport_url(url)
    except TransportUrlError:
        return
    assert spec.url == url.strip()


def test_serial_defaults_fill_only_missing_options() -> None:
    assert (
        with_serial_defaults("serial:///dev/ttyS0?parity=N", bytesize=7, parity="E")
        == "serial:///dev/ttyS0?parity=N&bytesize=7"
    )
    assert with_serial_defaults("tcp://h:1", bytesize=7) == "tcp://h:1"


# --- real streams ------------------------------------------------------------------------


def test_pty_stream_carries_bytes_both_ways_and_counts_them() -> None:
    link = PtyLink("dev")
    try:
        transport = open_transport(link.url)
        try:
            assert link.write(b"\x02hello\r")
            assert read_exactly(transport, 7) == b"\x02hello\r"
            transport.write(b"W")
            assert link.read(16, 2.0) == b"W"
            health = transport.health()
            assert (health.connected, health.bytes_in, health.bytes_out) == (True, 7, 1)
        finally:
            transport.close()
    finally:
        link.close()


def test_pty_ignores_line_settings_a_pty_cannot_have() -> None:
    link = PtyLink("scale")
    try:
        transport = open_transport(f"{link.url}?bytesize=7&parity=E", reconnect=False)
        try:
            link.write(b"x")
            assert read_exactly(transport, 1) == b"x"
        finally:
            transport.close()
    finally:
        link.close()


def test_tcp_stream_round_trip() -> None:
    link = TcpLink()
    try:
        transport = open_transport(link.url, reconnect=False)
        try:
            transport.write(b"ping")
            got = b""
            for _ in range(50):
                got += link.read(16, 0.05)
                if got:
                    break
            assert got == b"ping"
            assert link.write(b"pong")
            assert read_exactly(transport, 4) == b"pong"
        finally:
            transport.close()
    finally:
        link.close()


def test_file_transport_appends_writes_and_replays_content(tmp_path: Path) -> None:
    path = tmp_path / "receipt.escpos"
    path.write_bytes(b"old")
    transport = open_transport(f"file://{path}", reconnect=False)
    try:
        transport.write(b"\x1b@new")
        assert read_exactly(transport, 8, attempts=3) == b"old\x1b@new"
        assert transport.read(16, 0.0) == b""  # end of file is "nothing arrived"
    finally:
        transport.close()
    assert path.read_bytes() == b"old\x1b@new"


def test_closed_transport_refuses_io() -> None:
    link = TcpLink()
    try:
        transport = open_transport(link.url)
        transport.close()
        with pytest.raises(TransportClosed):
            transport.read(1, 0.0)
        with pytest.raises(TransportClosed):
            transport.write(b"x")
    finally:
        link.close()


def test_drain_input_discards_waiting_bytes_without_blocking() -> None:
    link = PtyLink("dev")
    try:
        transport = open_transport(link.url)
        try:
            link.write(b"stale answer")
            assert read_exactly(transport, 1) == b"s"
            assert drain_input(transport) == len(b"tale answer")
            assert transport.read(16, 0.0) == b""
        finally:
            transport.close()
    finally:
        link.close()


# --- absent devices and reconnection --------------------------------------------------------


def test_absent_device_is_reported_in_health_not_raised(tmp_path: Path) -> None:
    url = f"pty://{tmp_path}/not-plugged-in"
    transport = open_transport(url, backoff=Backoff(initial=0.01, maximum=0.05))
    try:
        health = transport.health()
        assert not health.connected
        assert "not-plugged-in" in (health.last_error or "")
        with pytest.raises(TransportDisconnected, match="not-plugged-in"):
            transport.read(1, 0.05)
        with pytest.raises(TransportDisconnected):
            transport.write(b"x")
    finally:
        transport.close()


def test_absent_device_raises_open_error_without_reconnect(tmp_path: Path) -> None:
    with pytest.raises(TransportOpenError, match="not-plugged-in"):
        open_transport(f"serial://{tmp_path}/not-plugged-in", reconnect=False)


def test_usb_url_open_fails_with_typed_error_naming_the_device() -> None:
    # pyusb is optional: without it (or without the device) the open fails clearly.
    with pytest.raises(TransportOpenError, match="04b8"):
        open_transport("usb://04b8:0202", reconnect=False)


def test_tcp_cable_pull_reconnects_and_health_counts_it() -> None:
    link = TcpLink()
    try:
        transport = open_transport(link.url, backoff=Backoff(initial=0.01, maximum=0.05))
        try:
            assert link.write(b"a")
            assert read_exactly(transport, 1) == b"a"
            link.unplug()
            assert disconnect_noticed(transport)
            assert not transport.health().connected
            link.plug()
            data = b""
            for _ in range(100):  # bounded; the next attempt is due within 50 ms
                try:
                    link.write(b"b")  # accepts the driver's new connection, then sends
                    data += transport.read(1, 0.05)
                except TransportDisconnected:
                    continue
                if data:
                    break
            assert data.startswith(b"b")
            health = transport.health()
            assert health.connected
            assert health.reconnects == 1
            assert "closed" in (health.last_error or "")
        finally:
            transport.close()
    finally:
        link.close()


def test_pty_replugged_behind_same_path_reconnects() -> None:
    link = PtyLink("usb-serial")
    try:
        transport = open_transport(link.url, backoff=Backoff(initial=0.01, maximum=0.05))
        try:
            link.unplug()
            assert disconnect_noticed(transport)
            link.plug()
            data = b""
            for _ in range(100):
                try:
                    if transport.health().connected and not data:
                        link.write(b"back")
                    data += transport.read(16, 0.05)
                except TransportDisconnected:
                    continue
                if data == b"back":
                    break
            assert data == b"back"
            assert transport.health().reconnects == 1
        finally:
            transport.close()
    finally:
        link.close()


def test_reconnect_attempts_back_off_exponentially_up_to_the_bound() -> None:
    now = [0.0]
    attempts: list[float] = []

    def opener() -> Transport:
        attempts.append(now[0])
        raise TransportOpenError("no device")

    transport = ReconnectingTransport(
        "test://x",
        opener,
        backoff=Backoff(initial=1.0, maximum=4.0, factor=2.0),
        clock=lambda: now[0],
    )
    try:
        while now[0] < 16.0:
            with pytest.raises(TransportDisconnected):
                transport.read(1, 0.0)
            now[0] += 0.5
        assert attempts == [0.0, 1.0, 3.0, 7.0, 11.0, 15.0]
    finally:
        transport.close()


def test_reconnecting_transport_counts_only_reconnections_not_the_first_open() -> None:
    link = TcpLink()
    try:
        transport = open_transport(link.url)
        try:
            assert transport.health().reconnects == 0
            assert transport.health().connected
        finally:
            transport.close()
    finally:
        link.close()
