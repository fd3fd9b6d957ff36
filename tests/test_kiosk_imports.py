"""A store kiosk (real devices, real payment terminal and providers) loads no simulator
and none of the libraries kept out of its memory (bench/README.md, UI: 150 MB budget).

The kiosk's run path is built in a fresh Python process, as `kiosk run --config` builds
it minus the window: device manager on real device URLs, the lane with its payment
clients, then what every transaction does (EAN/UPC scans parsed, a receipt rendered to
ESC/POS). Its `sys.modules` must hold none of: biip (~22 MB; only GS1 element strings
and Digital Link need it), python-escpos and what it drags in (~15 MB; only
`drivers.printer.builder` needs it), and no simulator module.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

from kiosk.app import seed_demo_store
from kiosk.config import demo_config_path
from kiosk.lane_setup import ATTENDANTS_FILE
from kiosk.payment.qr.sim_keys import SimCredentials
from kiosk.security.attendants import seed_demo_attendants

ROOT = Path(__file__).resolve().parents[1]

# Top-level packages the kiosk's run path must not import.
KEPT_OUT = ("biip", "escpos", "barcode", "yaml", "pypinyin")

CHILD = r"""
import json, sys
from pathlib import Path

import kiosk.commands.run  # the CLI command's module, as `kiosk run` imports it
from kiosk.config import load_config
from kiosk.device_manager import DeviceManager
from kiosk.domain.barcodes import BarcodeConfig, parse_scan
from kiosk.domain.receipt import Paper
from kiosk.lane_devices import ManagedDevices
from kiosk.lane_setup import kiosk_lane
from kiosk.receipts.escpos import render_escpos
from tests.receipts.builders import example_receipt

config = load_config(Path(sys.argv[1]), data_dir=Path(sys.argv[2]))
manager = DeviceManager(config.devices, simulate=False).start()
try:
    kiosk = kiosk_lane(config, devices=ManagedDevices(manager), simulate_payments=False)
    try:
        barcodes = BarcodeConfig()
        # EAN-13, UPC-A, EAN-8, UPC-E (with and without ]E0), a scale label.
        for code in ("6901234567892", "036000291452", "96385074", "]E004252614",
                     "04252614", "2012345012349"):
            parse_scan(code, barcodes)
        job = render_escpos(example_receipt("zh_CN"), Paper.MM58)
        assert job.startswith(b"\x1b@")
    finally:
        kiosk.close()
finally:
    manager.stop()
print(json.dumps(sorted(sys.modules)))
"""


def _store_kiosk(tmp: Path) -> tuple[Path, Path]:
    """A seeded store and a config naming real devices and a real terminal/provider."""
    data_dir = tmp / "store"
    seed_demo_store(data_dir)
    seed_demo_attendants(data_dir / ATTENDANTS_FILE)
    credentials = tmp / "payment-credentials.json"
    side = SimCredentials.load_or_create(tmp / "provider.keys.json").kiosk_side()
    credentials.write_text(json.dumps(asdict(side)), encoding="utf-8")
    credentials.chmod(0o600)
    text = demo_config_path().read_text(encoding="utf-8")
    devices, payment = text.split("[devices]")[1].split("[payment]")
    receipts = (tmp / "receipts.bin").as_uri()
    text = text.replace(
        devices,
        f'\nreceipt_printer = {{ driver = "escpos", url = "{receipts}" }}\nsimulate = false\n\n',
    ).replace(
        payment,
        '\nmethods = ["card", "wechat", "alipay"]\nsimulate = false\n'
        'card = { url = "tcp://127.0.0.1:9", password = "000000" }\n'
        f'qr = {{ credentials = "{credentials}", wechat_url = "http://127.0.0.1:9/",'
        ' alipay_url = "http://127.0.0.1:9/" }\n',
    )
    config = tmp / "kiosk.toml"
    config.write_text(text, encoding="utf-8")
    return config, data_dir


def test_a_store_kiosk_loads_no_simulator_biip_or_python_escpos(tmp_path: Path) -> None:
    config, data_dir = _store_kiosk(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(config), str(data_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    modules = set(json.loads(done.stdout.strip().splitlines()[-1]))
    # The run path was really built: drivers, payment clients, the receipt path.
    assert {
        "kiosk.device_manager",
        "drivers.printer.escpos_printer",
        "kiosk.payment.qr.alipay",
        "kiosk.payment.qr.wechat",
        "drivers.pinpad.zvt.terminal",
        "kiosk.receipts.escpos",
    } <= modules
    kept_out = sorted(m for m in modules if m.split(".")[0] in KEPT_OUT)
    simulators = sorted(
        m
        for m in modules
        if m.startswith(("drivers.", "kiosk."))
        and (m.rsplit(".", 1)[-1].startswith("sim") or m == "kiosk.payment.stub")
    )
    assert kept_out == []
    assert simulators == []
