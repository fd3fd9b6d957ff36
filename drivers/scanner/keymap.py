"""Our own US-layout keymap for HID keyboard scanners (Linux input event key codes).

Why our own: a grabbed scanner bypasses the console/X keymap, so nothing else turns
key codes into characters, and the store's desktop layout must never change what a
scanner "types". Codes are those of linux/input-event-codes.h (a test checks them
against python-evdev's `ecodes`).
"""

from __future__ import annotations

EV_KEY = 0x01

KEY_ENTER = 28
KEY_KPENTER = 96
KEY_LEFTCTRL = 29
KEY_RIGHTCTRL = 97
KEY_LEFTSHIFT = 42
KEY_RIGHTSHIFT = 54
KEY_LEFTALT = 56
KEY_RIGHTALT = 100
KEY_CAPSLOCK = 58
KEY_NUMLOCK = 69
KEY_RIGHTBRACE = 27  # "]": Ctrl+] is GS (0x1D), the keyboard spelling of FNC1

SHIFT_KEYS = frozenset({KEY_LEFTSHIFT, KEY_RIGHTSHIFT})
CTRL_KEYS = frozenset({KEY_LEFTCTRL, KEY_RIGHTCTRL})
ALT_KEYS = frozenset({KEY_LEFTALT, KEY_RIGHTALT})
ENTER_KEYS = frozenset({KEY_ENTER, KEY_KPENTER})
# Keys that change no character and are ignored inside a read.
IGNORED_KEYS = frozenset({KEY_NUMLOCK})

# code -> (unshifted, shifted)
US_KEYMAP: dict[int, tuple[str, str]] = {
    2: ("1", "!"),
    3: ("2", "@"),
    4: ("3", "#"),
    5: ("4", "$"),
    6: ("5", "%"),
    7: ("6", "^"),
    8: ("7", "&"),
    9: ("8", "*"),
    10: ("9", "("),
    11: ("0", ")"),
    12: ("-", "_"),
    13: ("=", "+"),
    16: ("q", "Q"),
    17: ("w", "W"),
    18: ("e", "E"),
    19: ("r", "R"),
    20: ("t", "T"),
    21: ("y", "Y"),
    22: ("u", "U"),
    23: ("i", "I"),
    24: ("o", "O"),
    25: ("p", "P"),
    26: ("[", "{"),
    27: ("]", "}"),
    30: ("a", "A"),
    31: ("s", "S"),
    32: ("d", "D"),
    33: ("f", "F"),
    34: ("g", "G"),
    35: ("h", "H"),
    36: ("j", "J"),
    37: ("k", "K"),
    38: ("l", "L"),
    39: (";", ":"),
    40: ("'", '"'),
    41: ("`", "~"),
    43: ("\\", "|"),
    44: ("z", "Z"),
    45: ("x", "X"),
    46: ("c", "C"),
    47: ("v", "V"),
    48: ("b", "B"),
    49: ("n", "N"),
    50: ("m", "M"),
    51: (",", "<"),
    52: (".", ">"),
    53: ("/", "?"),
    57: (" ", " "),
    # Keypad: scanners in "keypad emulation" send digits here.
    55: ("*", "*"),
    71: ("7", "7"),
    72: ("8", "8"),
    73: ("9", "9"),
    74: ("-", "-"),
    75: ("4", "4"),
    76: ("5", "5"),
    77: ("6", "6"),
    78: ("+", "+"),
    79: ("1", "1"),
    80: ("2", "2"),
    81: ("3", "3"),
    82: ("0", "0"),
    83: (".", "."),
    98: ("/", "/"),
}

KEYPAD_DIGITS: dict[int, int] = {
    82: 0,
    79: 1,
    80: 2,
    81: 3,
    75: 4,
    76: 5,
    77: 6,
    71: 7,
    72: 8,
    73: 9,
}

LETTER_KEYS = frozenset(code for code, (low, _) in US_KEYMAP.items() if low.isalpha())


def keys_for_char(char: str) -> tuple[int, bool]:
    """(key code, shift) that types `char` on the US layout; for simulators and tests."""
    for code, (low, high) in US_KEYMAP.items():
        if code in KEYPAD_DIGITS or code in (55, 74, 78, 83, 98):
            continue  # prefer the main block
        if char == low:
            return code, False
        if char == high:
            return code, True
    raise KeyError(f"no US key types {char!r}")
