"""`drivers.printer.commands` writes exactly the bytes python-escpos's `Dummy` writes.

The commands are hand-written only to keep python-escpos out of the kiosk process
(~9.5 MB resident); python-escpos is the reference they must match, byte for byte.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
from escpos.constants import QR_ECLEVEL_H, QR_ECLEVEL_L, QR_ECLEVEL_M, QR_ECLEVEL_Q
from escpos.printer import Dummy
from hypothesis import given
from hypothesis import strategies as st

from drivers.printer.commands import EscPosCommands
from drivers.printer.errors import PrinterError

LEVELS = {"L": QR_ECLEVEL_L, "M": QR_ECLEVEL_M, "Q": QR_ECLEVEL_Q, "H": QR_ECLEVEL_H}

# One step: what our builder does, and the python-escpos call that must write the same.
Step = tuple[Callable[[EscPosCommands], None], Callable[[Any], None]]


def _init() -> Step:
    return (lambda c: c.init(), lambda d: d.hw("INIT"))


def _align(align: str) -> Step:
    return (lambda c: c.align(align), lambda d: d.set(align=align))


def _bold(bold: bool) -> Step:
    return (lambda c: c.bold(bold), lambda d: d.set(bold=bold))


def _size(width: int, height: int) -> Step:
    return (
        lambda c: c.size(width, height),
        lambda d: d.set(custom_size=True, width=width, height=height),
    )


def _feed(lines: int) -> Step:
    return (lambda c: c.feed(lines), lambda d: d.print_and_feed(lines))


def _qr(content: str, size: int, level: str) -> Step:
    return (
        lambda c: c.qr(content, size=size, level=level),
        lambda d: d.qr(content, ec=LEVELS[level], size=size, native=True),
    )


def _raw(data: bytes) -> Step:
    return (lambda c: c.raw(data), lambda d: d._raw(data))


def _cut() -> Step:
    return (lambda c: c.cut_after_feed(), lambda d: d.cut(feed=False))


steps = st.one_of(
    st.just(_init()),
    st.sampled_from(["left", "center", "right"]).map(_align),
    st.booleans().map(_bold),
    st.builds(_size, st.integers(1, 8), st.integers(1, 8)),
    st.integers(0, 255).map(_feed),
    st.builds(
        _qr, st.text(max_size=300), st.integers(1, 16), st.sampled_from(["L", "M", "Q", "H"])
    ),
    st.binary(max_size=40).map(_raw),
    st.just(_cut()),
)


@given(st.lists(steps, max_size=25))
def test_any_command_sequence_writes_the_bytes_python_escpos_writes(jobs: list[Step]) -> None:
    ours, reference = EscPosCommands(), Dummy()
    for mine, theirs in jobs:
        mine(ours)
        theirs(reference)
    assert ours.output() == reference.output


def test_a_long_qr_payload_gets_its_two_byte_length_like_python_escpos() -> None:
    content = "TX:" + "9" * 1000  # pL pH = 1003 + 3 = 1006 = 0x03EE
    ours, reference = EscPosCommands(), Dummy()
    ours.qr(content, size=6)
    reference.qr(content, ec=QR_ECLEVEL_M, size=6, native=True)
    assert ours.output() == reference.output
    assert b"\x1d(k\xee\x031P0" in ours.output()


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (lambda c: c.size(0, 1), "text size 0x1"),
        (lambda c: c.size(1, 9), "text size 1x9"),
        (lambda c: c.feed(256), "feed of 256 lines"),
        (lambda c: c.qr("TX:1", size=17), "QR module size 17"),
    ],
)
def test_out_of_range_arguments_are_refused_with_the_value(
    command: Callable[[EscPosCommands], None], message: str
) -> None:
    with pytest.raises(PrinterError, match=message):
        command(EscPosCommands())


def test_building_receipt_commands_does_not_import_python_escpos() -> None:
    code = (
        "import sys, drivers.printer.commands as c\n"
        "b = c.EscPosCommands(); b.init(); b.qr('TX:1', size=6); b.cut_after_feed()\n"
        "assert b.output()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'escpos'))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"
