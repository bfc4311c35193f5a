from decimal import Decimal

from eventchain import money


def test_tax_is_rounded_per_line_like_xero():
    lines = [money.Line("Seat", Decimal("1"), Decimal(a), Decimal("0.15")) for a in ("25.43", "25.43", "25.47")]
    totals = money.totals(lines)
    assert totals.tax == Decimal("11.44")
    # Rounding the total instead would give 11.45: the per-line rule is what makes the difference.
    assert money.to_cents(totals.subtotal * Decimal("0.15")) == Decimal("11.45")
    assert totals.total == Decimal("87.77")


def test_half_up_rounding_to_cents():
    assert money.to_cents(Decimal("2.675")) == Decimal("2.68")
    assert money.to_cents(Decimal("2.665")) == Decimal("2.67")
    assert money.format_money(Decimal("1234.5")) == "1234.50"


def test_line_amount_multiplies_quantity_then_rounds():
    line = money.Line("Club seat", Decimal("3"), Decimal("650.00"), Decimal("0.10"))
    assert line.line_amount == Decimal("1950.00")
    assert line.tax_amount == Decimal("195.00")


def test_split_by_percent_gives_the_remainder_to_the_last_part():
    parts = money.split_by_percent(Decimal("100.00"), [Decimal("33.333"), Decimal("33.333"), Decimal("33.334")])
    assert parts == [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]
    assert sum(parts) == Decimal("100.00")


def test_currency_comes_from_settings(settings):
    settings.EVENTCHAIN_CURRENCY = "NZD"
    assert money.currency() == "NZD"
