"""The ZVT simulator itself: scenarios, ledger, and how it behaves towards an odd ECR.

Raw sockets stand in for the ECR here, so the simulator's own bytes are checked
without the driver in between.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from drivers.pinpad.zvt import codec
from drivers.pinpad.zvt import messages as msg
from drivers.pinpad.zvt.errors import ZvtError
from drivers.pinpad.zvt.framing import ApduSplitter
from drivers.pinpad.zvt.sim import ZvtSimulator
from drivers.pinpad.zvt.sim_ledger import SimLedger
from drivers.pinpad.zvt.sim_scenarios import Scenario, parse_scenario
from drivers.simlink import TcpLink


def test_scenarios_parse_with_an_optional_hex_decline_code() -> None:
    assert parse_scenario("approve") == Scenario("approve")
    assert parse_scenario("decline") == Scenario("decline", 0x05)
    assert parse_scenario("decline:71") == Scenario("decline", 0x71)
    for bad in ("explode", "decline:zz", "decline:00", "approve:05"):
        with pytest.raises(ZvtError):
            parse_scenario(bad)


def test_ledger_counts_only_approved_payments_not_reversed(tmp_path: Path) -> None:
    ledger = SimLedger(tmp_path / "ledger.sqlite")
    try:
        kept = ledger.record(
            kind="payment", amount_minor=100, currency=978, status="approved", result_code=0,
            reference="a",
        )  # fmt: skip
        undone = ledger.record(
            kind="payment", amount_minor=200, currency=978, status="approved", result_code=0,
            reference="b",
        )  # fmt: skip
        ledger.record(
            kind="payment", amount_minor=300, currency=978, status="declined", result_code=5,
            reference="c",
        )  # fmt: skip
        reversal = ledger.record_reversal(undone)
    finally:
        ledger.close()
    reopened = SimLedger(tmp_path / "ledger.sqlite")  # another process would see the same
    try:
        assert reopened.charged() == {"a": 100}
        assert (kept.receipt_no, undone.receipt_no, reversal.receipt_no) == (1, 2, 4)
        assert reversal.original_trace == undone.trace
        last = reopened.last()
        assert last is not None
        assert last.kind == "reversal"
    finally:
        reopened.close()


class RawEcr:
    """A bare TCP client speaking APDUs, to see exactly what the simulator sends."""

    def __init__(self, url: str) -> None:
        host, port = url.removeprefix("tcp://").rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=5)
        self.splitter = ApduSplitter()
        self.inbox: list[bytes] = []

    def send(self, apdu: bytes) -> None:
        self.sock.sendall(apdu)

    def next(self) -> codec.Apdu:
        while not self.inbox:
            data = self.sock.recv(4096)
            assert data, "simulator closed the connection"
            self.inbox += self.splitter.feed(data)
        return codec.decode_apdu(self.inbox.pop(0))

    def until(self, control: int) -> codec.Apdu:
        """Read (acknowledging terminal commands) until an APDU with `control` arrives."""
        while True:
            apdu = self.next()
            if apdu.control == control:
                return apdu
            if apdu.cls not in (msg.CCRC_POSITIVE, msg.CCRC_NEGATIVE):
                self.send(msg.ACK)

    def close(self) -> None:
        self.sock.close()


def test_new_command_instead_of_an_acknowledgement_is_served() -> None:
    with ZvtSimulator(TcpLink(), step_s=0.01, ecr_ack_s=30) as sim:
        first = RawEcr(sim.url)
        try:
            first.send(msg.authorization(100, 978))
            first.until(msg.COMPLETION)  # ...and never acknowledge it
        finally:
            first.close()
        second = RawEcr(sim.url)  # a new connection: the ECR has moved on
        try:
            second.send(msg.status_enquiry("000000"))
            assert second.next().encode() == msg.ACK
            done = msg.parse_terminal_message(second.next(), after_status_enquiry=True)
        finally:
            second.close()
    assert done == msg.Completion(software_version="KIOSK-ZVT-SIM 1.0", terminal_status=0)


def test_other_command_during_a_transaction_is_refused_as_busy() -> None:
    with ZvtSimulator(TcpLink(), scenarios=("slow-pin",), step_s=0.05) as sim:
        ecr = RawEcr(sim.url)
        try:
            ecr.send(msg.authorization(100, 978))
            assert ecr.next().encode() == msg.ACK
            ecr.until(msg.INTERMEDIATE_STATUS)
            ecr.send(msg.ACK)
            ecr.send(msg.status_enquiry("000000"))
            refused = ecr.until(0x8483)  # 84 83: function not possible while busy
            completion = ecr.until(msg.COMPLETION)
            ecr.send(msg.ACK)
        finally:
            ecr.close()
    assert refused.encode() == msg.NACK_NOT_SUPPORTED
    assert completion.control == msg.COMPLETION
