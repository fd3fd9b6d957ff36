"""GS1 Digital Link URIs (`https://any.host/01/{gtin}/10/{lot}?17={expiry}`).

biip parses the URI structure (primary key, qualifier order, percent-decoding, 13-digit
GTINs padded to 14, AI query parameters). Its errors are reworded: when a field is
malformed we re-check the fields ourselves to say which and why ("AI 17: month 13 out
of range"); structural problems keep biip's wording. biip is imported when the first
Digital Link is parsed, not with this module (~22 MB of resident memory a kiosk that
scans only EAN/UPC codes does not need; bench/README.md, UI).
"""

from __future__ import annotations

import contextlib
from functools import cache
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, unquote, urlsplit

from kiosk.domain.barcodes.errors import Rejected
from kiosk.domain.barcodes.gs1 import known_ai, validate_element

if TYPE_CHECKING:
    from biip import ParseConfig

# GS1 Digital Link URI Syntax 1.x, primary keys that may start the path.
PRIMARY_KEYS = frozenset(
    {"00", "01", "253", "255", "401", "402", "414", "415", "417"}
    | {"8003", "8004", "8006", "8010", "8013", "8017", "8018"}
)


@cache
def _biip_config() -> ParseConfig:
    from biip import ParseConfig  # noqa: PLC0415 - lazy: see the module docstring

    # Dates are checked by us (with the caller's `today`, precise reasons), not by biip.
    return ParseConfig(gs1_element_strings_verify_date=False)


def is_web_uri(text: str) -> bool:
    return text[:8].lower().startswith(("http://", "https://"))


def parse_digital_link(text: str) -> list[tuple[str, str]] | None:
    """(AI, value) pairs of a Digital Link URI; None when the URI has no GS1 primary key
    in its path (an ordinary web address); Rejected when it has one but is broken."""
    path = _path_segments(text)
    if path is None or not any(segment in PRIMARY_KEYS for segment in path):
        return None
    from biip import ParseError  # noqa: PLC0415 - lazy: see the module docstring
    from biip.gs1_digital_link_uris import GS1DigitalLinkURI  # noqa: PLC0415

    try:
        uri = GS1DigitalLinkURI.parse(text, config=_biip_config())
    except (ParseError, ValueError) as exc:
        for code, value in _loose_pairs(text, path):
            ai = known_ai(code)
            if ai is not None:
                validate_element(ai, value)
        raise Rejected(f"Digital Link: {exc}") from None
    pairs = [(element.ai.ai, element.value) for element in uri.element_strings]
    for element in uri.element_strings:
        validate_element(element.ai, element.value)
    return pairs


def _path_segments(text: str) -> list[str] | None:
    try:
        return [unquote(segment) for segment in urlsplit(text).path.split("/")]
    except ValueError:  # e.g. "http://[::1" (unbalanced IPv6 brackets)
        return None


def _loose_pairs(text: str, path: list[str]) -> list[tuple[str, str]]:
    """Best-effort (AI, value) pairs for a URI biip refused, to find the bad field."""
    start = next(i for i, segment in enumerate(path) if segment in PRIMARY_KEYS)
    rest = path[start:]
    pairs = [
        (key, value.zfill(14) if key == "01" and value.isdigit() else value)
        for key, value in zip(rest[::2], rest[1::2], strict=False)
    ]
    with contextlib.suppress(ValueError):
        pairs += parse_qsl(urlsplit(text).query)
    return pairs
