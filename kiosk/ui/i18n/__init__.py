"""The UI's texts in Chinese (zh_CN) and English, from one JSON catalogue per locale.

Data shown on screen (item names, discount labels, amounts) arrives already localised
in the lane's snapshot; these catalogues hold only the UI's own words. Both catalogues
must have the same keys (a test checks it); a missing key shows as the key itself, so
a gap is visible rather than fatal.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

LOCALES = ("zh_CN", "en")


@cache
def catalogue(locale: str) -> dict[str, str]:
    """The texts of `locale` (KeyError for a locale we do not ship)."""
    if locale not in LOCALES:
        raise KeyError(f"no UI texts for locale {locale!r}; have {LOCALES}")
    text = (resources.files("kiosk.ui.i18n") / f"{locale}.json").read_text("utf-8")
    data = json.loads(text)
    return {str(k): str(v) for k, v in data.items()}


def tr(locale: str, key: str, **params: object) -> str:
    """The text for `key` in `locale`, with `{name}` parameters filled in."""
    template = catalogue(locale).get(key, key)
    if not params:
        return template
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return template


def tr_name(locale: str, kind: str, name: str) -> str:
    """The shown name of an identifier (`kind.name`, e.g. a device role or an attendant's
    role), or the identifier itself when the catalogue has none (a role added in a
    store's config before the catalogues know it)."""
    return catalogue(locale).get(f"{kind}.{name}", name)
