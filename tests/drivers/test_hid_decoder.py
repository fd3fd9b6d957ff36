"""HID keyboard scanner decoding (pure): our US keymap, shift, GS, framing, fuzzing."""

from __future__ import annotations

import pytest
from evdev import ecodes
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.scanner import keymap as km
from drivers.scanner.framing import AimMode, Frame, Partial, Reject, Rejected
from drivers.scanner.hid import HidFraming, HidKeyDecoder

KeyEvent = tuple[int, int, float]  # (code, value, timestamp)


def type_text(
    text: str, *, start: float = 0.0, step: float = 0.002, enter: bool = True
) -> list[KeyEvent]:
    """Key events a US-layout scanner sends for `text` (GS as Ctrl+])."""
    events: list[KeyEvent] = []
    t = start
    for char in text:
        if char == "\x1d":
            presses = [(km.KEY_LEFTCTRL, 1), (km.KEY_RIGHTBRACE, 1), (km.KEY_RIGHTBRACE, 0)]
            presses.append((km.KEY_LEFTCTRL, 0))
        else:
            code, shift = km.keys_for_char(char)
            presses = [(code, 1), (code, 0)]
            if shift:
                presses = [(km.KEY_LEFTSHIFT, 1), *presses, (km.KEY_LEFTSHIFT, 0)]
        for key, value in presses:
            events.append((key, value, t))
            t += step
    if enter:
        events += [(km.KEY_ENTER, 1, t), (km.KEY_ENTER, 0, t + step)]
    return events


def run(decoder: HidKeyDecoder, events: list[KeyEvent]) -> list[Frame | Rejected | Partial]:
    out: list[Frame | Rejected | Partial] = []
    for code, value, t in events:
        out += decoder.feed(code, value, t)
    return out


def test_keymap_codes_match_the_linux_input_event_codes() -> None:
    names = {
        km.KEY_ENTER: "KEY_ENTER",
        km.KEY_KPENTER: "KEY_KPENTER",
        km.KEY_LEFTSHIFT: "KEY_LEFTSHIFT",
        km.KEY_RIGHTSHIFT: "KEY_RIGHTSHIFT",
        km.KEY_LEFTCTRL: "KEY_LEFTCTRL",
        km.KEY_RIGHTCTRL: "KEY_RIGHTCTRL",
        km.KEY_LEFTALT: "KEY_LEFTALT",
        km.KEY_RIGHTALT: "KEY_RIGHTALT",
        km.KEY_CAPSLOCK: "KEY_CAPSLOCK",
        km.KEY_RIGHTBRACE: "KEY_RIGHTBRACE",
    }
    for code, name in names.items():
        assert getattr(ecodes, name) == code
    for char in "0123456789abcxyz-=[];',./`\\":
        code, _ = km.keys_for_char(char)
        assert ecodes.KEY[code] != "KEY_RESERVED"
    assert km.keys_for_char("a")[0] == ecodes.KEY_A
    assert km.keys_for_char("!")[0] == ecodes.KEY_1
    assert ecodes.KEY_KP7 in km.KEYPAD_DIGITS
    assert km.KEYPAD_DIGITS[ecodes.KEY_KP7] == 7


def test_digits_and_enter_make_one_read() -> None:
    decoder = HidKeyDecoder()
    assert run(decoder, type_text("4006381333931")) == [Frame("4006381333931", None)]


def test_shift_gives_upper_case_and_symbols() -> None:
    decoder = HidKeyDecoder()
    assert run(decoder, type_text("MEMBER:A-42!")) == [Frame("MEMBER:A-42!", None)]


def test_ctrl_right_bracket_is_gs() -> None:
    decoder = HidKeyDecoder()
    got = run(decoder, type_text("]C10104012345678901\x1d10LOT7"))
    assert got == [Frame("0104012345678901\x1d10LOT7", "]C1")]


def test_configured_substitute_character_becomes_gs() -> None:
    decoder = HidKeyDecoder(gs_substitute="~")
    assert run(decoder, type_text("0104012345678901~10LOT7")) == [
        Frame("0104012345678901\x1d10LOT7", None)
    ]


def test_alt_keypad_029_is_gs() -> None:
    decoder = HidKeyDecoder()
    events = type_text("01", enter=False, step=0.001)
    t = 0.1
    for code, value in [
        (km.KEY_LEFTALT, 1),
        (ecodes.KEY_KP0, 1),
        (ecodes.KEY_KP0, 0),
        (ecodes.KEY_KP2, 1),
        (ecodes.KEY_KP2, 0),
        (ecodes.KEY_KP9, 1),
        (ecodes.KEY_KP9, 0),
        (km.KEY_LEFTALT, 0),
    ]:
        events.append((code, value, t))
        t += 0.001
    events += type_text("10X", start=t, step=0.001)
    assert run(decoder, events) == [Frame("01\x1d10X", None)]


