"""The receipt (SPEC section 3 "Receipts"): one model, laid out once, rendered many ways.

`layout` turns a `Receipt` into lines of monospaced text for a paper width; the plain
text renderer here, the ESC/POS renderer (kiosk.receipts.escpos) and the PNG preview
(kiosk.receipts.png) all draw that same layout, so what the shopper sees on paper is
what the tests read. Pure: no I/O, no clock (the receipt carries its time).
"""

from __future__ import annotations

import enum
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from kiosk.domain.catalogue import LOCALES
from kiosk.domain.money import Money, currency
from kiosk.errors import KioskError

RETURNS_QR_PREFIX = "TX:"
MIN_COLUMNS = 24  # below this the tax table and amount columns no longer make sense


class ReceiptError(KioskError):
    """A receipt's data is inconsistent (sums, currencies, unmasked ids) or unprintable."""


class Paper(enum.Enum):
    """Thermal paper widths: columns of font A (12 dots) and printable dots per line."""

    MM58 = (32, 384)
    MM80 = (48, 576)

    @property
    def columns(self) -> int:
        return self.value[0]

    @property
    def dots(self) -> int:
        return self.value[1]


# Headings, keyed by locale. Both locales hold the same keys (tests check this).
LABELS: Mapping[str, Mapping[str, str]] = {
    "zh_CN": {
        "store": "门店",
        "kiosk": "终端",
        "transaction": "交易号",
        "time": "时间",
        "tax_id": "税号",
        "items": "件数",
        "subtotal": "小计",
        "savings": "优惠",
        "tax": "税",
        "total": "合计",
        "change": "找零",
        "auth": "授权号",
        "tax_rate": "税率",
        "net": "不含税",
        "tax_amount": "税额",
        "gross": "含税",
        "member": "会员",
        "points_earned": "本次积分",
        "points_balance": "积分余额",
    },
    "en": {
        "store": "Store",
        "kiosk": "Kiosk",
        "transaction": "Transaction",
        "time": "Time",
        "tax_id": "Tax ID",
        "items": "Items",
        "subtotal": "Subtotal",
        "savings": "Savings",
        "tax": "Tax",
        "total": "Total",
        "change": "Change",
        "auth": "Auth",
        "tax_rate": "Rate",
        "net": "Net",
        "tax_amount": "Tax",
        "gross": "Gross",
        "member": "Member",
        "points_earned": "Points earned",
        "points_balance": "Points balance",
    },
}


def returns_qr_payload(transaction_id: str) -> str:
    """The QR payload that identifies a transaction for returns: "TX:<id>"."""
    return f"{RETURNS_QR_PREFIX}{transaction_id}"


# ---------------------------------------------------------------- model


def _check_masked(value: str, what: str) -> None:
    # A receipt never shows more than the last 4 digits of a card or member number.
    if sum(c.isdigit() for c in value) > 4:
        raise ReceiptError(f"{what} {'*' * len(value)} shows more than 4 digits; mask it first")


@dataclass(frozen=True, slots=True)
class StoreHeader:
    """Who sold: store name per locale, address and tax id, printed at the top."""

    names: dict[str, str]
    address: str
    tax_id: str

    def name(self, locale: str) -> str:
        """The store name in `locale`, falling back to any name it has."""
        for key in (locale, *LOCALES):
            if key in self.names:
                return self.names[key]
        return ""


@dataclass(frozen=True, slots=True)
class ReceiptDiscount:
    """One explained discount: the rule's label and the reduction (a positive amount)."""

    label: str
    amount: Money

    def __post_init__(self) -> None:
        if self.amount.minor < 0:
            raise ReceiptError(f"discount {self.label!r} has a negative reduction {self.amount}")


