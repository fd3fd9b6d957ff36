"""The `kiosk run --simulate` console's line parser (the console itself: tests/ui)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.commands.run import _MAX_GRAMS, _console_command

COMMANDS = {"scan", "weigh", "status", "screenshot", "quit", "help"}
WORD = st.text(min_size=1, max_size=20).filter(lambda w: w.split() == [w])


@given(st.text(max_size=60))
def test_every_line_is_a_command_or_one_line_error_naming_it(raw: str) -> None:
    try:
        name, _arg = _console_command(raw)
    except ValueError as exc:
        message = str(exc)
        words = raw.split()
        assert message.startswith(f"{words[0]}:" if words else "console:")
        assert message.splitlines() == [message]
    else:
        assert name in COMMANDS


@given(WORD)
def test_scan_takes_any_single_word_as_the_code(code: str) -> None:
    assert _console_command(f"scan {code}\n") == ("scan", code)


@given(st.integers(0, _MAX_GRAMS))
def test_weigh_takes_whole_grams_up_to_the_limit(grams: int) -> None:
    assert _console_command(f"  weigh\t{grams}  ") == ("weigh", str(grams))


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ("weigh -5", "weigh: GRAMS must be a whole number 0..1000000, got '-5'"),
        ("weigh 1.5", "weigh: GRAMS must be a whole number 0..1000000, got '1.5'"),
        ("weigh ²", "weigh: GRAMS must be a whole number 0..1000000, got '²'"),
        ("weigh 1000001", "weigh: GRAMS must be a whole number 0..1000000, got '1000001'"),
        ("scan", "scan: expected one CODE, got 0 words"),
        ("scan 1 2", "scan: expected one CODE, got 2 words"),
        ("screenshot out.jpg", "screenshot: PATH must end in .png, got 'out.jpg'"),
        ("status now", "status: takes no argument, got 'now'"),
    ],
)
def test_bad_arguments_are_named_with_their_command(line: str, error: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(error)}$"):
        _console_command(line)


def test_screenshot_keeps_the_path_as_typed() -> None:
    assert _console_command("screenshot shots/Basket.PNG") == ("screenshot", "shots/Basket.PNG")