def test_caps_lock_inverts_letters_only() -> None:
    decoder = HidKeyDecoder()
    events = [(km.KEY_CAPSLOCK, 1, 0.0), (km.KEY_CAPSLOCK, 0, 0.001)]
    events += type_text("ab1", start=0.002)
    assert run(decoder, events) == [Frame("AB1", None)]


def test_key_no_scanner_sends_rejects_the_read() -> None:
    decoder = HidKeyDecoder()
    events = type_text("123", enter=False)
    events += [(ecodes.KEY_F5, 1, 0.1), (ecodes.KEY_F5, 0, 0.101)]
    events += type_text("4", start=0.102)
    got = run(decoder, events)
    assert got == [Rejected(Reject.JUNK, b"1234")]


def test_autorepeat_events_are_ignored() -> None:
    decoder = HidKeyDecoder()
    events = type_text("12")
    events.insert(1, (km.keys_for_char("1")[0], 2, 0.0005))
    assert run(decoder, events) == [Frame("12", None)]


def test_enter_framing_drops_a_read_interrupted_by_a_pause_and_its_tail() -> None:
    decoder = HidKeyDecoder(inter_key_timeout_s=0.1)
    events = type_text("400638", enter=False) + type_text("1333931", start=1.0)
    events += type_text("96385074", start=2.0)
    assert run(decoder, events) == [
        Partial(b"400638"),
        Partial(b"1333931"),
        Frame("96385074", None),
    ]


def test_timeout_framing_ends_a_read_after_a_pause() -> None:
    decoder = HidKeyDecoder(framing=HidFraming.TIMEOUT, inter_key_timeout_s=0.1)
    assert run(decoder, type_text("96385074", enter=False)) == []
    assert decoder.expire(0.05) == []
    assert decoder.expire(1.0) == [Frame("96385074", None)]


def test_lone_enter_is_no_read() -> None:
    decoder = HidKeyDecoder()
    assert run(decoder, [(km.KEY_ENTER, 1, 0.0), (km.KEY_ENTER, 0, 0.001)]) == []


def test_required_aim_prefix_is_enforced_for_hid_too() -> None:
    decoder = HidKeyDecoder(aim=AimMode.REQUIRED)
    assert run(decoder, type_text("4006381333931")) == [Rejected(Reject.NO_AIM, b"4006381333931")]


def test_overlong_read_is_rejected() -> None:
    decoder = HidKeyDecoder(max_length=5)
    assert run(decoder, type_text("1234567")) == [Rejected(Reject.OVERFLOW, b"12345")]


def test_reset_forgets_held_modifiers_and_partial() -> None:
    decoder = HidKeyDecoder()
    run(decoder, [(km.KEY_LEFTSHIFT, 1, 0.0), *type_text("ab", enter=False, start=0.001)])
    assert decoder.reset() == [Partial(b"AB")]
    assert run(decoder, type_text("ab", start=0.01)) == [Frame("ab", None)]


def test_invalid_gs_substitute_is_refused() -> None:
    with pytest.raises(ValueError, match="one character"):
        HidKeyDecoder(gs_substitute="^]")


# --- fuzzing ------------------------------------------------------------------------------

any_key = st.sampled_from(
    [*km.US_KEYMAP, *km.SHIFT_KEYS, *km.CTRL_KEYS, *km.ALT_KEYS, *km.ENTER_KEYS, 58, 59, 1, 0]
)
event = st.tuples(any_key, st.sampled_from([0, 1, 1, 2]), st.floats(0, 0.3))


@settings(max_examples=300)
@given(st.lists(event, max_size=80))
def test_random_key_events_never_raise_and_reads_are_clean(
    events: list[tuple[int, int, float]],
) -> None:
    decoder = HidKeyDecoder(max_length=40)
    t = 0.0
    for code, value, gap in events:
        t += gap
        for outcome in decoder.feed(code, value, t):
            if isinstance(outcome, Frame):
                assert outcome.data
                assert len(outcome.data) <= 40
                assert all(0x20 <= ord(c) <= 0x7E or c == "\x1d" for c in outcome.data)


@settings(max_examples=200)
@given(
    st.lists(
        st.text(
            alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E) | st.just("\x1d"),
            min_size=1,
            max_size=30,
        ),
        min_size=1,
        max_size=5,
    )
)
def test_typed_reads_round_trip_through_the_decoder(texts: list[str]) -> None:
    decoder = HidKeyDecoder(aim=AimMode.NONE)
    events: list[KeyEvent] = []
    t = 0.0
    for text in texts:
        typed = type_text(text, start=t)
        events += typed
        t = typed[-1][2] + 0.05
    assert [f.data for f in frames_of(run(decoder, events))] == texts


def frames_of(outcomes: list[Frame | Rejected | Partial]) -> list[Frame]:
    return [o for o in outcomes if isinstance(o, Frame)]
