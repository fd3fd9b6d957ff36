"""`kiosk devices` and `kiosk selftest`: the configured devices, live and exercised.

Both read the `[devices]` table of the kiosk config (`--config`, default
/etc/kiosk/kiosk.toml) and run the devices through the `DeviceManager`, exactly as the
kiosk does; `--simulate` runs the in-repo simulators instead of hardware (issue 4,
"Device manager"; SPEC section 10, technician tools).

- `kiosk devices` lists each role with its driver, URL and live health; exit 0 when
  every device is connected and reports no fault.
- `kiosk selftest` prints a test receipt (after the pre-payment ready check), reads a
  stable weight from each scale and waits for one scan from each scanner and the
  camera (a simulated scanner "reads" a test code), then prints PASS/FAIL per device
  with a reason a technician can act on; exit 0 only if every device passed.

Both open the devices themselves (serial ports exclusively): stop the kiosk service
first, or they report the ports as busy.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO, TypeAlias

from drivers.errors import DriverError
from drivers.scale import ScaleNotStable, ScaleStatus, Weight
from drivers.scanner import Scan
from kiosk.commands.printer import TEST_EAN13, test_receipt
from kiosk.config import load_config
from kiosk.device_config import (
    CAMERA,
    HID_SCANNER,
    ROLES,
    DevicesConfig,
    PrinterConfig,
    ScaleConfig,
)
from kiosk.device_health import DeviceHealth, DeviceState
from kiosk.device_manager import DeviceManager
from kiosk.errors import ConfigError
from kiosk.logging_setup import mask

if TYPE_CHECKING:
    Subparsers: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]

DEFAULT_CONFIG = Path("/etc/kiosk/kiosk.toml")
TEST_SYMBOLOGY = "]E0"  # AIM: EAN-13 (PROTOCOLS.md "Barcode scanners")
START_TIMEOUT_S = 10.0  # opening every driver; each transport bounds its own open
CONNECT_TIMEOUT_S = 3.0  # a device that is plugged in answers well within this
SIM_RESCAN_S = 1.0  # a simulated read cut by the scanner's just-connected guard is re-read


def register(subparsers: Subparsers) -> None:
    devices = subparsers.add_parser(
        "devices", help="list the configured devices with live health (exit 0: all connected)"
    )
    _common_options(devices)
    devices.add_argument(
        "--wait", type=float, default=CONNECT_TIMEOUT_S, help="seconds to wait for devices"
    )
    devices.set_defaults(func=run_devices)

    selftest = subparsers.add_parser(
        "selftest", help="exercise every configured device and print a report (exit 0: all pass)"
    )
    _common_options(selftest)
    selftest.add_argument(
        "--scan-timeout", type=float, default=20.0, help="seconds to wait for each scanner's scan"
    )
    selftest.add_argument(
        "--weigh-timeout", type=float, default=5.0, help="seconds to wait for a stable weight"
    )
    selftest.set_defaults(func=run_selftest)


def _common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", type=Path, default=None, help=f"kiosk config file (default {DEFAULT_CONFIG})"
    )
    parser.add_argument("--simulate", action="store_true", help="run the in-repo device simulators")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def devices_config(config: Path | None, simulate: bool) -> DevicesConfig:
    """The `[devices]` of the config file; without a file, `--simulate` needs none."""
    if config is None:
        if simulate:
            return DevicesConfig(simulate=True)
        if not DEFAULT_CONFIG.exists():
            raise ConfigError(
                f"{DEFAULT_CONFIG}: not found; give the kiosk config with --config FILE, "
                "or use --simulate to run the device simulators"
            )
        config = DEFAULT_CONFIG
    return load_config(config).devices


def _manager(args: argparse.Namespace) -> DeviceManager:
    config = devices_config(args.config, args.simulate)
    return DeviceManager(config, simulate=True if args.simulate else None)


# --- kiosk devices ----------------------------------------------------------------------


def run_devices(args: argparse.Namespace) -> int:
    with _manager(args) as manager:
        deadline = time.monotonic() + max(args.wait, 0.0)
        manager.wait_started(max(args.wait, 0.0))
        manager.wait_connected(max(deadline - time.monotonic(), 0.0))
        health = manager.snapshot()
    if args.json:
        payload = {
            "simulate": manager.simulate,
            "devices": [h.as_dict() for h in health.values()],
        }
        print(json.dumps(payload, ensure_ascii=False))
    elif not health:
        print("no devices configured (add roles to the [devices] table, or use --simulate)")
    else:
        for device in health.values():
            _print_health(device, sys.stdout)
    return 0 if all(h.connected and h.fault is None for h in health.values()) else 1


def _print_health(device: DeviceHealth, out: TextIO) -> None:
    simulated = " (simulated)" if device.simulated else ""
    print(f"{device.role}: {device.driver} at {device.url}{simulated}", file=out)
    connected = "connected" if device.connected else "NOT connected"
    detail = f"; {device.detail}" if device.detail else ""
    print(f"  {device.state.value}, {connected}{detail}", file=out)
    if device.fault:
        print(f"  fault: {device.fault}", file=out)
    if device.last_error:
        print(f"  last error: {device.last_error}", file=out)


# --- kiosk selftest ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The outcome of exercising one device."""

    role: str
    driver: str
    url: str
    simulated: bool
    passed: bool
    detail: str  # what was seen, or why it failed and what to do

    def as_dict(self) -> dict[str, object]:
        return {
            "role": self.role,
            "driver": self.driver,
            "url": self.url,
            "simulated": self.simulated,
            "passed": self.passed,
            "detail": self.detail,
        }


