"""Money: Decimal amounts in the organisation's currency, rounded per line half-up to cents like Xero."""

from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

from django.conf import settings

CENT = Decimal("0.01")


def currency() -> str:
    return settings.EVENTCHAIN_CURRENCY


def to_cents(amount: Decimal | int | str) -> Decimal:
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def format_money(amount: Decimal) -> str:
    """'1234.50' — the API's decimal-string form."""
    return str(to_cents(amount))


@dataclass(frozen=True)
class Line:
    description: str
    quantity: Decimal
    unit_amount: Decimal
    tax_rate: Decimal

    @property
    def line_amount(self) -> Decimal:
        return to_cents(self.quantity * self.unit_amount)

    @property
    def tax_amount(self) -> Decimal:
        # Tax is rounded on each line, then summed: Xero's rule, which can differ from rounding the total.
        return to_cents(self.line_amount * self.tax_rate)


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    tax: Decimal
    total: Decimal


def totals(lines: list[Line]) -> Totals:
    subtotal = sum((line.line_amount for line in lines), Decimal("0.00"))
    tax = sum((line.tax_amount for line in lines), Decimal("0.00"))
    return Totals(subtotal=subtotal, tax=tax, total=subtotal + tax)


def split_by_percent(total: Decimal, percents: list[Decimal]) -> list[Decimal]:
    """Split `total` into cent amounts by percentages; the last part's share is what the others leave.

    Largest remainder: each part is its exact share rounded down to the cent, and the cents left over go to
    the parts with the largest fractions (earlier first on ties). The parts add up to the total, none is more
    than a cent from its exact share, and none goes negative (rounding each part half-up could push the
    last one below zero when many shares end in half a cent).
    """
    whole = to_cents(total)
    if not percents:
        return [whole]
    sign = -1 if whole < 0 else 1
    cents = abs(whole) / CENT
    shares = [cents * pct / 100 for pct in percents[:-1]]
    shares.append(cents - sum(shares, Decimal(0)))
    floors = [share.to_integral_value(rounding=ROUND_FLOOR) for share in shares]
    left_over = int(cents - sum(floors, Decimal(0)))
    by_fraction = sorted(range(len(shares)), key=lambda i: (-(shares[i] - floors[i]), i))
    for index in by_fraction[:left_over]:
        floors[index] += 1
    return [sign * (amount * CENT).quantize(CENT) for amount in floors]


def display(amount) -> str:
    """'28,500.00' for people: grouped, two decimals, half-up like the ledger; '—' when there is none."""
    if amount in (None, ""):
        return "—"
    return f"{to_cents(Decimal(amount)):,.2f}"
