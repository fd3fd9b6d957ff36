"""Tax per rate for tax-inclusive (CN, EU shelf prices) and tax-exclusive pricing."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import pytest

from kiosk.domain.codec import from_jsonable, to_jsonable
from kiosk.domain.money import Rounding
from kiosk.domain.pricing import Member, PricedBasket, TaxLine

from .pricing_support import ctx, item, line, price, promos

GROCERIES = [
    line("rice", item("rice", 4_990, tax_class="reduced")),
    line("soap", item("soap", 1_290), 2),
    line("book", item("book", 3_800, tax_class="zero")),
]


def test_inclusive_prices_split_each_rate_into_net_and_tax_that_sum_exactly() -> None:
    rules = promos(
        {"id": "man", "kind": "threshold", "tiers": [{"spend_minor": 10_000, "off_minor": 1_000}]}
    )
    basket = price(GROCERIES, rules)
    assert basket.total_minor == 11_370 - 1_000
    # ¥10 off shared 439 / 227 / 334 by largest remainder over 4990 : 2580 : 3800.
    assert basket.taxes == (
        TaxLine(Fraction(0), ("zero",), 3_466, 0, 3_466),
        TaxLine(Fraction(9, 100), ("reduced",), 4_175, 376, 4_551),
        TaxLine(Fraction(13, 100), ("standard",), 2_082, 271, 2_353),
    )
    assert sum(t.gross_minor for t in basket.taxes) == basket.total_minor
    assert basket.tax_minor == 376 + 271
    for row in basket.taxes:  # gross × r / (1 + r), rounded once per rate
        assert row.tax_minor == Rounding.HALF_UP.apply(row.gross_minor * row.rate / (1 + row.rate))


def test_exclusive_prices_add_tax_per_rate_on_top() -> None:
    basket = price(GROCERIES, promos(), ctx(inclusive=False))
    assert basket.taxes == (
        TaxLine(Fraction(0), ("zero",), 3_800, 0, 3_800),
        TaxLine(Fraction(9, 100), ("reduced",), 4_990, 449, 5_439),
        TaxLine(Fraction(13, 100), ("standard",), 2_580, 335, 2_915),
    )
    assert basket.total_minor == 11_370 + 449 + 335
    assert basket.total_minor == sum(ln.net_minor for ln in basket.lines) + basket.tax_minor
    assert sum(t.gross_minor for t in basket.taxes) == basket.total_minor


def test_euro_vat_groups_tax_classes_sharing_a_rate() -> None:
    rates = {"food": Fraction(7, 100), "books": Fraction(7, 100), "standard": Fraction(19, 100)}
    lines = [
        line("b", item("brot", 249, currency="EUR", tax_class="food"), 2),
        line("k", item("buch", 1_500, currency="EUR", tax_class="books")),
        line("s", item("seife", 199, currency="EUR")),
    ]
    context = replace(ctx(currency="EUR"), tax_rates=rates)
    basket = price(lines, promos(currency="EUR"), context)
    assert [(t.rate, t.tax_classes, t.gross_minor) for t in basket.taxes] == [
        (Fraction(7, 100), ("books", "food"), 1_998),
        (Fraction(19, 100), ("standard",), 199),
    ]
    assert basket.taxes[0].tax_minor == 131  # 1998 × 7/107 = 130.7
    assert basket.taxes[1].tax_minor == 32  # 199 × 19/119 = 31.77


@pytest.mark.parametrize(("rounding", "tax"), [(Rounding.HALF_UP, 7), (Rounding.HALF_EVEN, 6)])
def test_tax_rounding_follows_the_store_mode_on_a_tie(rounding: Rounding, tax: int) -> None:
    basket = price([line("l", item("gum", 50))], promos(), ctx(inclusive=False, rounding=rounding))
    assert basket.tax_minor == tax  # 50 × 13 % = 6.5
    assert basket.total_minor == 50 + tax


def test_priced_basket_survives_the_journal_codec() -> None:
    rules = promos(
        {"id": "p", "kind": "percent_off", "percent": 10},
        {"id": "man", "kind": "threshold", "tiers": [{"spend_minor": 5_000, "off_minor": 500}]},
        points={"per_unit": 1},
    )
    basket = price(GROCERIES, rules, ctx(member=Member("m", "gold"), coupons=("NOPE",)))
    assert from_jsonable(PricedBasket, to_jsonable(basket)) == basket