def run_selftest(args: argparse.Namespace) -> int:
    manager = _manager(args)
    if not manager.roles:
        raise ConfigError(
            "nothing to test: no device roles in the [devices] table; configure them "
            "(see kiosk/data/demo_config.toml) or use --simulate"
        )
    with manager:
        manager.wait_started(START_TIMEOUT_S)
        results = check_devices(
            manager,
            scan_timeout_s=args.scan_timeout,
            weigh_timeout_s=args.weigh_timeout,
            prompt=lambda text: print(text, file=sys.stderr, flush=True),
        )
    passed = all(r.passed for r in results)
    if args.json:
        payload = {"passed": passed, "devices": [r.as_dict() for r in results]}
        print(json.dumps(payload, ensure_ascii=False))
    else:
        count = sum(r.passed for r in results)
        print(f"self-test: {count} of {len(results)} devices passed")
        for r in results:
            simulated = " (simulated)" if r.simulated else ""
            print(f"{'PASS' if r.passed else 'FAIL'}  {r.role}: {r.driver} at {r.url}{simulated}")
            print(f"      {r.detail}")
    return 0 if passed else 1


def check_devices(
    manager: DeviceManager,
    *,
    scan_timeout_s: float,
    weigh_timeout_s: float,
    prompt: Callable[[str], None] | None = None,
) -> list[CheckResult]:
    """Exercise every device of a started manager; one result per role, in role order.

    Printer: ready check, then a test receipt. Scales: one stable weight. Scanners and
    camera: one scan each (`prompt` asks the technician; simulators read a test code).
    """
    health = manager.snapshot()
    results: dict[str, CheckResult] = {}
    scan_roles: list[str] = []
    for role, config in manager.roles.items():
        device = health[role]
        if device.state is DeviceState.FAILED:
            results[role] = _result(device, False, f"did not start: {device.last_error}")
        elif isinstance(config, PrinterConfig):
            results[role] = _result(device, *_check_printer(manager))
        elif isinstance(config, ScaleConfig):
            results[role] = _result(device, *_check_scale(manager, role, weigh_timeout_s))
        else:
            scan_roles.append(role)
    seen: dict[str, Scan] = {}
    for role in scan_roles:
        device = manager.snapshot()[role]
        results[role] = _result(device, *_check_scan(manager, device, seen, scan_timeout_s, prompt))
    return [results[role] for role in ROLES if role in results]


def _result(device: DeviceHealth, passed: bool, detail: str) -> CheckResult:
    return CheckResult(device.role, device.driver, device.url, device.simulated, passed, detail)


