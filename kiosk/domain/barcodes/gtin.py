"""GTIN-8/12/13/14 and UPC-E: check digits and the 14-digit lookup form.

Check digits use biip's GS1 implementation (GS1 General Specifications 7.9.1: weights
3,1,3,1… from the rightmost data digit), and UPC-E→UPC-A expansion uses biip's `Upc`
(the 0–2 / 3 / 4 / 5–9 rules, GenSpecs 5.2.2.4.2). We do not call `biip.gtin.Gtin.parse`
on the hot path: it also looks up GS1 prefix tries we do not need, and its errors are
prose ("Expected 4, got 7") rather than the reasons we report.
"""

from __future__ import annotations

from biip.checksums import gs1_standard_check_digit
from biip.upc import Upc

from kiosk.domain.barcodes.errors import Rejected

GTIN_LENGTHS = (8, 12, 13, 14)


def is_digits(text: str) -> bool:
    """ASCII digits only (str.isdigit alone accepts '²' and '٣')."""
    return text.isascii() and text.isdigit()


def check_digit_of(payload: str) -> int:
    """The GS1 mod-10 check digit for `payload` (ASCII digits, any length)."""
    return gs1_standard_check_digit(payload)


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


def upc_e_to_upc_a(code: str) -> str:
    """Expand an 8-digit UPC-E (number system, 6 digits, check) to its 12-digit UPC-A.

    A 6-digit (number system 0 implied) or 7-digit (no check digit) UPC-E, as some
    scanners transmit it, is expanded with its check digit computed.
    """
    if len(code) == 6:
        code = "0" + code
    if len(code) not in (7, 8):
        raise Rejected(f"UPC-E has 6, 7 or 8 digits, got {len(code)}")
    if code[0] not in "01":
        raise Rejected(f"UPC-E number system must be 0 or 1, got {code[0]}")
    upc_a = Upc.parse(code[:7]).as_upc_a()  # 7 digits: biip computes the check digit
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
            upc_a = Upc.parse(code[:7]).as_upc_a()
            raise Rejected(
                f"check digit should be {expected} (EAN-8) or {upc_a[-1]} (UPC-E), got {code[7]}"
            ) from None
    raise Rejected(f"check digit should be {expected}, got {code[7]}")
