"""GTIN-8/12/13/14 and UPC-E: check digits and the 14-digit lookup form.

Written by hand, not taken from biip: `import biip` (any submodule, even
`biip.checksums`, loads the whole package and its GS1 tables) costs ~22 MB of resident
memory, and the kiosk's budget is 150 MB (bench/README.md, UI). The two rules are a few
lines each and are property-tested against biip's own functions for every input
(tests/domain/test_barcodes_checksums.py); biip stays for full GS1 element strings and
Digital Link URIs, imported only when such a code is scanned.

Check digits: GS1 General Specifications 7.9.1, weights 3,1,3,1… from the rightmost
data digit. UPC-E→UPC-A expansion: the 0–2 / 3 / 4 / 5–9 rules, GenSpecs 5.2.2.4.2.
"""

from __future__ import annotations

from kiosk.domain.barcodes.errors import Rejected

GTIN_LENGTHS = (8, 12, 13, 14)


def is_digits(text: str) -> bool:
    """ASCII digits only (str.isdigit alone accepts '²' and '٣')."""
    return text.isascii() and text.isdigit()


def check_digit_of(payload: str) -> int:
    """The GS1 mod-10 check digit for `payload` (decimal digits, any length >= 1).

    ValueError for text that is not decimal digits, as biip's
    `gs1_standard_check_digit` raises.
    """
    if not payload.isdecimal():
        raise ValueError(f"GS1 check digit: expected decimal digits, got {payload!r}")
    # The rightmost data digit and every second one to its left weigh 3, the others 1.
    weighted = 3 * sum(map(int, payload[-1::-2])) + sum(map(int, payload[-2::-2]))
    return -weighted % 10


def verify_check_digit(code: str, what: str = "check digit") -> None:
    """Raise Rejected("check digit should be 7, got 3") unless `code`'s last digit is right."""
    expected = check_digit_of(code[:-1])
    if int(code[-1]) != expected:
        raise Rejected(f"{what} should be {expected}, got {code[-1]}")


def gtin14(code: str) -> str:
    """Validate a GTIN-8/12/13/14 (ASCII digits) and return it zero-padded to 14."""
    if len(code) not in GTIN_LENGTHS:
        raise Rejected(f"{len(code)} digits is not a GTIN length (8, 12, 13 or 14)")
    verify_check_digit(code)
    return code.zfill(14)


def _upc_a_payload(upc_e7: str) -> str:
    """The 11 UPC-A digits before the check digit of a 7-digit UPC-E (number system and
    six data digits): GenSpecs figure 5.2.2.4.2-1, chosen by the last data digit."""
    ns, d = upc_e7[0], upc_e7[1:7]
    last = d[5]
    if last in "012":
        return ns + d[0:2] + last + "0000" + d[2:5]
    if last == "3":
        return ns + d[0:3] + "00000" + d[3:5]
    if last == "4":
        return ns + d[0:4] + "00000" + d[4]
    return ns + d[0:5] + "0000" + last


def upc_e_to_upc_a(code: str) -> str:
    """Expand an 8-digit UPC-E (number system, 6 digits, check) to its 12-digit UPC-A.

    A 6-digit (number system 0 implied) or 7-digit (no check digit) UPC-E, as some
    scanners transmit it, is expanded with its check digit computed. `code` is ASCII
    digits (the parser checks that first).
    """
    if len(code) == 6:
        code = "0" + code
    if len(code) not in (7, 8):
        raise Rejected(f"UPC-E has 6, 7 or 8 digits, got {len(code)}")
    if code[0] not in "01":
        raise Rejected(f"UPC-E number system must be 0 or 1, got {code[0]}")
    payload = _upc_a_payload(code[:7])
    upc_a = payload + str(check_digit_of(payload))
    if len(code) == 8 and code[7] != upc_a[-1]:
        raise Rejected(f"UPC-E check digit should be {upc_a[-1]}, got {code[7]}")
    return upc_a


def gtin14_from_eight(code: str, *, upc_e: bool | None) -> str:
    """An 8-digit read: EAN-8 (`upc_e=False`, `]E4`), UPC-E (`upc_e=True`, `]E0`), or,
    without a symbology identifier (`None`), EAN-8 when its check digit holds, else UPC-E.

    EAN-8 wins a tie like it does in biip: ]E0 scanners that send UPC-E as 8 digits
    usually also send the identifier, which settles it.
    """
    if upc_e is True:
        return upc_e_to_upc_a(code).zfill(14)
    expected = check_digit_of(code[:7])
    if int(code[7]) == expected:
        return code.zfill(14)
    if upc_e is None and code[0] in "01":
        try:
            return upc_e_to_upc_a(code).zfill(14)
        except Rejected:
            upc_e_check = check_digit_of(_upc_a_payload(code[:7]))
            raise Rejected(
                f"check digit should be {expected} (EAN-8) or {upc_e_check} (UPC-E), got {code[7]}"
            ) from None
    raise Rejected(f"check digit should be {expected}, got {code[7]}")
