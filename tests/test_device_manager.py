"""The device manager against the real simulators over ptys and TCP sockets."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import zxingcpp

from drivers.camera.synthetic import barcode_image, blank_frame, frame_with, write_video
from drivers.printer.escpos_printer import PrinterHealth
from drivers.printer.sim import PtyPrinterSimulator, TcpPrinterSimulator
from drivers.printer.status import Readiness
from drivers.scale import ScaleStatus, Weight
from drivers.scale.sim import ScaleModel, SicsSimulator, Toledo8217Simulator
from drivers.scanner import Scan
from drivers.scanner.sim import ScannerSimulator
from drivers.simlink import PtyLink, TcpLink
from kiosk.device_config import (
    CameraConfig,
    DevicesConfig,
    PrinterConfig,
    ScaleConfig,
    ScannerConfig,
)
from kiosk.device_health import DeviceState, describe_weight, printer_reading
from kiosk.device_manager import DeviceManager
from tests.drivers.fdcheck import no_fd_leaks  # noqa: F401 - fixture
from tests.drivers.waiting import wait_until

pytestmark = pytest.mark.usefixtures("no_fd_leaks")

CODE = "6901234567892"


def scanner(role: str, url: str) -> ScannerConfig:
    return ScannerConfig(role, "serial-scanner", url, "datalogic")


def next_scan_from(
    manager: DeviceManager, sim: ScannerSimulator, role: str, code: str
) -> Scan | None:
    """Scan `code` until the manager delivers a read from `role` (bounded).

    A read sent in the moment the driver connects may be dropped as the tail of an
    earlier one (the driver's guard), so the simulated shopper scans again, as a real
    one would."""
    for _ in range(20):
        sim.scan(code, "]E0")
        sim.wait_idle(2.0)
        scan = manager.next_scan(0.5)
        while scan is not None:
            if scan.source == role:
                return scan
            scan = manager.next_scan(0.05)
    return None


@dataclass
class Rig:
    """A scanner (pty), a printer (TCP), an MT-SICS scale (pty) and a Toledo scale (TCP)."""

    scanner: ScannerSimulator
    printer: TcpPrinterSimulator
    produce: SicsSimulator
    bagging: Toledo8217Simulator

    def config(self) -> DevicesConfig:
        return DevicesConfig(
            main_scanner=scanner("main_scanner", self.scanner.url),
            receipt_printer=PrinterConfig("receipt_printer", "escpos", self.printer.url),
            produce_scale=ScaleConfig("produce_scale", "mt-sics", self.produce.url, poll_ms=50),
            bagging_scale=ScaleConfig("bagging_scale", "toledo8217", self.bagging.url, poll_ms=50),
        )


@pytest.fixture
def rig() -> Iterator[Rig]:
    with (
        ScannerSimulator(PtyLink("scanner"), gap_s=0.0) as scanner_sim,
        TcpPrinterSimulator() as printer,
        SicsSimulator(PtyLink("produce"), ScaleModel()) as produce,
        Toledo8217Simulator(TcpLink(), ScaleModel()) as bagging,
    ):
        yield Rig(scanner_sim, printer, produce, bagging)


def test_snapshot_before_start_lists_the_roles_as_stopped() -> None:
    config = DevicesConfig(main_scanner=scanner("main_scanner", "/dev/ttyACM9"))
    manager = DeviceManager(config)
    health = manager.snapshot()
    assert list(health) == ["main_scanner"]
    assert health["main_scanner"].state is DeviceState.STOPPED
    assert not health["main_scanner"].connected
    manager.stop()  # stopping a manager that never started is harmless


def test_every_device_connects_and_reports_health(rig: Rig) -> None:
    rig.produce.model.place(1250, settle_steps=2)
    with DeviceManager(rig.config(), status_interval_s=0.05) as manager:
        assert manager.wait_started(10)
        assert manager.wait_connected(10)
        assert wait_until(
            lambda: manager.snapshot()["produce_scale"].detail == "1250 g, stable", 10
        )
        health = manager.snapshot()
    assert list(health) == ["main_scanner", "receipt_printer", "produce_scale", "bagging_scale"]
    for device in health.values():
        assert device.state is DeviceState.RUNNING
        assert device.fault is None
        assert not device.simulated
    assert health["receipt_printer"].detail == "ready"
    assert health["receipt_printer"].counters["status_queries"] >= 4
    assert health["bagging_scale"].detail == "0 g, stable"
    assert health["bagging_scale"].counters["readings"] >= 1
    assert health["bagging_scale"].url.startswith("tcp://127.0.0.1:")


def test_scans_from_every_scanner_and_the_camera_arrive_on_one_queue(tmp_path: Path) -> None:
    image = barcode_image("4006381333931", zxingcpp.BarcodeFormat.EAN13, scale=2)
    video = write_video(tmp_path / "camera.avi", [blank_frame()] * 3 + [frame_with(image)] * 5)
    with (
        ScannerSimulator(PtyLink("main"), gap_s=0.0) as main,
        ScannerSimulator(TcpLink(), gap_s=0.0) as hand,
    ):
        config = DevicesConfig(
            main_scanner=scanner("main_scanner", main.url),
            hand_scanner=scanner("hand_scanner", hand.url),
            camera=CameraConfig("camera", "camera", f"file://{video}", max_fps=30),
        )
        with DeviceManager(config) as manager:
            assert manager.wait_started(10)
            assert wait_until(lambda: manager.snapshot()["hand_scanner"].connected, 10)
            camera_scan = manager.next_scan(10)
            from_main = next_scan_from(manager, main, "main_scanner", CODE)
            from_hand = next_scan_from(manager, hand, "hand_scanner", "4006381333931")
            assert wait_until(lambda: manager.snapshot()["camera"].state is DeviceState.STOPPED)
            camera = manager.snapshot()["camera"]
    assert camera_scan is not None
    assert (camera_scan.source, camera_scan.data, camera_scan.symbology) == (
        "camera",
        "4006381333931",
        "]E0",
    )
    assert from_main is not None
    assert (from_main.data, from_main.symbology) == (CODE, "]E0")
    assert from_hand is not None
    assert from_hand.data == "4006381333931"
    assert camera.detail.endswith("video ended")
    assert camera.counters["scans"] == 1


def test_an_unplugged_scanner_and_scale_show_in_health_and_recover(
    rig: Rig,
) -> None:
    scanner_sim, scale_sim = rig.scanner, rig.produce
    with DeviceManager(rig.config(), status_interval_s=0.05) as manager:
        assert manager.wait_connected(10)
        scanner_sim.link.unplug()
        scale_sim.link.unplug()
        assert wait_until(lambda: not manager.snapshot()["main_scanner"].connected, 10)
        assert wait_until(lambda: not manager.snapshot()["produce_scale"].connected, 10)
        unplugged = manager.snapshot()
        scanner_sim.link.plug()
        scale_sim.link.plug()
        assert wait_until(lambda: manager.snapshot()["main_scanner"].connected, 10)
        assert wait_until(lambda: manager.snapshot()["produce_scale"].connected, 10)
        replugged = manager.snapshot()
        assert next_scan_from(manager, scanner_sim, "main_scanner", CODE) is not None
    assert unplugged["main_scanner"].last_error
    assert unplugged["main_scanner"].state is DeviceState.RUNNING  # it keeps trying
    assert unplugged["produce_scale"].detail == "not answering"
    assert unplugged["receipt_printer"].connected  # the others are not affected
    assert replugged["main_scanner"].counters["reconnects"] >= 1
    assert replugged["produce_scale"].counters["reconnects"] >= 1


def test_printer_out_of_paper_and_scale_overload_show_as_faults(
    rig: Rig,
) -> None:
    printer_sim, scale_sim = rig.printer, rig.bagging
    with DeviceManager(rig.config(), status_interval_s=0.05) as manager:
        assert manager.wait_connected(10)
        printer_sim.set_faults(paper_end=True)
        scale_sim.model.place(20_000)
        assert wait_until(lambda: manager.snapshot()["receipt_printer"].fault is not None, 10)
        assert wait_until(lambda: manager.snapshot()["bagging_scale"].fault is not None, 10)
        health = manager.snapshot()
    printer = health["receipt_printer"]
    assert printer.fault == "paper_end: paper roll is empty: load a new roll"
    assert printer.connected  # it answers: the fault is the paper, not the link
    assert health["bagging_scale"].fault == "overload (status 0x02: over capacity)"


def test_a_silent_printer_is_not_connected() -> None:
    with PtyPrinterSimulator() as sim:
        sim.set_faults(silent=True)
        config = DevicesConfig(
            receipt_printer=PrinterConfig(
                "receipt_printer", "escpos", sim.url, status_timeout_ms=50
            )
        )
        with DeviceManager(config, status_interval_s=0.05) as manager:
            assert manager.wait_started(10)
            health = manager.snapshot()["receipt_printer"]
    assert not health.connected
    assert health.fault is not None
    assert health.fault.startswith("no_answer: printer at ")


def test_a_device_that_cannot_be_opened_fails_in_health_and_the_others_run(
    rig: Rig, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("", encoding="utf-8")
    with DeviceManager(rig.config(), spool=blocker / "spool.db") as manager:
        assert manager.wait_started(10)
        assert wait_until(lambda: manager.snapshot()["bagging_scale"].connected, 10)
        health = manager.snapshot()
        assert manager.printer is None
    printer = health["receipt_printer"]
    assert printer.state is DeviceState.FAILED
    assert not printer.connected
    assert printer.last_error is not None
    assert printer.last_error.startswith(f"escpos at {printer.url} did not start: ")
    assert health["main_scanner"].state is DeviceState.RUNNING


def test_an_absent_device_is_reported_not_raised() -> None:
    config = DevicesConfig(main_scanner=scanner("main_scanner", "/dev/kiosk-no-such-tty"))
    with DeviceManager(config) as manager:
        assert manager.wait_started(10)
        assert not manager.wait_connected(0.2)
        health = manager.snapshot()["main_scanner"]
    assert health.state is DeviceState.RUNNING
    assert not health.connected
    assert health.last_error is not None
    assert "/dev/kiosk-no-such-tty" in health.last_error


def test_simulate_starts_the_simulators_and_points_the_roles_at_them() -> None:
    with DeviceManager(DevicesConfig(), simulate=True, status_interval_s=0.05) as manager:
        assert manager.wait_connected(10)
        health = manager.snapshot()
        sim = manager.simulator("main_scanner")
        assert isinstance(sim, ScannerSimulator)
        scan = next_scan_from(manager, sim, "main_scanner", CODE)
        produce = manager.scale("produce_scale")
        assert produce is not None
        weight = produce.read_stable(5)
        paths = [h.url.removeprefix("pty://") for h in health.values()]
        assert all(Path(p).is_symlink() for p in paths)
    assert {role: h.driver for role, h in health.items()} == {
        "main_scanner": "serial-scanner",
        "receipt_printer": "escpos",
        "produce_scale": "mt-sics",
        "bagging_scale": "toledo8217",
    }
    assert all(h.simulated and h.connected for h in health.values())
    assert scan is not None
    assert scan.data == CODE
    assert weight.grams == 0
    assert not any(Path(p).exists() for p in paths)  # the simulators cleaned up


def test_simulate_keeps_configured_drivers_and_runs_an_hid_scanner_as_serial() -> None:
    config = DevicesConfig(
        simulate=True,
        hand_scanner=ScannerConfig("hand_scanner", "hid-scanner", "hid://0c2e:0b61"),
        bagging_scale=ScaleConfig("bagging_scale", "mt-sics", "serial:///dev/ttyUSB1"),
    )
    with DeviceManager(config) as manager:
        assert manager.wait_connected(10)
        roles = manager.roles
        assert manager.simulate_scan("hand_scanner", CODE)
        assert not manager.simulate_scan("receipt_printer", CODE)
    assert roles["hand_scanner"].driver == "serial-scanner"
    assert roles["bagging_scale"].driver == "mt-sics"
    assert roles["bagging_scale"].url.startswith("pty://")
    assert "main_scanner" in roles


def test_weights_from_both_scales_arrive_on_one_queue_by_role(rig: Rig) -> None:
    rig.produce.model.place(455)
    with DeviceManager(rig.config()) as manager:
        assert manager.wait_connected(10)
        seen: dict[str, int | None] = {}
        for _ in range(100):
            weight = manager.weights.get(timeout=5)
            seen.setdefault(weight.source, weight.grams)
            if len(seen) == 2:
                break
    assert seen == {"produce_scale": 455, "bagging_scale": 0}


def test_disabled_scanners_drop_reads_until_enabled(rig: Rig) -> None:
    sim = rig.scanner
    with DeviceManager(rig.config()) as manager:
        assert manager.wait_connected(10)
        manager.disable_scanners()
        assert wait_until(lambda: not sim.enabled, 10)  # the datalogic 'D' command arrived
        sim.scan(CODE)
        assert sim.wait_idle(5)
        manager.enable_scanners()
        assert wait_until(lambda: sim.enabled, 10)
        scan = next_scan_from(manager, sim, "main_scanner", "4006381333931")
    assert sim.dropped_while_disabled == [CODE]
    assert scan is not None
    assert scan.data == "4006381333931"


@pytest.mark.parametrize(
    ("grams", "stable", "expected"),
    [(1250, True, "1250 g, stable"), (1240, False, "1240 g, in motion")],
)
def test_weights_are_described_for_a_technician(grams: int, stable: bool, expected: str) -> None:
    assert describe_weight(Weight(grams, stable, ScaleStatus.OK, 0.0)) == expected
    assert describe_weight(Weight(None, False, ScaleStatus.OVERLOAD, 0.0)) == "overload"
    assert describe_weight(None) == "no reading yet"


def test_printer_health_shows_warnings_and_waiting_jobs() -> None:
    health = PrinterHealth(
        url="tcp://10.0.0.9:9100",
        connected=True,
        last_error=None,
        last_status=None,
        jobs_printed=3,
        jobs_pending=2,
        jobs_stuck=1,
        print_failures=4,
        status_queries=40,
        no_answers=0,
        invalid_answers=0,
        reconnects=0,
        bytes_out=900,
    )
    near_end = Readiness(ok=True, warnings=("paper near end: replace the roll soon",))
    reading = printer_reading(health, near_end)
    assert reading.detail == (
        "ready; paper near end: replace the roll soon; 2 job(s) waiting, 1 stuck"
    )
    assert reading.fault is None
    assert reading.counters["jobs_stuck"] == 1
    assert printer_reading(health, None).detail.startswith("status not asked yet")
