"""Pure checks: ABN check digits and payment schedule totals."""

from datetime import date
from decimal import Decimal

import pytest

from buyers import rules


@pytest.mark.parametrize("abn", ["51 824 753 556", "51824753556", "53 004 085 616", "33-102-417-032"])
def test_valid_abns(abn):
    assert rules.abn_is_valid(abn)


@pytest.mark.parametrize("abn", ["51 824 753 557", "5182475355", "518247535561", "01 824 753 556", "ABN 51824753556", ""])
def test_invalid_abns(abn):
    assert not rules.abn_is_valid(abn)


def test_tax_number_is_only_checked_for_australian_entities():
    assert rules.tax_number_error("12345", "NZ") is None
    assert "not a valid ABN" in rules.tax_number_error("12345", "AU")
    assert rules.format_abn("51824753556") == "51 824 753 556"


def _line(label, day, **share):
    return rules.installment(label, date(2026, 12, day), **share)


def test_percentages_must_total_100():
    ok = [_line("Deposit", 1, percent="33.333"), _line("Second", 2, percent="33.333"),
          _line("Balance", 3, percent="33.334")]
    assert rules.schedule_errors(ok, Decimal("9500"), field="s") == []
    short = [_line("Deposit", 1, percent="30"), _line("Balance", 2, percent="60")]
    assert rules.schedule_errors(short, Decimal("9500"), field="s") == [
        {"field": "s", "message": "percentages total 90%, not 100%"}]


def test_amounts_must_total_the_booking_value():
    lines = [_line("Deposit", 1, amount="1000.00"), _line("Balance", 2, amount="8500.00")]
    assert rules.schedule_errors(lines, Decimal("9500.00"), field="s") == []
    [error] = rules.schedule_errors(lines, Decimal("19000.00"), field="s")
    assert "amounts total 9500.00, but the booking is worth 19000.00" in error["message"]


def test_due_dates_in_order_one_kind_and_positive_shares():
    out_of_order = [_line("Deposit", 5, percent="30"), _line("Balance", 1, percent="70")]
    assert "in order" in rules.schedule_errors(out_of_order, Decimal(1), field="s")[0]["message"]
    mixed = [_line("Deposit", 1, percent="30"), _line("Balance", 2, amount="10")]
    assert "not both" in rules.schedule_errors(mixed, Decimal(1), field="s")[0]["message"]
    negative = [_line("Deposit", 1, percent="-10"), _line("Balance", 2, percent="110")]
    assert rules.schedule_errors(negative, Decimal(1), field="s")[0]["field"] == "s.0.percent"
    assert rules.schedule_errors([], Decimal(1), field="s")[0]["field"] == "s"
    both = [rules.installment("X", date(2026, 1, 1), percent="100", amount="5")]
    assert rules.schedule_errors(both, Decimal(5), field="s")[0]["field"] == "s.0"


def test_percent_installments_split_the_value_to_the_cent():
    lines = [_line("A", 1, percent="33.333"), _line("B", 2, percent="33.333"), _line("C", 3, percent="33.334")]
    amounts = rules.installment_amounts(lines, Decimal("100.00"))
    assert sum(amounts) == Decimal("100.00") and amounts[0] == Decimal("33.33")