def _wait_for(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return True


def _check_printer(manager: DeviceManager) -> tuple[bool, str]:
    printer = manager.printer
    if printer is None:
        return False, f"the printer driver did not start within {START_TIMEOUT_S:g} s"
    _wait_for(lambda: printer.health().connected, CONNECT_TIMEOUT_S)
    answer = printer.ready()
    if not answer.ok:
        reason = answer.reason.value if answer.reason else "not ready"
        return False, f"not ready ({reason}): {answer.detail}; no test receipt printed"
    job_id = f"selftest-{time.time_ns()}"
    try:
        outcome = printer.print_job(test_receipt(printer), job_id)
    except DriverError as exc:
        return False, f"test receipt not printed: {exc}"
    if not outcome.printed:
        printer.cancel_job(job_id)  # a self-test receipt must not print hours later
        return False, f"test receipt not printed: {outcome.reason}"
    return True, "; ".join(("test receipt printed, printer ready", *answer.warnings))


_SCALE_ADVICE: dict[ScaleStatus, str] = {
    ScaleStatus.OVERLOAD: "overloaded: take the load off the platter",
    ScaleStatus.UNDERLOAD: "underload: check that the weighing pan is in place",
    ScaleStatus.UNDER_ZERO: "below zero: empty the platter and zero the scale",
    ScaleStatus.ZERO_ERROR: "outside the zero range: empty the platter and zero the scale",
    ScaleStatus.BUSY: "busy: the scale cannot weigh now; wait and run the test again",
    ScaleStatus.ERROR: "the scale reports an error: power-cycle it",
    ScaleStatus.IN_MOTION: "never settled: keep the platter still; check that nothing touches it",
}


def scale_advice(last: Weight | None, timeout_s: float) -> str:
    """Why no stable weight came, and what to do about it."""
    if last is None:
        return f"no reading within {timeout_s:g} s: check power, cable and baud rate"
    if last.status is ScaleStatus.OK and last.grams is not None and last.grams < 0:
        return _SCALE_ADVICE[ScaleStatus.UNDER_ZERO]
    status = ScaleStatus.IN_MOTION if last.status is ScaleStatus.OK else last.status
    detail = f" ({last.detail})" if last.detail else ""
    return f"no stable weight within {timeout_s:g} s: {_SCALE_ADVICE[status]}{detail}"


def _check_scale(manager: DeviceManager, role: str, timeout_s: float) -> tuple[bool, str]:
    scale = manager.scale(role)
    if scale is None:
        return False, f"the scale driver did not start within {START_TIMEOUT_S:g} s"
    try:
        weight = scale.read_stable(timeout_s)
    except ScaleNotStable as exc:
        return False, scale_advice(exc.last, timeout_s)
    except DriverError as exc:
        return False, f"{exc}"
    return True, f"stable weight {weight.grams} g"


def _check_scan(
    manager: DeviceManager,
    device: DeviceHealth,
    seen: dict[str, Scan],
    timeout_s: float,
    prompt: Callable[[str], None] | None,
) -> tuple[bool, str]:
    role = device.role
    rescan_at: float | None = None
    if device.simulated:
        _wait_for(lambda: manager.snapshot()[role].connected, CONNECT_TIMEOUT_S)
        rescan_at = time.monotonic()
    elif prompt is not None:
        what = (
            "hold a barcode in front of the camera"
            if device.driver == CAMERA
            else (f"scan any barcode with the {role.replace('_', ' ')}")
        )
        prompt(f"selftest: {what} ({timeout_s:g} s) ...")
    deadline = time.monotonic() + timeout_s
    while role not in seen:
        now = time.monotonic()
        if now >= deadline:
            break
        if rescan_at is not None and now >= rescan_at:
            manager.simulate_scan(role, TEST_EAN13, TEST_SYMBOLOGY)
            rescan_at = now + SIM_RESCAN_S
        scan = manager.next_scan(min(0.1, deadline - now))
        if scan is not None:
            seen.setdefault(scan.source, scan)  # another scanner's read counts for it later
    scan = seen.get(role)
    if scan is not None:
        symbology = f" ({scan.symbology})" if scan.symbology else ""
        return True, f"read {mask(scan.data)}{symbology}"
    return False, _no_scan_advice(manager.snapshot()[role], timeout_s)


def _no_scan_advice(device: DeviceHealth, timeout_s: float) -> str:
    if not device.connected:
        error = f" ({device.last_error})" if device.last_error else ""
        return f"not connected{error}: check the cable, power and the configured URL"
    if device.driver == CAMERA:
        return (
            f"no barcode seen within {timeout_s:g} s: hold one 10-30 cm from the lens; "
            "check focus, lighting and the region of interest"
        )
    suffix = "Enter" if device.driver == HID_SCANNER else "CR/LF"
    return (
        f"connected, but no scan within {timeout_s:g} s: scan a barcode during the test; "
        f"check that the scanner sends {suffix} after each code"
    )
