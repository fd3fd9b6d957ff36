"""The serial scanner driver against its simulator over a real pty or TCP socket."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from drivers.errors import TransportUrlError
from drivers.scanner import Scan, SerialScanner, SerialScannerModel
from drivers.scanner.framing import AimMode, Framing
from drivers.scanner.sim import Code, Pause, ScannerSimulator, Step
from drivers.simlink import PtyLink, TcpLink
from drivers.transport import Backoff, open_transport
from tests.drivers.fdcheck import no_fd_leaks  # noqa: F401 - fixture
from tests.drivers.waiting import wait_until

pytestmark = pytest.mark.usefixtures("no_fd_leaks")

FAST = Backoff(initial=0.01, maximum=0.05)
# A short inter-byte timeout keeps the "just (re)connected" guard window short.
DATALOGIC = SerialScannerModel(
    name="datalogic", enable_command=b"E", disable_command=b"D", inter_byte_timeout_s=0.05
)
GENERIC = SerialScannerModel(inter_byte_timeout_s=0.05)


def ready(scanner: SerialScanner) -> bool:
    """Connected, and past the window in which bytes may be an earlier read's tail."""
    connected = wait_until(lambda: scanner.health().connected)
    time.sleep(0.1)  # not an assertion: lets the 50 ms guard window pass
    return connected


@pytest.fixture(params=["pty", "tcp"])
def sim(request: pytest.FixtureRequest) -> Iterator[ScannerSimulator]:
    link = PtyLink("scanner") if request.param == "pty" else TcpLink()
    with ScannerSimulator(link, gap_s=0.0) as simulator:
        yield simulator


def open_scanner(
    sim: ScannerSimulator,
    model: SerialScannerModel | None = None,
    *,
    duplicate_window_s: float = 0.5,
) -> SerialScanner:
    transport = open_transport(sim.url, backoff=FAST)
    return SerialScanner(transport, model=model or DATALOGIC, duplicate_window_s=duplicate_window_s)


def test_scans_arrive_whole_with_symbology_and_source(sim: ScannerSimulator) -> None:
    with open_scanner(sim) as scanner:
        assert ready(scanner)
        sim.scan("4006381333931", "]E0")
        sim.scan("0104012345678901\x1d10LOT7", "]C1")
        sim.scan("96385074")
        got = [scanner.get(5) for _ in range(3)]
    assert [(s.data, s.symbology) for s in got if s] == [
        ("4006381333931", "]E0"),
        ("0104012345678901\x1d10LOT7", "]C1"),
        ("96385074", None),
    ]
    assert all(isinstance(s, Scan) and s.source == sim.url for s in got)


def test_line_noise_is_rejected_counted_and_never_delivered(sim: ScannerSimulator) -> None:
    with open_scanner(sim) as scanner:
        assert ready(scanner)
        sim.scan("4006381333931")
        sim.noise(b"\x00\xff\x13\x9c\xfe\r\n")
        sim.noise(b"12\x0734\r")
        sim.scan("96385074")
        first, second = scanner.get(5), scanner.get(5)
        assert wait_until(lambda: scanner.health().rejected_frames == 2)
        assert scanner.get(0.1) is None
    assert first is not None
    assert second is not None
    assert (first.data, second.data) == ("4006381333931", "96385074")


def test_partial_frame_is_dropped_after_the_inter_byte_timeout(sim: ScannerSimulator) -> None:
    with open_scanner(sim, GENERIC) as scanner:
        assert ready(scanner)
        sim.partial(b"\x02\x7f")  # a noise burst with no terminator
        assert wait_until(lambda: scanner.health().partial_frames_dropped == 1)
        sim.scan("96385074")
        scan = scanner.get(5)
    assert scan is not None
    assert scan.data == "96385074"


def test_cable_pulled_mid_read_drops_the_partial_and_reconnects(sim: ScannerSimulator) -> None:
    with open_scanner(sim) as scanner:
        assert ready(scanner)
        sim.partial(b"400638")
        sim.unplug(0.2)
        assert wait_until(lambda: scanner.health().reconnects == 1)
        assert ready(scanner)
        sim.scan("96385074")
        scan = scanner.get(5)
        health = scanner.health()
    assert scan is not None
    assert scan.data == "96385074"  # never "40063896385074"
    assert health.partial_frames_dropped == 1
    assert health.transport is not None
    assert health.transport.reconnects == 1
    assert health.last_error


def test_disable_and_enable_are_sent_to_a_model_that_supports_them(
    sim: ScannerSimulator,
) -> None:
    with open_scanner(sim) as scanner:
        assert ready(scanner)
        scanner.disable()
        assert wait_until(lambda: not sim.enabled)
        sim.scan("4006381333931")
        assert sim.wait_idle(5)
        scanner.enable()
        assert wait_until(lambda: sim.enabled)
        sim.scan("96385074")
        scan = scanner.get(5)
    assert sim.dropped_while_disabled == ["4006381333931"]
    assert scan is not None
    assert scan.data == "96385074"
    assert bytes(sim.commands) == b"DE"


