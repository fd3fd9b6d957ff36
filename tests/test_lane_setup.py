"""A store's kiosk is put together from its config alone: attendants, payments, devices."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from drivers.pinpad.zvt.sim import ZvtSimulator
from drivers.simlink import TcpLink
from kiosk.app import demo_file
from kiosk.config import KioskConfig, load_config
from kiosk.lane_setup import ATTENDANTS_FILE, kiosk_lane
from kiosk.lane_view import Screen
from kiosk.security.attendants import AttendantError, LockoutPolicy, Role, attendants_toml
from kiosk.store.catalogue_import import import_catalogue

TOAST = "6920909000014"


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[ZvtSimulator]:
    sim = ZvtSimulator(TcpLink(), ledger=tmp_path / "terminal.db", step_s=0.01)
    sim.start()
    try:
        yield sim
    finally:
        sim.stop()


def store_config(tmp_path: Path, pinpad_url: str) -> Path:
    """A store kiosk's config: a real-looking [payment] with only a card terminal."""
    demo = demo_file("demo_config.toml").read_text(encoding="utf-8")
    head = demo.split("[payment]")[0].replace('id = "K01"', 'id = "K07"')
    path = tmp_path / "kiosk.toml"
    path.write_text(
        head + f'[payment]\nmethods = ["card"]\ncard = {{ url = "{pinpad_url}" }}\n',
        encoding="utf-8",
    )
    return path


def seeded(config: KioskConfig, with_attendants: bool = True) -> KioskConfig:
    data = config.paths.data_dir
    data.mkdir(parents=True, exist_ok=True)
    import_catalogue(demo_file("demo_catalogue.csv"), config.paths.catalogue)
    if with_attendants:
        entries = [("S01", "Supervisor", Role.SUPERVISOR, "482913")]
        (data / ATTENDANTS_FILE).write_text(attendants_toml(entries, LockoutPolicy()), "utf-8")
    return config


def test_a_store_kiosk_pays_at_the_terminal_its_config_names(
    tmp_path: Path, terminal: ZvtSimulator
) -> None:
    config = seeded(load_config(store_config(tmp_path, terminal.url), data_dir=tmp_path / "d"))
    kiosk = kiosk_lane(config)
    try:
        assert kiosk.payments.simulators is None  # nothing simulated: the config's terminal
        kiosk.lane.start()
        kiosk.lane.scan(TOAST)
        kiosk.lane.go_to_payment()
        assert kiosk.lane.flush()
        snap = kiosk.lane.snapshot()
        assert snap is not None
        assert snap.payment is not None
        assert snap.payment.methods == ("card",)
        kiosk.lane.choose_payment("card")
        for _ in range(200):
            assert kiosk.lane.flush()
            snap = kiosk.lane.snapshot()
            assert snap is not None
            if snap.screen is Screen.RECEIPT:
                break
            time.sleep(0.05)  # the payment thread is talking to the terminal
        assert snap.screen is Screen.RECEIPT
    finally:
        kiosk.close()
    assert list(terminal.ledger.charged().values()) == [1290]


def test_a_store_kiosk_without_its_attendant_list_says_which_file(
    tmp_path: Path, terminal: ZvtSimulator
) -> None:
    config = seeded(
        load_config(store_config(tmp_path, terminal.url), data_dir=tmp_path / "d"),
        with_attendants=False,
    )
    with pytest.raises(AttendantError, match=r"attendants\.toml: cannot read"):
        kiosk_lane(config)


def test_run_with_a_store_config_and_no_display_refuses_in_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kiosk", "run", "--config", str(tmp_path / "k.toml"), "--offscreen"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert "needs a display" in result.stderr
