"""What one scan means: `ScanKind` and the frozen `ScanResult` (SPEC section 10 object)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date

# Payment codes (付款码) are 16-24 digits for every provider we know (PROTOCOLS.md, QR
# micropay). An unclassified all-digit scan of that length may be a payment code from a
# provider whose pattern changed, so it is masked like one.
_PAYMENT_LIKE_LENGTHS = range(16, 25)


def looks_like_payment_code(text: str) -> bool:
    """True for 16-24 ASCII digits: treat as payment data when showing it anywhere."""
    return len(text) in _PAYMENT_LIKE_LENGTHS and text.isascii() and text.isdigit()


def mask_code(text: str, keep: int = 4) -> str:
    """All but the last `keep` characters replaced by '*' (payment data must not be shown)."""
    if len(text) <= keep:
        return "*" * len(text)
    return "*" * (len(text) - keep) + text[-keep:]


class ScanKind(enum.StrEnum):
    """What a scan is, as `kiosk barcode parse --json` reports it (SPEC section 10)."""

    GTIN = "gtin"
    VARIABLE_MEASURE = "variable_measure"
    GS1 = "gs1"
    DIGITAL_LINK = "digital_link"
    PAYMENT_CODE = "payment_code"
    MEMBER = "member"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True, repr=False)
class ScanResult:
    """One parsed scan.

    `raw` is the scanned data without surrounding CR/LF/blanks and without the
    symbology identifier (reported in `symbology`); GS (FNC1) characters are kept.
    For a payment code `raw` is the code itself, in clear, for the payment module only:
    `repr`, `str` and `to_json` mask it. `gtin` is always the 14-digit zero-padded form.
    A variable-measure label has no `gtin`; look it up by `item_code`.
    """

    kind: ScanKind
    raw: str
    symbology: str | None = None
    gtin: str | None = None
    item_code: str | None = None
    weight_g: int | None = None
    price_minor: int | None = None
    count: int | None = None
    expiry: date | None = None
    best_before: date | None = None
    lot: str | None = None
    serial: str | None = None
    ai: dict[str, str] = field(default_factory=dict, hash=False)
    payment_provider: str | None = None
    member_id: str | None = None

    @property
    def is_sensitive(self) -> bool:
        """True when `raw` is (or may be) a payment code and must never be shown."""
        if self.kind is ScanKind.PAYMENT_CODE:
            return True
        return self.kind is ScanKind.UNKNOWN and looks_like_payment_code(self.raw)

    @property
    def payment_code(self) -> str | None:
        """The payment code in clear, for the payment provider call only."""
        return self.raw if self.kind is ScanKind.PAYMENT_CODE else None

    @property
    def shown_raw(self) -> str:
        """`raw` as it may be displayed or logged (masked when sensitive)."""
        return mask_code(self.raw) if self.is_sensitive else self.raw

    def to_json(self) -> dict[str, object]:
        """The SPEC section 10 object, plus symbology, item_code, payment_provider,
        member_id and raw (masked for payment codes)."""
        return {
            "kind": self.kind.value,
            "gtin": self.gtin,
            "weight_g": self.weight_g,
            "price_minor": self.price_minor,
            "count": self.count,
            "expiry": self.expiry.isoformat() if self.expiry else None,
            "best_before": self.best_before.isoformat() if self.best_before else None,
            "lot": self.lot,
            "serial": self.serial,
            "ai": dict(self.ai),
            "symbology": self.symbology,
            "item_code": self.item_code,
            "payment_provider": self.payment_provider,
            "member_id": self.member_id,
            "raw": self.shown_raw,
        }

    def __repr__(self) -> str:
        shown = {k: v for k, v in self.to_json().items() if v is not None and v != {}}
        fields = ", ".join(f"{k}={v!r}" for k, v in shown.items())
        return f"ScanResult({fields})"

    def __str__(self) -> str:
        return self.__repr__()
