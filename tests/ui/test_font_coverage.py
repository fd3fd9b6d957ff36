"""Every character the UI can put on screen has a glyph in the CJK font the kiosk uses.

A character the font lacks is drawn as an empty box (the masked phone number once showed
"□□□□□□□8000"). Checked against the character map of every supported CJK font installed
here (`kiosk.ui.fonts.CJK_FONTS`; the set-up command installs WenQuanYi Zen Hei), face 0
of the collection, which is the one SDL_ttf opens.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fontTools.ttLib import TTCollection, TTFont

from kiosk.lane_view import mask_phone
from kiosk.ui.fonts import CJK_FONTS, find_cjk_font

ROOT = Path(__file__).resolve().parents[2]
UI = ROOT / "kiosk" / "ui"
DATA = ROOT / "kiosk" / "data"
INSTALLED = [path for path in CJK_FONTS if path.is_file()]


def character_map(path: Path) -> set[int]:
    font = TTCollection(path).fonts[0] if path.suffix == ".ttc" else TTFont(path)
    return set(font.getBestCmap())


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def shown_texts() -> dict[str, str]:
    """Where each text comes from -> the text: the UI's own words and what the demo
    store shows (item names, promotion labels)."""
    texts: dict[str, str] = {}
    for catalogue in sorted((UI / "i18n").glob("*.json")):
        for key, text in json.loads(catalogue.read_text("utf-8")).items():
            texts[f"{catalogue.name}:{key}"] = re.sub(r"\{\w*\}", "", text)
    for kv in sorted(UI.rglob("*.kv")):
        for i, text in enumerate(re.findall(r'text:\s*"([^"]*)"', kv.read_text("utf-8"))):
            texts[f"{kv.relative_to(ROOT)}:text#{i}"] = text
    for module in sorted(UI.rglob("*.py")):
        for i, text in enumerate(re.findall(r'"([^"\n]*)"', module.read_text("utf-8"))):
            if not text.isascii():  # a literal shown on screen (marks like ● and ○)
                texts[f"{module.relative_to(ROOT)}:literal#{i}"] = text
    with (DATA / "demo_catalogue.csv").open(encoding="utf-8") as stream:
        for row in csv.DictReader(stream):
            texts[f"demo_catalogue.csv:{row['item_id']}"] = row["name_zh_CN"] + row["name_en"]
    promotions = json.loads((DATA / "demo_promotions.json").read_text("utf-8"))
    for i, text in enumerate(_strings(promotions["promotions"])):
        texts[f"demo_promotions.json:#{i}"] = text
    texts["masked phone"] = mask_phone("13900138000")
    texts["money"] = "¥0123456789.,-×/"
    return texts


def test_the_kiosk_finds_an_installed_cjk_font() -> None:
    assert INSTALLED, f"none of {[str(p) for p in CJK_FONTS]} is installed"
    assert find_cjk_font() == INSTALLED[0]


@pytest.mark.parametrize("font", INSTALLED, ids=[path.name for path in INSTALLED])
def test_every_character_the_ui_shows_has_a_glyph(font: Path) -> None:
    glyphs = character_map(font)
    texts = shown_texts()
    assert len(texts) > 200  # the catalogues, rules, demo data were all read
    missing = {
        where: lacking
        for where, text in texts.items()
        if (lacking := sorted({f"{ch} U+{ord(ch):04X}" for ch in text if _lacks(glyphs, ch)}))
    }
    assert missing == {}


def _lacks(glyphs: set[int], ch: str) -> bool:
    return ord(ch) not in glyphs and not ch.isspace()
