"""The one barcode parser (SPEC section 3, Barcodes): scanned text in, `ScanResult` out.

Order of recognition, chosen so that a payment code never lands in the basket:
1. the AIM symbology identifier, when present, decides EAN/UPC or GS1;
2. otherwise payment-code patterns, then member codes, then scale-label layouts,
   GTIN-8/12/13/14, GS1 element strings (with GS, in HRI "(01)…" form, or all digits
   starting with 01 and a valid GTIN), GS1 Digital Link URIs;
3. any other printable text is `unknown`. Everything invalid raises InvalidBarcode.
"""

from __future__ import annotations

import re
from datetime import date

from kiosk.domain.barcodes.codes import member_id, payment_provider
from kiosk.domain.barcodes.config import BarcodeConfig
from kiosk.domain.barcodes.digital_link import is_web_uri, parse_digital_link
from kiosk.domain.barcodes.errors import InvalidBarcode, Rejected
from kiosk.domain.barcodes.gs1 import GS, Gs1Fields, interpret, known_ai, split_element_string
from kiosk.domain.barcodes.gs1 import validate_element as validate_gs1_element
from kiosk.domain.barcodes.gtin import (
    check_digit_of,
    gtin14,
    gtin14_from_eight,
    is_digits,
    upc_e_to_upc_a,
)
from kiosk.domain.barcodes.result import ScanKind, ScanResult, looks_like_payment_code, mask_code
from kiosk.domain.barcodes.symbology import Family, split_symbology
from kiosk.domain.barcodes.variable_measure import LabelFields

# The most any symbology we read can hold (QR code version 40-L, numeric mode).
MAX_SCAN_LENGTH = 7089
_FRAMING = " \t\r\n"  # not str.strip(): Python counts GS (0x1D) as whitespace
_HRI = re.compile(r"\(([0-9]{2,4})\)([^()]+)")


def parse_scan(data: str, config: BarcodeConfig, *, today: date | None = None) -> ScanResult:
    """Parse one scan (as a scanner or camera delivers it, AIM identifier optional).

    `today` sets the century of two-digit GS1 years (GenSpecs 7.12); without it YY is
    20YY. Raises InvalidBarcode, and only InvalidBarcode, for anything unreadable; its
    message masks input that may be a payment code.
    """
    try:
        return _parse(data, config, today)
    except Rejected as exc:
        raise InvalidBarcode(exc.reason, _shown(data, config)) from None
    except Exception as exc:
        # SPEC section 3: "never an exception escaping to the UI". Reaching this is a bug
        # in the parser or in biip; the type name helps find it. The cause is chained only
        # when the input is not masked: its message could quote a payment code.
        reason = f"internal parser error ({type(exc).__name__})"
        cause = None if _is_sensitive(data, config) else exc
        raise InvalidBarcode(reason, _shown(data, config)) from cause


def _parse(data: object, config: BarcodeConfig, today: date | None) -> ScanResult:
    if not isinstance(data, str):
        raise Rejected(f"scan data must be text, got {type(data).__name__}")
    text = data.strip(_FRAMING)
    if not text:
        raise Rejected("empty scan")
    if len(text) > MAX_SCAN_LENGTH:
        raise Rejected(f"{len(text)} characters, more than any barcode holds ({MAX_SCAN_LENGTH})")
    if not text.isprintable():
        _reject_control_characters(text)
    symbology, family, body = split_symbology(text)
    if not body:
        raise Rejected(f"no data after the symbology identifier {symbology}")
    if family is Family.GS1:
        return _gs1(body, symbology, config, today)
    if family in (Family.EAN, Family.EAN8, Family.EAN_ADD_ON):
        return _ean(body, symbology or "", family, config)
    if family is Family.ADD_ON_ONLY:
        return ScanResult(ScanKind.UNKNOWN, body, symbology)
    return _by_content(body, symbology, config, today)


def _reject_control_characters(text: str) -> None:
    for position, char in enumerate(text, start=1):
        if char != GS and not char.isprintable():
            code = ord(char)
            name = f"0x{code:02X}" if code < 0x100 else f"U+{code:04X}"
            raise Rejected(f"control character {name} at position {position}")


def _ean(body: str, symbology: str, family: Family, config: BarcodeConfig) -> ScanResult:
    if not is_digits(body):
        raise Rejected(f"{symbology} (EAN/UPC) data must be digits, got {_clip(body)!r}")
    length = len(body)
    if family is Family.EAN8:
        if length != 8:
            raise Rejected(f"{symbology} (EAN-8) data has 8 digits, got {length}")
        return ScanResult(ScanKind.GTIN, body, symbology, gtin=gtin14_from_eight(body, upc_e=False))
    digits = body
    if family is Family.EAN_ADD_ON:
        # EAN-13/UPC + add-on (periodicals' issue number): the product is the first 13.
        if length not in (15, 18):
            raise Rejected(f"{symbology} (EAN with add-on) data has 15 or 18 digits, got {length}")
        digits = body[:13]
    elif length in (6, 7, 8):
        return ScanResult(ScanKind.GTIN, body, symbology, gtin=upc_e_to_upc_a(body).zfill(14))
    elif length not in (12, 13):
        raise Rejected(f"{symbology} (EAN/UPC) data has 6-8, 12 or 13 digits, got {length}")
    return _numeric_product(digits, body, symbology, config)


def _numeric_product(
    digits: str, raw: str, symbology: str | None, config: BarcodeConfig
) -> ScanResult:
    """A scale label when a layout matches, else a GTIN-12/13/14 (validated)."""
    label = _scale_label(digits, config)
    if label is not None:
        return _label_result(label, raw, symbology)
    return ScanResult(ScanKind.GTIN, raw, symbology, gtin=gtin14(digits))


