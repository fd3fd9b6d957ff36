"""Independent reference implementations for the barcode tests (written from the GS1
General Specifications, not from the code under test)."""

from __future__ import annotations


def check_digit(payload: str) -> str:
    """GS1 mod 10 (GenSpecs 7.9.1): weights 3,1,3,1… from the rightmost data digit."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(payload)))
    return str((10 - total % 10) % 10)


def with_check_digit(payload: str) -> str:
    return payload + check_digit(payload)


def upc_e_expanded(upc_e: str) -> str:
    """UPC-E (number system, 6 digits, check) -> UPC-A, per GenSpecs figure 5.2.2.4.2-1."""
    ns, d, check = upc_e[0], upc_e[1:7], upc_e[7]
    x1, x2, x3, x4, x5, x6 = tuple(d)
    if x6 in "012":
        body = x1 + x2 + x6 + "0000" + x3 + x4 + x5
    elif x6 == "3":
        body = x1 + x2 + x3 + "00000" + x4 + x5
    elif x6 == "4":
        body = x1 + x2 + x3 + x4 + "00000" + x5
    else:
        body = x1 + x2 + x3 + x4 + x5 + "0000" + x6
    return ns + body + check


# GenSpecs 7.9.2: weighting factor tables for price/weight verifier digits.
_TWO_MINUS = "0246891357"
_THREE = "0369258147"
_FIVE_PLUS = "0516273849"
_FIVE_MINUS = "0594837261"


def price_verifier(field: str) -> str:
    """The verifier digit of a 4- or 5-digit price/weight field (GenSpecs 7.9.3, 7.9.4)."""
    digits = [int(c) for c in field]
    if len(digits) == 4:
        tables: tuple[str, ...] = (_TWO_MINUS, _TWO_MINUS, _THREE, _FIVE_MINUS)
        total = sum(int(t[d]) for t, d in zip(tables, digits, strict=True))
        return str(total * 3 % 10)
    tables = (_FIVE_PLUS, _TWO_MINUS, _FIVE_MINUS, _FIVE_PLUS, _TWO_MINUS)
    total = sum(int(t[d]) for t, d in zip(tables, digits, strict=True))
    return str(_FIVE_MINUS.index(str((10 - total % 10) % 10)))
