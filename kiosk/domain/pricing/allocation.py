"""Split an amount over lines in proportion to weights (largest-remainder method)."""

from __future__ import annotations

from collections.abc import Sequence


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
        order = sorted(range(len(weights)), key=lambda i: (-(amount * weights[i] % total), keys[i]))
        for i in order[:left]:
            shares[i] += 1
    return shares