@dataclass(frozen=True, slots=True)
class ReceiptLine:
    """A sold line: `quantity` × `unit_price`, or `weight_g` at `unit_price` per kg.

    `amount` is the line's price before its `discounts`, which print under it.
    """

    name: str
    unit_price: Money
    amount: Money
    quantity: int = 1
    weight_g: int | None = None
    discounts: tuple[ReceiptDiscount, ...] = ()

    def __post_init__(self) -> None:
        if self.quantity < 1:
            raise ReceiptError(f"line {self.name!r}: quantity {self.quantity} is below 1")
        if self.weight_g is not None and (self.weight_g <= 0 or self.quantity != 1):
            raise ReceiptError(
                f"line {self.name!r}: weighed lines need weight_g > 0 and quantity 1, "
                f"got weight_g={self.weight_g} quantity={self.quantity}"
            )


@dataclass(frozen=True, slots=True)
class TaxRow:
    """One tax rate's share: its label ("13%"), net, tax and gross amounts."""

    rate_label: str
    net: Money
    tax: Money
    gross: Money

    def __post_init__(self) -> None:
        if self.net + self.tax != self.gross:
            raise ReceiptError(
                f"tax row {self.rate_label!r}: net {self.net} + tax {self.tax} "
                f"!= gross {self.gross}"
            )


@dataclass(frozen=True, slots=True)
class ReceiptPayment:
    """A payment: method label (localised by the caller), amount, masked card/account
    reference ("**** 1234") and the terminal's authorisation or trace number."""

    method: str
    amount: Money
    masked_reference: str = ""
    auth_number: str = ""

    def __post_init__(self) -> None:
        _check_masked(self.masked_reference, f"payment {self.method!r} reference")


@dataclass(frozen=True, slots=True)
class ReceiptMember:
    """The loyalty member: masked id, points earned now, balance if known."""

    masked_id: str
    points_earned: int
    points_balance: int | None = None

    def __post_init__(self) -> None:
        _check_masked(self.masked_id, "member id")


@dataclass(frozen=True, slots=True)
class Receipt:
    """Everything printed on one receipt; amounts are `Money` of a single currency.

    Sums are checked on construction: subtotal = Σ line amounts; savings = Σ line and
    basket discounts; total = subtotal − savings (+ Σ tax when prices exclude tax);
    Σ payments − change = total. A receipt that does not add up is a `ReceiptError`.
    """

    store: StoreHeader
    store_id: str
    kiosk_id: str
    transaction_id: str
    issued_at: datetime
    locale: str
    lines: tuple[ReceiptLine, ...]
    subtotal: Money
    savings: Money
    total: Money
    taxes: tuple[TaxRow, ...]
    payments: tuple[ReceiptPayment, ...]
    change: Money
    qr_payload: str | None
    member: ReceiptMember | None = None
    basket_discounts: tuple[ReceiptDiscount, ...] = ()
    footer: tuple[str, ...] = ()
    copy_label: str | None = None
    tax_included: bool = True

    def __post_init__(self) -> None:
        where = f"receipt {self.transaction_id!r}"
        if self.locale not in LOCALES:
            raise ReceiptError(f"{where}: locale {self.locale!r} is not one of {LOCALES}")
        code = self.total.currency
        for amount in self._amounts():
            if amount.currency != code:
                raise ReceiptError(f"{where}: amount {amount} is not in {code}")
        checks = (
            ("subtotal", self.subtotal, self._sum(line.amount for line in self.lines)),
            (
                "savings",
                self.savings,
                self._sum(d.amount for d in (*self._line_discounts(), *self.basket_discounts)),
            ),
            ("total", self.total, self.subtotal - self.savings + self.exclusive_tax),
            (
                "payments - change",
                self._sum(p.amount for p in self.payments) - self.change,
                self.total,
            ),
        )
        for name, actual, expected in checks:
            if actual != expected:
                raise ReceiptError(f"{where}: {name} is {actual}, the lines add up to {expected}")
        if self.change.minor < 0:
            raise ReceiptError(f"{where}: change {self.change} is negative")
        if self.qr_payload == "" or self.copy_label == "":
            raise ReceiptError(f"{where}: qr_payload and copy_label are None or non-empty")

    @property
    def currency(self) -> str:
        return self.total.currency

    @property
    def exclusive_tax(self) -> Money:
        """Tax added on top of the prices (zero when prices include tax)."""
        if self.tax_included:
            return Money.zero(self.total.currency)
        return self._sum(row.tax for row in self.taxes)

    def label(self, key: str) -> str:
        """A heading in the receipt's locale (see `LABELS`)."""
        return LABELS[self.locale][key]

    def _sum(self, amounts: Iterable[Money]) -> Money:
        return sum(amounts, Money.zero(self.total.currency))

    def _line_discounts(self) -> Iterable[ReceiptDiscount]:
        return (d for line in self.lines for d in line.discounts)

    def _amounts(self) -> Iterable[Money]:
        yield from (self.subtotal, self.savings, self.change)
        for line in self.lines:
            yield from (line.unit_price, line.amount)
        yield from (d.amount for d in (*self._line_discounts(), *self.basket_discounts))
        for row in self.taxes:
            yield from (row.net, row.tax, row.gross)
        yield from (p.amount for p in self.payments)


