"""Synthetic head-office catalogues for import benchmarks (SPEC section 3: 1,000,000 items).

`write_synthetic_catalogue(path, n, seed)` writes a CSV in the import format
(docs/catalogue-format.md) with `n` valid items: unique item ids, unique GTIN-13s with
valid check digits in a pseudo-random order (as a real export would be), a second
GTIN on one item in ten, PLUs on the items sold by kg, realistic Chinese and English
names, weights, age limits and a few inactive items. Same `n` and `seed`, same file.

Run as `python -m bench.catalogue_data OUT.csv N [SEED]`.
"""

from __future__ import annotations

import csv
import random
import sys
from pathlib import Path

from kiosk.store.catalogue_rows import CSV_COLUMNS

# GS1 China prefix 690 for first GTINs, 699 for second ones: the two ranges never meet.
_FIRST_PREFIX = "690"
_SECOND_PREFIX = "699"
_SPACE = 10**9  # item references: 9 digits after the 3-digit prefix
_MAX_ITEMS = 10_000_000  # keeps the PLUs (one item in twenty) within 6 digits
_STRIDE = 387_420_489  # 3**18: coprime with 10**9, so i -> i * _STRIDE mod 10**9 is a bijection

_BRANDS = (
    ("金禾", "Jinhe"),
    ("长乐", "Changle"),
    ("银行家", "Banker's"),
    ("重庆味道", "Chongqing Taste"),
    ("乐享", "Lexiang"),
    ("鲜之源", "Fresh Source"),
    ("好时光", "Good Times"),
    ("老街坊", "Old Neighbour"),
    ("青山", "Green Hill"),
    ("大地", "Great Earth"),
)
_PRODUCTS = (
    ("纯牛奶", "Whole Milk", "dairy", "reduced"),
    ("原味酸奶", "Plain Yoghurt", "dairy", "standard"),
    ("全麦面包", "Wholemeal Bread", "bakery", "standard"),
    ("红烧牛肉面", "Braised Beef Noodles", "grocery", "standard"),
    ("香辣薯片", "Spicy Crisps", "snacks", "standard"),
    ("绿茶饮料", "Green Tea Drink", "drinks", "standard"),
    ("矿泉水", "Mineral Water", "drinks", "standard"),
    ("五香瓜子", "Spiced Sunflower Seeds", "snacks", "standard"),
    ("东北大米", "Northeast Rice", "grocery", "reduced"),
    ("花生油", "Peanut Oil", "grocery", "reduced"),
    ("生抽酱油", "Light Soy Sauce", "grocery", "standard"),
    ("速冻水饺", "Frozen Dumplings", "frozen", "standard"),
    ("洗衣液", "Laundry Liquid", "household", "standard"),
    ("牙膏", "Toothpaste", "personal_care", "standard"),
    ("抽纸", "Facial Tissues", "household", "standard"),
)
_SIZES = (
    ("100g", "100 g"),
    ("250g", "250 g"),
    ("500g", "500 g"),
    ("1kg", "1 kg"),
    ("250ml", "250 ml"),
    ("500ml", "500 ml"),
    ("1L", "1 L"),
    ("6x330ml", "6 x 330 ml"),
    ("12卷", "12 rolls"),
)
_WEIGHED = (
    ("红富士苹果", "Fuji Apples", "produce", "reduced"),
    ("香蕉", "Bananas", "produce", "reduced"),
    ("大白菜", "Napa Cabbage", "produce", "exempt"),
    ("西红柿", "Tomatoes", "produce", "exempt"),
    ("卤牛肉", "Braised Beef", "deli", "standard"),
    ("五花肉", "Pork Belly", "meat", "exempt"),
)
_DRINKS_18 = (("啤酒", "Beer"), ("白酒", "Baijiu"), ("干红葡萄酒", "Dry Red Wine"))


