"""`DevicesConfig`: the `[devices]` table, validated at start-up with errors naming the key."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.config import demo_config_path, load_config, parse_config
from kiosk.device_config import (
    DRIVER_KEYS,
    ROLE_DRIVERS,
    ROLES,
    CameraConfig,
    DeviceConfigError,
    DevicesConfig,
    PrinterConfig,
    ScaleConfig,
    ScannerConfig,
)
from kiosk.errors import ConfigError

FILE = "/etc/kiosk/kiosk.toml"
SOURCE = f"{FILE}: [devices]"  # as kiosk.config passes it

MINIMAL_KIOSK = """
[kiosk]
id = "K07"
[store]
id = "S1"
address = "1 Market St"
tax_id = "T-1"
currency = "CNY"
[tax]
standard = "13"
"""


def load(text: str) -> DevicesConfig:
    return DevicesConfig.from_mapping(tomllib.loads(text).get("devices", {}), SOURCE)


def error_of(text: str) -> str:
    with pytest.raises(DeviceConfigError) as caught:
        load(text)
    return str(caught.value)


def test_no_devices_table_means_no_devices_and_no_simulators() -> None:
    config = load("")
    assert config == DevicesConfig()
    assert config.configured() == {}
    assert not config.simulate


def test_every_role_is_parsed_into_typed_values(tmp_path: Path) -> None:
    video = tmp_path / "counter.avi"
    config = load(
        f"""
        [devices.main_scanner]
        driver = "serial-scanner"
        url = "serial:///dev/ttyACM0?baudrate=115200"
        model = "datalogic"

        [devices.hand_scanner]
        driver = "hid-scanner"
        url = "hid://0c2e:0b61?serial=17100B1234"
        duplicate_window_ms = 800

        [devices.camera]
        driver = "camera"
        url = "file://{video}"
        roi = [0, 120, 640, 240]
        max_fps = 10

        [devices.receipt_printer]
        driver = "escpos"
        url = "tcp://192.0.2.10"
        codec = "gbk"
        paper_mm = 58

        [devices.produce_scale]
        driver = "mt-sics"
        url = "serial:///dev/ttyUSB0"
        stream = true
        poll_ms = 100

        [devices.bagging_scale]
        driver = "toledo8217"
        url = "tcp://192.0.2.11:4001"
        """
    )
    assert config.main_scanner == ScannerConfig(
        "main_scanner", "serial-scanner", "serial:///dev/ttyACM0?baudrate=115200", "datalogic"
    )
    assert config.hand_scanner == ScannerConfig(
        "hand_scanner", "hid-scanner", "hid://0c2e:0b61?serial=17100B1234", "generic", 800
    )
    assert config.camera == CameraConfig(
        "camera", "camera", f"file://{video}", (0, 120, 640, 240), 10, 1000
    )
    assert config.receipt_printer == PrinterConfig(
        "receipt_printer", "escpos", "tcp://192.0.2.10", "gbk", 58, 500
    )
    assert config.produce_scale == ScaleConfig(
        "produce_scale", "mt-sics", "serial:///dev/ttyUSB0", 100, 1000, True
    )
    assert config.bagging_scale == ScaleConfig(
        "bagging_scale", "toledo8217", "tcp://192.0.2.11:4001"
    )
    assert list(config.configured()) == list(ROLES)


def test_inline_tables_and_simulate_are_accepted() -> None:
    config = load(
        """
        [devices]
        simulate = true
        receipt_printer = { driver = "escpos", url = "file:///var/lib/kiosk/receipts.bin" }
        """
    )
    assert config.simulate
    assert list(config.configured()) == ["receipt_printer"]


def test_unknown_role_is_named_with_the_file_and_the_known_roles() -> None:
    message = error_of('[devices.cash_drawer]\ndriver = "escpos"\nurl = "tcp://h:1"\n')
    assert message.startswith(f"{FILE}: [devices] unknown role(s): cash_drawer")
    assert "main_scanner" in message


def test_unknown_key_is_named_with_its_role_and_what_the_driver_takes() -> None:
    message = error_of(
        '[devices.main_scanner]\ndriver = "serial-scanner"\nurl = "/dev/ttyACM0"\nbaud = 9600\n'
    )
    assert message.startswith(f"{FILE}: [devices.main_scanner] unknown key(s): baud")
    assert "serial-scanner takes: url, model, duplicate_window_ms" in message


def test_an_option_of_another_driver_is_an_unknown_key() -> None:
    message = error_of(
        '[devices.bagging_scale]\ndriver = "toledo8217"\nurl = "/dev/ttyUSB1"\nstream = true\n'
    )
    assert message.startswith(f"{FILE}: [devices.bagging_scale] unknown key(s): stream")


@pytest.mark.parametrize(
    ("role", "driver", "url", "problem"),
    [
        ("receipt_printer", "escpos", "lpt://printer", "unknown scheme 'lpt'"),
        ("produce_scale", "mt-sics", "tcp://scale-host", "no port"),
        ("main_scanner", "serial-scanner", "serial://dev/ttyACM0", "three slashes"),
        ("main_scanner", "serial-scanner", "file:///tmp/scans.txt", "a serial scanner"),
        ("bagging_scale", "toledo8217", "usb://0403:6001", "a scale is connected by"),
        ("hand_scanner", "hid-scanner", "serial:///dev/ttyACM1", "hid://VID:PID"),
        ("hand_scanner", "hid-scanner", "hid://0c2e:0b61?speed=9", "unknown option"),
        ("camera", "camera", "tcp://192.0.2.5:554", "camera:INDEX"),
        ("camera", "camera", "camera:front", "camera:INDEX"),
        ("camera", "camera", "videos/counter.avi", "absolute"),
        ("receipt_printer", "escpos", "tcp://[", "bad device URL 'tcp://["),
    ],
)
def test_a_bad_url_is_named_with_its_role_key_and_problem(
    role: str, driver: str, url: str, problem: str
) -> None:
    message = error_of(f'[devices.{role}]\ndriver = "{driver}"\nurl = "{url}"\n')
    assert message.startswith(f"{FILE}: [devices.{role}] url: ")
    assert problem in message


def test_a_driver_the_role_does_not_take_is_named_with_the_choices() -> None:
    message = error_of('[devices.produce_scale]\ndriver = "escpos"\nurl = "/dev/ttyUSB0"\n')
    assert message == (
        f"{FILE}: [devices.produce_scale] driver: 'escpos' is not one of mt-sics, toledo8217"
    )


def test_driver_and_url_are_required() -> None:
    assert error_of('[devices.main_scanner]\nurl = "/dev/ttyACM0"\n') == (
        f"{FILE}: [devices.main_scanner] driver: missing (required)"
    )
    assert error_of('[devices.receipt_printer]\ndriver = "escpos"\n') == (
        f"{FILE}: [devices.receipt_printer] url: missing (required)"
    )


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ('poll_ms = "fast"', "[devices.produce_scale] poll_ms: expected an integer, got 'fast'"),
        ("poll_ms = 5", "[devices.produce_scale] poll_ms: 5 out of range 20..10000"),
        ("stream = 1", "[devices.produce_scale] stream: expected true or false, got 1"),
        ("response_timeout_ms = true", "response_timeout_ms: expected an integer, got True"),
    ],
)
def test_options_are_typed_and_bounded(table: str, expected: str) -> None:
    message = error_of(
        f'[devices.produce_scale]\ndriver = "mt-sics"\nurl = "/dev/ttyUSB0"\n{table}\n'
    )
    assert message.startswith(FILE)
    assert expected in message


def test_printer_options_are_checked() -> None:
    base = '[devices.receipt_printer]\ndriver = "escpos"\nurl = "/dev/usb/lp0"\n'
    assert "paper_mm: must be 58 or 80" in error_of(base + "paper_mm = 70\n")
    assert "codec: 'utf8' is not one of gb18030, gbk" in error_of(base + 'codec = "utf8"\n')


def test_scanner_model_must_be_known() -> None:
    message = error_of(
        '[devices.main_scanner]\ndriver = "serial-scanner"\nurl = "/dev/ttyACM0"\nmodel = "x1"\n'
    )
    assert "[devices.main_scanner] model: 'x1' is not one of generic, datalogic, cipherlab" in (
        message
    )


@pytest.mark.parametrize(
    "roi", ["[0, 0, 640]", "[0, 0, 0, 480]", "[-1, 0, 10, 10]", '"0,0,10,10"', "[0.5, 0, 1, 1]"]
)
def test_camera_roi_must_be_four_whole_pixels(roi: str) -> None:
    message = error_of(f'[devices.camera]\ndriver = "camera"\nurl = "camera:0"\nroi = {roi}\n')
    assert message.startswith(f"{FILE}: [devices.camera] roi: ")


def test_a_role_must_be_a_table_and_simulate_a_boolean() -> None:
    assert error_of('[devices]\nmain_scanner = "/dev/ttyACM0"\n') == (
        f"{FILE}: [devices.main_scanner] must be a table, got str"
    )
    assert error_of('[devices]\nsimulate = "yes"\n') == (
        f"{FILE}: [devices] simulate: expected true or false, got 'yes'"
    )


@given(
    role=st.sampled_from(ROLES),
    url=st.text(max_size=40),
    extra=st.dictionaries(st.text(max_size=12), st.integers() | st.text(max_size=8), max_size=3),
)
def test_any_role_table_either_parses_or_names_its_role(
    role: str, url: str, extra: dict[str, object]
) -> None:
    driver = ROLE_DRIVERS[role][0]
    table: dict[str, object] = {**extra, "driver": driver, "url": url}
    try:
        config: DevicesConfig | None = DevicesConfig.from_mapping({role: table}, SOURCE)
    except DeviceConfigError as exc:  # the only error a table can cause
        config, message = None, str(exc)
    if config is None:
        assert message.startswith(f"{FILE}: [devices.{role}] ")
    else:
        assert set(extra) <= set(DRIVER_KEYS[driver]) | {"driver", "url"}
        device = config.configured()[role]
        assert (device.role, device.driver, device.url) == (role, driver, url)


# --- through the one config loader ----------------------------------------------------


def test_the_kiosk_config_carries_its_devices(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text(
        MINIMAL_KIOSK + '[devices.receipt_printer]\ndriver = "escpos"\nurl = "tcp://10.0.0.9"\n',
        encoding="utf-8",
    )
    config = load_config(path)
    assert config.devices.receipt_printer is not None
    assert config.devices.receipt_printer.url == "tcp://10.0.0.9"


def test_a_kiosk_config_without_devices_has_none() -> None:
    config = parse_config(tomllib.loads(MINIMAL_KIOSK), FILE)
    assert config.devices == DevicesConfig()


def test_a_bad_device_key_stops_loading_the_kiosk_config_naming_file_role_and_key(
    tmp_path: Path,
) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text(
        MINIMAL_KIOSK + '[devices.produce_scale]\ndriver = "mt-sics"\nurl = "/dev/x"\ntare = 5\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}: [devices.produce_scale] unknown key(s): tare")


def test_the_demo_store_runs_on_simulators() -> None:
    devices = load_config(demo_config_path()).devices
    assert devices.simulate
    assert devices.configured() == {}