# ---------------------------------------------------------------- layout


class Align(enum.Enum):
    LEFT = "left"
    CENTER = "center"


@dataclass(frozen=True, slots=True)
class TextLine:
    """One printed line. Unpadded for CENTER; `double` lines (double width and height)
    are at most half the columns wide."""

    text: str
    align: Align = Align.LEFT
    bold: bool = False
    double: bool = False


@dataclass(frozen=True, slots=True)
class QrCode:
    """A QR code carrying `payload`, printed centred."""

    payload: str


Block = TextLine | QrCode


def char_width(char: str, *, double_byte_cells: bool = False) -> int:
    """Columns `char` takes: East Asian wide/full-width 2, combining 0, others 1.

    With `double_byte_cells`, every non-ASCII character takes 2: that is how an ESC/POS
    printer in Chinese mode prints it (drivers.printer.cjk writes it double-byte).
    """
    if double_byte_cells:
        return 1 if ord(char) < 0x80 else 2
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def text_width(text: str, *, double_byte_cells: bool = False) -> int:
    """Columns `text` takes on a monospaced display or printer (see `char_width`)."""
    return sum(char_width(c, double_byte_cells=double_byte_cells) for c in text)


def _clean(text: str) -> str:
    # Control and format characters and line separators would break the layout (or be
    # taken as printer commands): show them as "?".
    text = unicodedata.normalize("NFC", text)
    return "".join(
        "?" if unicodedata.category(c)[0] == "C" or unicodedata.category(c) in ("Zl", "Zp") else c
        for c in text
    )


# Closing punctuation that must not start a line (the usual Chinese line-breaking rule).
_NO_LINE_START = frozenset("，。、；：！？）】》」』”’,.;:!?)]}%")