def _label_result(label: LabelFields, raw: str, symbology: str | None) -> ScanResult:
    return ScanResult(
        ScanKind.VARIABLE_MEASURE,
        raw,
        symbology,
        item_code=label.item_code,
        weight_g=label.weight_g,
        price_minor=label.price_minor,
        count=label.count,
    )


def _scale_label(digits: str, config: BarcodeConfig) -> LabelFields | None:
    # A 12-digit UPC-A is matched as its 13-digit form: number system 2 is flag "02".
    label = "0" + digits if len(digits) == 12 else digits
    for layout in config.variable_measure:
        if layout.matches(label):
            return layout.decode(label, config.currency_exponent)
    return None


def _by_content(
    body: str, symbology: str | None, config: BarcodeConfig, today: date | None
) -> ScanResult:
    provider = payment_provider(body, config.payment_regexes)
    if provider is not None:
        return ScanResult(ScanKind.PAYMENT_CODE, body, symbology, payment_provider=provider)
    member = member_id(body, config.member_regexes, config.member_url_prefixes)
    if member is not None:
        return ScanResult(ScanKind.MEMBER, body, symbology, member_id=member)
    if is_digits(body):
        return _all_digits(body, symbology, config, today)
    if GS in body:
        return _gs1(body, symbology, config, today)
    if body.startswith("("):
        return _hri(body, symbology, config, today)
    if is_web_uri(body):
        pairs = parse_digital_link(body)
        if pairs is not None:
            fields = _interpret(pairs, config, today)
            return _gs1_result(ScanKind.DIGITAL_LINK, body, symbology, fields)
    return ScanResult(ScanKind.UNKNOWN, body, symbology)


def _all_digits(
    body: str, symbology: str | None, config: BarcodeConfig, today: date | None
) -> ScanResult:
    length = len(body)
    if length == 8:
        return ScanResult(ScanKind.GTIN, body, symbology, gtin=gtin14_from_eight(body, upc_e=None))
    if length in (12, 13, 14):
        return _numeric_product(body, body, symbology, config)
    label = _scale_label(body, config)
    if label is not None:
        return _label_result(label, body, symbology)
    # GS1-128 read by a scanner that sends neither identifier nor a trailing GS:
    # trusted when it starts with AI 01 and a GTIN whose check digit holds.
    if length >= 16 and body.startswith("01") and check_digit_of(body[2:15]) == int(body[15]):
        return _gs1(body, symbology, config, today)
    return ScanResult(ScanKind.UNKNOWN, body, symbology)


def _gs1(body: str, symbology: str | None, config: BarcodeConfig, today: date | None) -> ScanResult:
    if is_web_uri(body):
        pairs = parse_digital_link(body)
        if pairs is None:
            raise Rejected("a GS1 symbology carries a web address that is no GS1 Digital Link")
        return _gs1_result(ScanKind.DIGITAL_LINK, body, symbology, _interpret(pairs, config, today))
    fields = _interpret(split_element_string(body), config, today)
    return _gs1_result(ScanKind.GS1, body, symbology, fields)


def _hri(body: str, symbology: str | None, config: BarcodeConfig, today: date | None) -> ScanResult:
    """Human-readable form "(01)06901234567892(17)251231", as a technician types it."""
    matches = list(_HRI.finditer(body))
    if not matches or "".join(m.group(0) for m in matches) != body:
        return ScanResult(ScanKind.UNKNOWN, body, symbology)
    pairs = []
    for match in matches:
        code, value = match.groups()
        ai = known_ai(code)
        if ai is None:
            raise Rejected(f"unknown GS1 application identifier ({code})")
        validate_gs1_element(ai, value)
        pairs.append((code, value))
    return _gs1_result(ScanKind.GS1, body, symbology, _interpret(pairs, config, today))


def _interpret(
    pairs: list[tuple[str, str]], config: BarcodeConfig, today: date | None
) -> Gs1Fields:
    return interpret(
        pairs, currency=config.currency, exponent=config.currency_exponent, today=today
    )


def _gs1_result(kind: ScanKind, raw: str, symbology: str | None, fields: Gs1Fields) -> ScanResult:
    return ScanResult(
        kind,
        raw,
        symbology,
        gtin=fields.gtin,
        weight_g=fields.weight_g,
        price_minor=fields.price_minor,
        count=fields.count,
        expiry=fields.expiry,
        best_before=fields.best_before,
        lot=fields.lot,
        serial=fields.serial,
        ai=fields.ai,
    )


def _clip(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _is_sensitive(data: object, config: BarcodeConfig) -> bool:
    """May this input be a payment code (PROTOCOLS.md, QR micropay)? Then it is masked."""
    if not isinstance(data, str):
        return False
    try:
        _, family, body = split_symbology(data.strip(_FRAMING))
        if any(regex.fullmatch(body) for _, regex in config.payment_regexes):
            return True
        return (
            looks_like_payment_code(body)
            and family in (Family.NONE, Family.OTHER)
            # A scale label's flag was checked against the payment patterns at start-up.
            and not any(layout.matches(body) for layout in config.variable_measure)
        )
    except Exception:
        return True  # when in doubt, mask


def _shown(data: object, config: BarcodeConfig) -> str:
    """The input as an error message may name it: quoted, clipped, masked when it may
    be a payment code."""
    if not isinstance(data, str):
        return f"<{type(data).__name__}>"
    try:
        text = data.strip(_FRAMING)
        return repr(mask_code(text)) if _is_sensitive(data, config) else repr(_clip(text, 80))
    except Exception:
        return "<unprintable>"
