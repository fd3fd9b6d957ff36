"""Tax per rate, for shelf prices that include tax (VAT, 增值税 on receipts) or exclude it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction

from kiosk.domain.money import Rounding
from kiosk.domain.pricing.allocation import round_ratio
from kiosk.domain.pricing.model import PricedLine, TaxLine


def tax_breakdown(
    lines: Sequence[PricedLine],
    rates: Mapping[str, Fraction],
    *,
    inclusive: bool,
    rounding: Rounding,
) -> tuple[TaxLine, ...]:
    """One row per distinct rate, lowest first, rounding tax once per rate.

    Tax-inclusive: gross is the sum of the lines' nets, tax = gross × r / (1 + r),
    net = gross − tax. Tax-exclusive: net is the sum of the lines' nets, tax = net × r,
    gross = net + tax. Rows sum exactly, by construction, to the amounts charged.
    """
    per_class: dict[str, int] = {}
    for line in lines:
        per_class[line.tax_class] = per_class.get(line.tax_class, 0) + line.net_minor
    amounts: dict[Fraction, int] = {}
    classes: dict[Fraction, set[str]] = {}
    for tax_class, amount in per_class.items():
        rate = rates[tax_class]
        amounts[rate] = amounts.get(rate, 0) + amount
        classes.setdefault(rate, set()).add(tax_class)
    rows = []
    for rate in sorted(amounts):
        amount = amounts[rate]
        # amount × rate / (1 + rate) and amount × rate as integer ratios (round_ratio
        # rounds exactly as Rounding.apply does the same Fraction, without Decimals).
        if inclusive:
            tax = round_ratio(amount * rate.numerator, rate.denominator + rate.numerator, rounding)
            rows.append(TaxLine(rate, tuple(sorted(classes[rate])), amount - tax, tax, amount))
        else:
            tax = round_ratio(amount * rate.numerator, rate.denominator, rounding)
            rows.append(TaxLine(rate, tuple(sorted(classes[rate])), amount, tax, amount + tax))
    return tuple(rows)
