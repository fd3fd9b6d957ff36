"""An independent ZVT implementation decodes our traffic: Wireshark's dissector, via tshark.

A session of real driver and simulator traffic (every APDU both ways, taken from the
driver's tap) is written as a pcap of TCP/IPv4 segments on port 20007 and read back
with `tshark -d tcp.port==20007,zvt`. tshark must find every command and answer, with
the amounts, result codes, masked card number and reference we sent, and report no
malformed packet and no warning. Its table names 06 31 "Refund" and dissects it as
password + bitmaps (PA00P015 "Refund"): our amount, currency and reference (BMP 3C).

The Debian tshark (4.0) dissector's control-field table lacks 05 01 status enquiry,
06 20 repeat receipt, 06 02 log-off and 06 B0 abort; it leaves those segments
undissected (not malformed), so for them this test only checks they are the ones left.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from drivers.pinpad.zvt import Approved, Declined, EndOfDay, ZvtTerminal
from drivers.pinpad.zvt import messages as msg
from drivers.pinpad.zvt.sim import ZvtSimulator
from drivers.simlink import TcpLink
from tests.drivers.zvt_pcap import write_pcap

UNKNOWN_TO_THE_DISSECTOR = {
    msg.STATUS_ENQUIRY,
    msg.REPEAT_RECEIPT,
    msg.LOG_OFF,
    msg.ABORT_COMMAND,
}
FIELDS = (
    "frame.number",
    "zvt.control_field",
    "zvt.ccrc",
    "zvt.amount",
    "zvt.result_code",
    "zvt.card_number",
    "zvt.trace_number",
    "zvt.additional_data",
    "zvt.card_type",
    "zvt.cc",
    "zvt.int_status",
    "zvt.tlv.permitted_command",
    "zvt.password",
    "_ws.malformed",
    "_ws.expert.severity",
)
PI_WARN = 0x00600000  # Wireshark's expert severity "warning" (epan/proto.h)


def _record_session(capture: list[tuple[str, bytes]]) -> dict[str, object]:
    def tap(direction: str, apdu: bytes) -> None:
        capture.append((direction, apdu))

    with (
        ZvtSimulator(TcpLink(), scenarios=("approve", "decline:71"), step_s=0.01) as sim,
        ZvtTerminal(sim.url, tap=tap) as terminal,
    ):
        terminal.register()
        status = terminal.status()
        paid = terminal.authorize(1234, reference="intent-1")
        declined = terminal.authorize(999)
        assert isinstance(paid, Approved)
        assert paid.receipt_no is not None
        reversal = terminal.reverse(paid.receipt_no)
        refund = terminal.refund(700, reference="refund-1")
        last = terminal.repeat_receipt()
        day = terminal.end_of_day()
        terminal.log_off()
        assert terminal.abort()
    assert status.ready
    assert isinstance(declined, Declined)
    assert isinstance(reversal, Approved)
    assert isinstance(refund, Approved)
    assert isinstance(last, Approved)
    assert last.reference == "refund-1"  # the refund is the terminal's last transaction
    assert isinstance(day, EndOfDay)
    return {"paid": paid, "refund": refund}


def _tshark(pcap: Path) -> list[dict[str, str]]:
    tshark = shutil.which("tshark")
    assert tshark, "tshark is missing: apt-get install tshark (scripts/apt-packages-test.txt)"
    command = [tshark, "-n", "-r", str(pcap), "-d", "tcp.port==20007,zvt", "-T", "fields"]
    command += ["-E", "separator=|", "-E", "occurrence=a"]
    for field in FIELDS:
        command += ["-e", field]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
    return [dict(zip(FIELDS, line.split("|"), strict=True)) for line in result.stdout.splitlines()]


def test_tshark_zvt_dissector_decodes_our_traffic_cleanly(tmp_path: Path) -> None:
    capture: list[tuple[str, bytes]] = []
    session = _record_session(capture)
    paid = session["paid"]
    assert isinstance(paid, Approved)
    pcap = tmp_path / "zvt.pcap"
    write_pcap(pcap, capture)
    rows = _tshark(pcap)[3:]  # after the SYN handshake: one frame per APDU, in order
    assert len(rows) == len(capture)

    assert all(not row["_ws.malformed"] for row in rows)
    severities = [int(s) for row in rows for s in row["_ws.expert.severity"].split(",") if s]
    assert all(s < PI_WARN for s in severities)

    undissected = set()
    for (_, apdu), row in zip(capture, rows, strict=True):
        if apdu[0] in (msg.CCRC_POSITIVE, msg.CCRC_NEGATIVE):
            assert int(row["zvt.ccrc"], 16) == apdu[0]
        elif row["zvt.control_field"]:
            assert int(row["zvt.control_field"], 16) == apdu[0] << 8 | apdu[1]
        else:
            undissected.add(apdu[0] << 8 | apdu[1])
    assert undissected == UNKNOWN_TO_THE_DISSECTOR

    def rows_for(control: int) -> list[dict[str, str]]:
        return [
            r for r in rows if r["zvt.control_field"] and int(r["zvt.control_field"], 16) == control
        ]

    registration = rows_for(msg.REGISTRATION)[0]
    assert registration["zvt.cc"] == "0x0978"
    permitted = {int(c, 16) for c in registration["zvt.tlv.permitted_command"].split(",")}
    assert permitted == set(msg.HANDLED_COMMANDS)

    authorisations = rows_for(msg.AUTHORIZATION)
    assert [r["zvt.amount"] for r in authorisations] == ["1234", "999"]
    assert authorisations[0]["zvt.additional_data"] == "intent-1"

    statuses = rows_for(msg.STATUS_INFORMATION)
    approved = statuses[0]
    assert (approved["zvt.result_code"], approved["zvt.amount"]) == ("0x00", "1234")
    assert approved["zvt.card_number"] == "????????????4242"  # E nibbles: masked digits
    assert int(approved["zvt.trace_number"]) == paid.trace
    assert approved["zvt.additional_data"] == "intent-1"
    assert approved["zvt.card_type"] == "10"
    assert statuses[1]["zvt.result_code"] == "0x71"
    assert [r["zvt.result_code"] for r in rows_for(msg.ABORT)] == ["0x71"]

    assert {int(r["zvt.int_status"], 16) for r in rows_for(msg.INTERMEDIATE_STATUS)} >= {
        0x0A,
        0x01,
        0x04,
    }
    refund = session["refund"]
    assert isinstance(refund, Approved)
    refunds = rows_for(msg.REFUND)
    assert [
        (r["zvt.password"], r["zvt.amount"], r["zvt.cc"], r["zvt.additional_data"]) for r in refunds
    ] == [("000000", "700", "0x0978", "refund-1")]
    assert rows[rows.index(refunds[0]) + 1]["zvt.ccrc"] == "0x80"  # the terminal took it
    refunded = [r for r in statuses if r["zvt.additional_data"] == "refund-1"]
    assert len(refunded) == 2  # the refund's status, then the repeat receipt's
    assert {
        (r["zvt.result_code"], r["zvt.amount"], int(r["zvt.trace_number"])) for r in refunded
    } == {("0x00", "700", refund.trace)}
    assert len(rows_for(msg.REVERSAL)) == 1
    assert len(rows_for(msg.END_OF_DAY)) == 1
    assert len(rows_for(msg.COMPLETION)) >= 4