def test_replugged_scanner_is_told_again_that_it_is_disabled(sim: ScannerSimulator) -> None:
    with open_scanner(sim) as scanner:
        assert ready(scanner)
        scanner.disable()
        assert wait_until(lambda: not sim.enabled)
        sim.unplug(0.2)  # the scanner power-cycles and comes back enabled
        assert wait_until(lambda: scanner.health().reconnects == 1)
        assert wait_until(lambda: not sim.enabled)
    assert bytes(sim.commands) == b"DD"


def test_model_without_commands_drops_scans_in_software_while_disabled(
    sim: ScannerSimulator,
) -> None:
    with open_scanner(sim, GENERIC) as scanner:
        assert ready(scanner)
        scanner.disable()
        sim.scan("4006381333931")
        assert wait_until(lambda: scanner.health().discarded_while_disabled == 1)
        scanner.enable()
        sim.scan("96385074")
        scan = scanner.get(5)
    assert scan is not None
    assert scan.data == "96385074"
    assert bytes(sim.commands) == b""


def test_double_read_within_the_window_is_suppressed(sim: ScannerSimulator) -> None:
    with open_scanner(sim, duplicate_window_s=60.0) as scanner:
        assert ready(scanner)
        sim.scan("4006381333931")
        sim.scan("4006381333931")
        sim.scan("96385074")
        first, second = scanner.get(5), scanner.get(5)
        health = scanner.health()
    assert first is not None
    assert second is not None
    assert (first.data, second.data) == ("4006381333931", "96385074")
    assert health.duplicates_suppressed == 1


def test_required_aim_prefix_rejects_reads_without_one(sim: ScannerSimulator) -> None:
    model = SerialScannerModel(
        framing=Framing.CRLF, aim=AimMode.REQUIRED, inter_byte_timeout_s=0.05
    )
    with open_scanner(sim, model) as scanner:
        assert ready(scanner)
        sim.scan("4006381333931")  # no prefix: a frame whose start was lost
        sim.scan("96385074", "]E4")
        scan = scanner.get(5)
        health = scanner.health()
    assert scan is not None
    assert (scan.data, scan.symbology) == ("96385074", "]E4")
    assert health.rejected_frames == 1


def test_several_serial_scanners_share_one_event_queue() -> None:
    with (
        ScannerSimulator(PtyLink("a"), gap_s=0.0) as sim_a,
        ScannerSimulator(TcpLink(), gap_s=0.0) as sim_b,
    ):
        scanner_a = SerialScanner(sim_a.url, model=GENERIC, source="checkout")
        scanner_b = SerialScanner(
            sim_b.url, model=GENERIC, source="bagging", events=scanner_a.events
        )
        with scanner_a, scanner_b:
            assert ready(scanner_a)
            assert ready(scanner_b)
            sim_a.scan("4006381333931")
            sim_b.scan("96385074")
            got = {scanner_a.get(5), scanner_a.get(5)}
    assert {(s.source, s.data) for s in got if s} == {
        ("checkout", "4006381333931"),
        ("bagging", "96385074"),
    }


def test_scripted_simulator_types_codes_at_wire_speed() -> None:
    script: list[Step] = [Pause(0.2), Code("4006381333931", "]E0"), Code("96385074")]
    sim = ScannerSimulator(PtyLink("s"), script=script, gap_s=0.01, realtime=True)
    try:
        with SerialScanner(sim.url, model=GENERIC) as scanner:
            sim.start()  # the scanner listens before the shopper starts scanning
            first, second = scanner.get(5), scanner.get(5)
        assert sim.wait_idle(5)
    finally:
        sim.stop()
    assert first is not None
    assert second is not None
    assert [first.data, second.data] == ["4006381333931", "96385074"]
    assert sim.char_time_s == pytest.approx(10 / 9600)


def test_read_in_flight_when_the_port_opens_is_not_delivered_as_a_tail() -> None:
    with ScannerSimulator(PtyLink("s"), gap_s=0.0) as sim:
        transport = open_transport(sim.url, backoff=FAST)
        scanner = SerialScanner(transport, model=SerialScannerModel(inter_byte_timeout_s=0.5))
        with scanner:
            # The port opened while the scanner was sending "]E040063..." and only the
            # end arrives: it must not become a scan.
            sim.noise(b"81333931\r\n")
            assert wait_until(lambda: scanner.health().partial_frames_dropped == 1)
            assert scanner.get(0.05) is None


def test_bad_url_is_refused_at_construction() -> None:
    with pytest.raises(TransportUrlError, match="unknown scheme"):
        SerialScanner("rs232://COM1")


def test_unstarted_scanner_releases_its_transport_on_stop(sim: ScannerSimulator) -> None:
    scanner = SerialScanner(sim.url)
    scanner.stop()
    assert not scanner.health().running
