"""Integer arithmetic of pricing: rounding a ratio, splitting an amount over lines."""

from __future__ import annotations

from collections.abc import Sequence

from kiosk.domain.money import Rounding


def round_ratio(numerator: int, denominator: int, rounding: Rounding) -> int:
    """`rounding.apply(Fraction(numerator, denominator))` in integer arithmetic.

    Pricing rounds a percentage of every line on every evaluation, so this avoids the
    Fraction -> Decimal round trip; a property test holds it equal to `Rounding.apply`.
    """
    if denominator <= 0:
        raise ValueError(f"denominator must be positive, got {denominator}")
    sign = -1 if numerator < 0 else 1
    quotient, remainder = divmod(abs(numerator), denominator)
    twice = 2 * remainder
    if twice > denominator or (
        twice == denominator and (rounding is Rounding.HALF_UP or quotient % 2 == 1)
    ):
        quotient += 1
    return sign * quotient


def allocate(amount: int, weights: Sequence[int], keys: Sequence[str]) -> list[int]:
    """Shares of `amount` proportional to `weights`, summing exactly to `amount`.

    Each share is the floor of its exact proportion; the units left over go one each to
    the largest fractional parts, ties to the smaller key (a line id), so the result does
    not depend on the order of the lines. With 0 <= amount <= sum(weights) no share
    exceeds its weight.
    """
    total = sum(weights)
    if amount == 0 or total == 0:
        return [0] * len(weights)
    shares = [amount * w // total for w in weights]
    left = amount - sum(shares)
    if left:
        # Largest remainders first, ties to the smaller key, then (equal keys: pieces of
        # one line) to the earlier position, as a stable sort on (remainder, key) does.
        order = sorted(
            zip([-(amount * w % total) for w in weights], keys, range(len(weights)), strict=True)
        )
        for _rem, _key, i in order[:left]:
            shares[i] += 1
    return shares