def _digit_sums(width: int, first_index: int) -> list[int]:
    """GS1 weighted digit sums of every `width`-digit number at body index `first_index`.

    In a 12-digit body the weight is 3 at odd indices (counting from 0 at the left) and 1
    at even ones, so the check digit needs only two table look-ups per GTIN.
    """
    weights = [3 if (first_index + k) % 2 else 1 for k in range(width)]
    sums = [0] * 10**width
    for number in range(10**width):
        digits = f"{number:0{width}d}"
        sums[number] = sum(int(d) * w for d, w in zip(digits, weights, strict=True))
    return sums


def _prefix_sum(prefix: str) -> int:
    return sum(int(d) * (3 if k % 2 else 1) for k, d in enumerate(prefix))


def write_synthetic_catalogue(path: Path, n: int, seed: int) -> None:
    """Write `n` valid catalogue items as CSV to `path` (deterministic for `seed`)."""
    if not 0 < n <= _MAX_ITEMS:
        raise ValueError(f"n must be between 1 and {_MAX_ITEMS}, got {n}")
    rng = random.Random(seed)
    high, low = _digit_sums(4, 3), _digit_sums(5, 7)
    first_sum, second_sum = _prefix_sum(_FIRST_PREFIX), _prefix_sum(_SECOND_PREFIX)
    offset = rng.randrange(_SPACE)
    kinds = rng.choices(range(100), k=n)
    picks = rng.choices(range(len(_BRANDS) * len(_PRODUCTS) * len(_SIZES)), k=n)
    prices = rng.choices(range(150, 20_000), k=n)
    plu = 100_000
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        rows: list[tuple[object, ...]] = []
        for i in range(n):
            ref = (i * _STRIDE + offset) % _SPACE
            hi, lo = divmod(ref, 100_000)
            body = f"{ref:09d}"
            gtins = f"{_FIRST_PREFIX}{body}{-(first_sum + high[hi] + low[lo]) % 10}"
            kind, pick, price = kinds[i], picks[i], prices[i]
            brand_zh, brand_en = _BRANDS[pick % len(_BRANDS)]
            if kind < 5:  # sold by kg, at the scale, by PLU
                zh, en, department, tax = _WEIGHED[pick % len(_WEIGHED)]
                plu += 1
                rows.append(
                    (f"SKU{i:08d}", "", plu, f"{brand_zh}{zh}", f"{brand_en} {en}", price,
                     "CNY", tax, "kg", department, 0, "", "", "", "", 1, "weighed")
                )  # fmt: skip
                continue
            if kind < 15:
                gtins += f"|{_SECOND_PREFIX}{body}{-(second_sum + high[hi] + low[lo]) % 10}"
            size_zh, size_en = _SIZES[pick % len(_SIZES)]
            if kind < 17:
                zh, en = _DRINKS_18[pick % len(_DRINKS_18)]
                department, tax, age = "drinks", "standard", 18
            else:
                zh, en, department, tax = _PRODUCTS[(pick // len(_BRANDS)) % len(_PRODUCTS)]
                age = 0
            weight, tolerance = ("", "") if kind < 25 else (price % 1500 + 20, 10 + price % 20)
            member = price * 9 // 10 if kind >= 90 else ""
            name_zh, name_en = f"{brand_zh}{zh} {size_zh}", f"{brand_en} {en} {size_en}"
            rows.append(
                (f"SKU{i:08d}", gtins, "", name_zh, name_en, price, "CNY", tax, "each",
                 department, age, weight, tolerance, member, "", 0 if kind == 99 else 1, "")
            )  # fmt: skip
            if len(rows) >= 50_000:
                writer.writerows(rows)
                rows.clear()
        writer.writerows(rows)


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        print("usage: python -m bench.catalogue_data OUT.csv N [SEED]", file=sys.stderr)
        return 2
    write_synthetic_catalogue(Path(argv[0]), int(argv[1]), int(argv[2]) if len(argv) > 2 else 1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
