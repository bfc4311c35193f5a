"""Properties of the money helpers over arbitrary amounts (issue 9 part 6)."""

from decimal import Decimal

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from eventchain import money

BOUNDED = settings(max_examples=200, deadline=None, derandomize=True)
CENT = Decimal("0.01")

cent_amounts = st.integers(0, 10**9).map(lambda cents: Decimal(cents) * CENT)  # up to ten million dollars
unit_amounts = st.decimals(min_value=0, max_value=100_000, places=4, allow_nan=False, allow_infinity=False)
quantities = st.integers(1, 500).map(Decimal)
tax_rates = st.sampled_from(["0", "0.10", "0.15", "0.125", "0.0825", "0.20"]).map(Decimal)
lines = st.builds(money.Line, description=st.just("Seat"), quantity=quantities, unit_amount=unit_amounts,
                  tax_rate=tax_rates)


@st.composite
def percent_splits(draw):
    """Percentages with up to three decimals that total exactly 100, as deposit terms must."""
    count = draw(st.integers(1, 12))
    cuts = sorted(draw(st.lists(st.integers(0, 100_000), min_size=count - 1, max_size=count - 1)))
    bounds = [0, *cuts, 100_000]
    return [Decimal(high - low) / 1000 for low, high in zip(bounds, bounds[1:], strict=False)]


def is_cents(amount: Decimal) -> bool:
    return amount == amount.quantize(CENT)


@BOUNDED
@given(items=st.lists(lines, max_size=15))
def test_invoice_totals_are_the_sums_of_rounded_lines(items):
    totals = money.totals(items)
    assert totals.subtotal == sum((line.line_amount for line in items), Decimal(0))
    assert totals.tax == sum((line.tax_amount for line in items), Decimal(0))
    assert totals.total == totals.subtotal + totals.tax
    assert all(is_cents(value) for value in (totals.subtotal, totals.tax, totals.total))
    assert totals.subtotal >= 0 and totals.tax >= 0


@BOUNDED
@given(line=lines)
def test_each_line_is_within_half_a_cent_of_exact_and_tax_follows_its_rate(line):
    exact = line.quantity * line.unit_amount
    assert abs(line.line_amount - exact) <= Decimal("0.005")
    assert abs(line.tax_amount - line.line_amount * line.tax_rate) <= Decimal("0.005")
    # Tax-inclusive total back to ex-tax: dividing by (1 + rate) lands within a cent of the line amount.
    inclusive = line.line_amount + line.tax_amount
    assert abs(money.to_cents(inclusive / (1 + line.tax_rate)) - line.line_amount) <= CENT
    assert line.line_amount >= 0 and line.tax_amount >= 0


@BOUNDED
@given(total=cent_amounts, percents=percent_splits())
def test_a_split_adds_up_to_the_whole_and_each_part_is_within_a_cent_of_its_share(total, percents):
    parts = money.split_by_percent(total, percents)
    assert len(parts) == len(percents)
    assert sum(parts, Decimal(0)) == total
    for part, percent in zip(parts, percents, strict=True):
        assert is_cents(part)
        assert part >= 0
        assert abs(part - total * percent / 100) < CENT


@BOUNDED
@given(total=cent_amounts.filter(lambda amount: amount > 0), percents=percent_splits())
def test_a_negative_total_splits_as_the_mirror_of_the_positive_one(total, percents):
    assume(len(percents) > 1)
    assert money.split_by_percent(-total, percents) == [-part for part in money.split_by_percent(total, percents)]


@BOUNDED
@given(amount=st.decimals(min_value=-10**9, max_value=10**9, places=6, allow_nan=False, allow_infinity=False))
def test_rounding_to_cents_is_half_up_and_idempotent(amount):
    rounded = money.to_cents(amount)
    assert is_cents(rounded)
    assert money.to_cents(rounded) == rounded
    assert abs(rounded - amount) <= Decimal("0.005")
    assert money.format_money(amount) == f"{rounded:.2f}"