class _Layout:
    """Builds the line list for one receipt at one width."""

    def __init__(self, receipt: Receipt, columns: int, double_byte_cells: bool) -> None:
        if columns < MIN_COLUMNS:
            raise ReceiptError(f"cannot lay out a receipt in {columns} columns (min {MIN_COLUMNS})")
        self.receipt = receipt
        self.columns = columns
        self.dbc = double_byte_cells
        self.blocks: list[Block] = []

    def width(self, text: str) -> int:
        return text_width(text, double_byte_cells=self.dbc)

    def wrap(self, text: str, width: int) -> list[str]:
        """Greedy wrap at `width` columns: at the last space when there is one, else
        between characters (Chinese has no spaces)."""
        lines: list[str] = []
        current: list[str] = []
        used = 0
        for char in _clean(text):
            w = char_width(char, double_byte_cells=self.dbc)
            if used + w > width:
                space = "".join(current).rfind(" ")
                if space > 0:
                    lines.append("".join(current[:space]).rstrip())
                    current = current[space + 1 :]
                    while current and current[0] == " ":
                        del current[0]
                elif char in _NO_LINE_START and len(current) > 1:
                    lines.append("".join(current[:-1]))  # keep "）" with what it closes
                    current = current[-1:]
                else:
                    lines.append("".join(current))
                    current = []
                used = self.width("".join(current))
                if used + w > width:
                    lines.append("".join(current))
                    current, used = [], 0
            if char == " " and not current and lines:
                continue  # no leading space on a continuation line
            current.append(char)
            used += w
        lines.append("".join(current).rstrip())
        return lines

    def rule(self) -> None:
        self.blocks.append(TextLine("-" * self.columns))

    def center(self, text: str, *, bold: bool = False, double: bool = False) -> None:
        width = self.columns // 2 if double else self.columns
        for part in self.wrap(text, width):
            self.blocks.append(TextLine(part.strip(), Align.CENTER, bold, double))

    def left(self, text: str, *, indent: int = 0, bold: bool = False) -> None:
        for part in self.wrap(text, self.columns - indent):
            self.blocks.append(TextLine((" " * indent + part).rstrip(), bold=bold))

    def pair(self, left: str, right: str, *, indent: int = 0, bold: bool = False) -> None:
        """`left` at the left margin (+indent), `right` right-aligned on its last line."""
        right = _clean(right)
        room = self.columns - indent - self.width(right) - 1
        if room < min(6, self.width(left)):  # no room beside `right`: give each its own lines
            self.left(left, indent=indent, bold=bold)
            for part in self.wrap(right, self.columns):
                pad = self.columns - self.width(part)
                self.blocks.append(TextLine(" " * pad + part, bold=bold))
            return
        parts = self.wrap(left, room)
        for part in parts[:-1]:
            self.blocks.append(TextLine((" " * indent + part).rstrip(), bold=bold))
        last = " " * indent + parts[-1]
        pad = self.columns - self.width(last) - self.width(right)
        self.blocks.append(TextLine(last + " " * pad + right, bold=bold))

    def money(self, amount: Money) -> str:
        return amount.format(self.receipt.locale)

    def plain(self, amount: Money) -> str:
        """An amount without currency symbol, for item lines and the tax table."""
        return self.money(amount).replace(currency(amount.currency).symbol, "", 1)


def _header(b: _Layout, r: Receipt) -> None:
    if r.copy_label is not None:
        b.center(f"*** {r.copy_label} ***", bold=True)
    b.center(r.store.name(r.locale), double=True)
    if r.store.address:
        b.center(r.store.address)
    if r.store.tax_id:
        b.center(f"{r.label('tax_id')}: {r.store.tax_id}")
    b.rule()
    b.pair(f"{r.label('store')} {r.store_id}", f"{r.label('kiosk')} {r.kiosk_id}")
    b.pair(r.label("transaction"), r.transaction_id)
    b.pair(r.label("time"), r.issued_at.strftime("%Y-%m-%d %H:%M:%S"))
    b.rule()


def _lines(b: _Layout, r: Receipt) -> None:
    for line in r.lines:
        amount = b.plain(line.amount)
        if line.weight_g is not None:
            kg, g = divmod(line.weight_g, 1000)
            b.left(line.name)
            b.pair(f"{kg}.{g:03d}kg x {b.plain(line.unit_price)}/kg", amount, indent=2)
        elif line.quantity != 1:
            b.left(line.name)
            b.pair(f"{line.quantity} x {b.plain(line.unit_price)}", amount, indent=2)
        else:
            b.pair(line.name, amount)
        for discount in line.discounts:
            b.pair(discount.label, b.plain(-discount.amount), indent=2)
    for discount in r.basket_discounts:  # 满减 and other basket-wide rules
        b.pair(discount.label, b.plain(-discount.amount))
    b.rule()
    count = sum(1 if line.weight_g is not None else line.quantity for line in r.lines)
    b.pair(r.label("items"), str(count))


