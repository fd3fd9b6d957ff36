"""AIM symbology identifiers (`]Cm`, ISO/IEC 15424): strip, report, classify.

Scanners configured to send them prefix every read with `]` + symbology letter +
modifier (PROTOCOLS.md, Barcode scanners): `]E0` EAN-13/UPC-A/UPC-E, `]E4` EAN-8,
`]C1` GS1-128, `]e0` GS1 DataBar, `]d2` GS1 DataMatrix, `]Q3` GS1 QR, `]A0` Code 39.
Written by hand (three lines of regex) rather than with biip's `SymbologyIdentifier`,
which does not know the letter J and so refuses GS1 DotCode (`]J1`).
"""

from __future__ import annotations

import enum
import re


class Family(enum.Enum):
    """How the data after the identifier must be read."""

    NONE = "none"  # no identifier: recognise the data by its content
    EAN = "ean"  # ]E0: EAN-13, UPC-A or UPC-E
    EAN8 = "ean8"  # ]E4
    EAN_ADD_ON = "ean_add_on"  # ]E3: EAN/UPC followed by a 2- or 5-digit add-on
    ADD_ON_ONLY = "add_on_only"  # ]E1, ]E2: the add-on symbol alone
    GS1 = "gs1"  # FNC1 in first position: GS1 element strings
    OTHER = "other"  # any other symbology: recognise the data by its content


# GS1 General Specifications figure 5.1.2-2 (symbology identifiers in the GS1 system).
_FAMILIES = {
    "E0": Family.EAN,
    "E4": Family.EAN8,
    "E3": Family.EAN_ADD_ON,
    "E1": Family.ADD_ON_ONLY,
    "E2": Family.ADD_ON_ONLY,
    "C1": Family.GS1,  # GS1-128
    "e0": Family.GS1,  # GS1 DataBar
    "e1": Family.GS1,  # GS1 Composite
    "e2": Family.GS1,
    "d2": Family.GS1,  # GS1 DataMatrix
    "Q3": Family.GS1,  # GS1 QR Code
    "J1": Family.GS1,  # GS1 DotCode
}
# ISO/IEC 15424: "]", a symbology code letter, a modifier character (digit or capital).
_IDENTIFIER = re.compile(r"\]([A-Za-z][0-9A-Z])")


def split_symbology(text: str) -> tuple[str | None, Family, str]:
    """Split `]Cm…` into (identifier, family, data). Without a valid identifier the
    whole text is data (a `]` that does not start an identifier is just data)."""
    match = _IDENTIFIER.match(text)
    if match is None:
        return None, Family.NONE, text
    return match.group(0), _FAMILIES.get(match.group(1), Family.OTHER), text[3:]
