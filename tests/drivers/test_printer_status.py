"""ESC/POS `DLE EOT n` status parsing (PROTOCOLS.md "Receipt printer: ESC/POS")."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.printer.errors import InvalidStatusByte
from drivers.printer.status import (
    STATUS_REQUESTS,
    ErrorCause,
    NotReady,
    OfflineCause,
    PaperSensor,
    PrinterByte,
    PrinterStatus,
    is_status_byte,
    readiness,
)

HEALTHY = bytes([0x12, 0x12, 0x12, 0x12])


def test_status_requests_are_dle_eot_n() -> None:
    assert {n: bytes([0x10, 0x04, n]) for n in (1, 2, 3, 4)} == STATUS_REQUESTS


def test_healthy_printer_bytes_parse_to_online_with_no_fault() -> None:
    status = PrinterStatus.from_bytes(HEALTHY)
    assert status.online
    flags = status.as_dict()
    assert flags.pop("online") is True
    assert flags.pop("raw") == "12 12 12 12"
    assert not any(flags.values())


def test_printer_byte_bit3_means_offline() -> None:
    assert PrinterByte.parse(0x1A).offline
    assert not PrinterByte.parse(0x12).offline


def test_printer_byte_bits_2_5_6_are_drawer_recovery_feed_button() -> None:
    assert PrinterByte.parse(0x16).drawer_pin3_high
    assert PrinterByte.parse(0x32).waiting_online_recovery
    assert PrinterByte.parse(0x52).feed_button_pressed


def test_offline_cause_bits_cover_feed_paper_end_error() -> None:
    assert OfflineCause.parse(0x16) == OfflineCause(True, False, False, False)
    assert OfflineCause.parse(0x1A) == OfflineCause(False, True, False, False)
    assert OfflineCause.parse(0x32) == OfflineCause(False, False, True, False)
    assert OfflineCause.parse(0x52) == OfflineCause(False, False, False, True)


def test_error_cause_bits_mechanical_cutter_unrecoverable_auto_recoverable() -> None:
    assert ErrorCause.parse(0x16) == ErrorCause(True, False, False, False)
    assert ErrorCause.parse(0x1A) == ErrorCause(False, True, False, False)
    assert ErrorCause.parse(0x32) == ErrorCause(False, False, True, False)
    assert ErrorCause.parse(0x52) == ErrorCause(False, False, False, True)


@pytest.mark.parametrize(
    ("value", "near_end", "paper_end"),
    [
        (0x12, False, False),
        (0x1E, True, False),  # Epson: bits 2 and 3 together
        (0x16, True, False),  # compatibles with one near-end sensor bit
        (0x72, False, True),  # Epson: bits 5 and 6 together
        (0x32, False, True),
        (0x7E, True, True),
    ],
)
def test_paper_sensor_near_end_and_end_bits(value: int, near_end: bool, paper_end: bool) -> None:
    assert PaperSensor.parse(value) == PaperSensor(near_end=near_end, paper_end=paper_end)


@pytest.mark.parametrize("value", [0x00, 0x11, 0x13, 0xFF, 0x92, 0x02, 0x10, 0x93])
def test_byte_without_fixed_bits_is_an_invalid_status_not_a_wrong_one(value: int) -> None:
    # 0x11/0x13 are XON/XOFF: a flow-control byte must never read as a status.
    for parse in (PrinterByte.parse, OfflineCause.parse, ErrorCause.parse, PaperSensor.parse):
        with pytest.raises(InvalidStatusByte) as info:
            parse(value)
        assert f"0x{value:02X}" in str(info.value)


def test_from_bytes_needs_exactly_four_replies() -> None:
    with pytest.raises(ValueError, match="expected 4 status bytes"):
        PrinterStatus.from_bytes(b"\x12\x12\x12")


def test_from_bytes_names_which_reply_was_invalid() -> None:
    with pytest.raises(InvalidStatusByte) as info:
        PrinterStatus.from_bytes(bytes([0x12, 0x12, 0x13, 0x12]))
    assert info.value.n == 3


@given(st.integers(min_value=1, max_value=4), st.integers(min_value=0, max_value=255))
def test_any_byte_parses_exactly_when_fixed_bits_hold(n: int, value: int) -> None:
    parsers: dict[int, Callable[[int], object]] = {
        1: PrinterByte.parse,
        2: OfflineCause.parse,
        3: ErrorCause.parse,
        4: PaperSensor.parse,
    }
    parse = parsers[n]
    valid = value & 0x93 == 0x12
    assert is_status_byte(value) == valid
    if valid:
        parse(value)
    else:
        with pytest.raises(InvalidStatusByte):
            parse(value)


@given(st.binary(min_size=4, max_size=4))
def test_four_reply_bytes_parse_or_raise_typed_error(replies: bytes) -> None:
    invalid = [n for n, b in enumerate(replies, start=1) if not is_status_byte(b)]
    if invalid:
        with pytest.raises(InvalidStatusByte) as info:
            PrinterStatus.from_bytes(replies)
        assert info.value.n == invalid[0]
        return
    status = PrinterStatus.from_bytes(replies)
    assert status.online == (not replies[0] & 0x08)
    assert status.cover_open == bool(replies[1] & 0x04)
    assert status.cutter_error == bool(replies[2] & 0x08)
    assert status.paper_end == bool(replies[3] & 0x60 or replies[1] & 0x20)
    assert status.paper_near_end == bool(replies[3] & 0x0C)
    assert status.raw == replies


valid_status_byte = st.integers(min_value=0, max_value=255).map(lambda v: (v & ~0x93) | 0x12)


@given(st.lists(valid_status_byte, min_size=4, max_size=4))
def test_readiness_is_ok_only_when_nothing_stops_printing(replies: list[int]) -> None:
    status = PrinterStatus.from_bytes(bytes(replies))
    answer = readiness(status)
    blocking = (
        status.paper_end
        or status.cover_open
        or status.cutter_error
        or status.unrecoverable_error
        or status.auto_recoverable_error
        or not status.online
    )
    assert answer.ok == (not blocking)
    assert (answer.reason is None) == answer.ok


def test_readiness_reports_paper_end_rather_than_generic_offline() -> None:
    status = PrinterStatus.from_bytes(bytes([0x1A, 0x32, 0x12, 0x7E]))
    answer = readiness(status)
    assert not answer
    assert answer.reason is NotReady.PAPER_END
    assert "load a new roll" in answer.detail


def test_readiness_reports_cover_open() -> None:
    answer = readiness(PrinterStatus.from_bytes(bytes([0x1A, 0x16, 0x12, 0x12])))
    assert answer.reason is NotReady.COVER_OPEN


def test_readiness_reports_offline_without_a_cause() -> None:
    answer = readiness(PrinterStatus.from_bytes(bytes([0x1A, 0x12, 0x12, 0x12])))
    assert answer.reason is NotReady.OFFLINE


def test_paper_near_end_is_a_warning_not_a_refusal() -> None:
    answer = readiness(PrinterStatus.from_bytes(bytes([0x12, 0x12, 0x12, 0x1E])))
    assert answer.ok
    assert answer.warnings == ("paper near end: replace the roll soon",)