def _totals(b: _Layout, r: Receipt) -> None:
    b.pair(r.label("subtotal"), b.money(r.subtotal))
    if not r.savings.is_zero():
        b.pair(r.label("savings"), b.money(-r.savings))
    if not r.tax_included:
        b.pair(r.label("tax"), b.money(r.exclusive_tax))
    b.pair(r.label("total"), b.money(r.total), bold=True)
    b.rule()
    for payment in r.payments:
        b.pair(payment.method, b.money(payment.amount))
        details = [payment.masked_reference] if payment.masked_reference else []
        if payment.auth_number:
            details.append(f"{r.label('auth')} {payment.auth_number}")
        if details:
            b.left("  ".join(details), indent=2)
    if not r.change.is_zero():
        b.pair(r.label("change"), b.money(r.change))


def _tax_table(b: _Layout, r: Receipt) -> None:
    if not r.taxes:
        return
    b.rule()
    heads = [r.label(k) for k in ("tax_rate", "net", "tax_amount", "gross")]
    rows = [
        [_clean(t.rate_label), b.plain(t.net), b.plain(t.tax), b.plain(t.gross)] for t in r.taxes
    ]
    widths = [max(b.width(cells[i]) for cells in [heads, *rows]) for i in range(4)]
    if sum(widths) + 3 > b.columns:  # too wide for a table: one block per rate
        for t, cells in zip(r.taxes, rows, strict=True):
            b.left(f"{r.label('tax_rate')} {t.rate_label}")
            for head, value in zip(heads[1:], cells[1:], strict=True):
                b.pair(head, value, indent=2)
        return
    first = b.columns - sum(1 + w for w in widths[1:])
    for cells in [heads, *rows]:
        text = cells[0] + " " * (first - b.width(cells[0]))
        for cell, w in zip(cells[1:], widths[1:], strict=True):
            text += " " * (1 + w - b.width(cell)) + cell
        b.blocks.append(TextLine(text))


def _member_and_footer(b: _Layout, r: Receipt) -> None:
    if r.member is not None:
        b.rule()
        b.pair(r.label("member"), r.member.masked_id)
        b.pair(r.label("points_earned"), f"{r.member.points_earned:+d}")
        if r.member.points_balance is not None:
            b.pair(r.label("points_balance"), str(r.member.points_balance))
    if r.footer:
        b.rule()
        for text in r.footer:
            b.center(text)
    if r.qr_payload is not None:
        b.blocks.append(QrCode(r.qr_payload))
        b.center(r.qr_payload)


def layout(receipt: Receipt, columns: int, *, double_byte_cells: bool = False) -> tuple[Block, ...]:
    """The receipt as lines (and its QR code) for `columns` columns.

    No line is wider than `columns` as measured by `text_width` (with the same
    `double_byte_cells`); double-size lines are at most `columns // 2` wide.
    """
    b = _Layout(receipt, columns, double_byte_cells)
    _header(b, receipt)
    _lines(b, receipt)
    _totals(b, receipt)
    _tax_table(b, receipt)
    _member_and_footer(b, receipt)
    return tuple(b.blocks)


def render_text(receipt: Receipt, columns: int, *, double_byte_cells: bool = False) -> str:
    """The receipt as monospaced text, one line per printed line, no line wider than
    `columns` (CJK wide characters count 2). Centred lines are padded on the left;
    the QR code appears as its payload line. Ends with a newline."""
    out: list[str] = []
    for block in layout(receipt, columns, double_byte_cells=double_byte_cells):
        if isinstance(block, QrCode):
            continue
        text = block.text
        if block.align is Align.CENTER:
            pad = (columns - text_width(text, double_byte_cells=double_byte_cells)) // 2
            text = " " * pad + text
        out.append(text)
    return "\n".join(out) + "\n"
