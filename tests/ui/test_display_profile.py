"""The display profile (`--display WIDTHxHEIGHT@INCHES`): parsing, density, layout scale."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.ui.env import FULL_HD, SMALL, DisplayProfile


def test_the_two_designed_screens_parse_to_their_profiles() -> None:
    assert DisplayProfile.parse("800x480@7") == SMALL
    assert DisplayProfile.parse("1920X1080@21.5") == FULL_HD
    assert SMALL.px_per_mm == pytest.approx(5.25, abs=0.01)  # 133 dpi
    assert FULL_HD.px_per_mm == pytest.approx(4.03, abs=0.01)  # 102 dpi


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("800x480", "write WIDTHxHEIGHT@INCHES"),
        ("800*480@7", "write WIDTHxHEIGHT@INCHES"),
        ("axb@7", "write WIDTHxHEIGHT@INCHES"),
        ("100x480@7", "size out of range"),
        ("800x480@2", "diagonal out of range"),
        ("800x480@nan", "diagonal out of range"),
    ],
)
def test_a_bad_display_names_itself_and_the_problem(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason) as caught:
        DisplayProfile.parse(text)
    assert repr(text) in str(caught.value)


@given(st.text(max_size=30))
def test_any_text_parses_or_raises_value_error(text: str) -> None:
    try:
        profile = DisplayProfile.parse(text)
    except ValueError:
        return
    assert 320 <= profile.width <= 7680
    assert 3 <= profile.diagonal_in <= 100


def test_a_larger_screen_draws_a_layout_millimetre_larger_for_its_viewing_distance() -> None:
    assert SMALL.layout_scale == 1.0
    assert FULL_HD.layout_scale == pytest.approx(1.5)
    sizes = [DisplayProfile(1280, 800, d).layout_scale for d in (3, 7, 10, 15.6, 21.5, 32, 100)]
    assert sizes == sorted(sizes)  # never smaller on a bigger screen
    assert sizes[0] == 1.0  # never below physical size: 9 mm targets stay 9 mm
    assert sizes[-1] == 1.6
