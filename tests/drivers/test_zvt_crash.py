"""An ECR killed mid-payment learns, after restarting, exactly what the terminal charged.

The ECR runs in its own process and is SIGKILLed at points before, around and after
the host's approval; a fresh ECR then asks the terminal's last transaction (06 20)
until the terminal can answer. Its answer must agree with the simulator's ledger:
approved with our reference if and only if the ledger charged that reference.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from drivers.pinpad.zvt import Approved, Unknown, ZvtTerminal, ZvtTimeouts
from drivers.pinpad.zvt.sim import ZvtSimulator
from drivers.simlink import TcpLink

ECR = """
import sys
from drivers.pinpad.zvt import ZvtTerminal
terminal = ZvtTerminal(sys.argv[1])
print("ready", flush=True)
terminal.authorize(int(sys.argv[2]), reference=sys.argv[3])
print("done", flush=True)
"""

# slow-pin takes 34 steps of 0.05 s before the host approves, then receipts follow.
KILL_AFTER_S = (0.1, 0.8, 1.6, 1.75, 1.9, 2.2)


def _resolve(url: str) -> Approved | None:
    """The terminal's last transaction if it is an approved payment, asking until it can say."""
    with ZvtTerminal(url, timeouts=ZvtTimeouts(ack_s=3.0, completion_s=10.0)) as terminal:
        for _ in range(100):  # bounded: the terminal finishes the old transaction in seconds
            last = terminal.repeat_receipt()
            if not isinstance(last, Unknown):
                return last if isinstance(last, Approved) else None
            time.sleep(0.2)
    raise AssertionError("the terminal never told its last transaction")


def test_killed_ecr_resolves_every_payment_as_the_ledger_has_it(tmp_path: Path) -> None:
    resolved: dict[str, bool] = {}
    with ZvtSimulator(
        TcpLink(), ledger=tmp_path / "ledger.sqlite", default="slow-pin", step_s=0.05
    ) as sim:
        # A terminal in service has a last transaction; with none stored, 06 20 cannot
        # answer at all (the driver then says Unknown, rightly).
        sim.queue("approve")
        with ZvtTerminal(sim.url) as terminal:
            assert isinstance(terminal.authorize(1, reference="before"), Approved)
        for i, kill_after in enumerate(KILL_AFTER_S):
            reference = f"crash-{i}"
            ecr = subprocess.Popen(
                [sys.executable, "-c", ECR, sim.url, str(100 + i), reference],
                stdout=subprocess.PIPE,
                text=True,
            )
            try:
                assert ecr.stdout is not None
                assert ecr.stdout.readline().strip() == "ready"
                time.sleep(kill_after)
                ecr.send_signal(signal.SIGKILL)
            finally:
                ecr.communicate(timeout=10)
            last = _resolve(sim.url)
            resolved[reference] = last is not None and last.reference == reference
            if resolved[reference]:
                assert last is not None
                assert (last.amount_minor, last.original_trace) == (100 + i, None)
        charged = sim.ledger.charged()
    assert set(charged) == {"before"} | {ref for ref, paid in resolved.items() if paid}
    assert all(charged[ref] == 100 + int(ref.split("-")[1]) for ref in resolved if ref in charged)
