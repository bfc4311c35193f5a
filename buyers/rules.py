"""Pure checks shared by the services, the CRM handoff and the console forms (no database writes)."""

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from eventchain.money import split_by_percent, to_cents

ABN_WEIGHTS = (10, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19)
HUNDRED = Decimal("100")


def abn_digits(value: str) -> str:
    return re.sub(r"[\s-]", "", value or "")


def abn_is_valid(value: str) -> bool:
    """The ATO check: subtract 1 from the first digit, weight the 11 digits, the sum divides by 89."""
    digits = abn_digits(value)
    if len(digits) != 11 or not digits.isdigit() or digits[0] == "0":
        return False
    numbers = [int(d) for d in digits]
    numbers[0] -= 1
    return sum(weight * n for weight, n in zip(ABN_WEIGHTS, numbers, strict=True)) % 89 == 0


def format_abn(value: str) -> str:
    """'51824753556' → '51 824 753 556', the way the ABN register prints it."""
    d = abn_digits(value)
    return f"{d[:2]} {d[2:5]} {d[5:8]} {d[8:]}"


def tax_number_error(tax_number: str, country: str) -> str | None:
    """Why a billing entity's tax number is unacceptable, or None."""
    if (country or "").upper() != "AU" or not tax_number:
        return None
    if not abn_is_valid(tax_number):
        return (
            f"'{tax_number}' is not a valid ABN: it needs 11 digits that pass the ABN checksum "
            "(check it on abr.business.gov.au)"
        )
    return None


@dataclass(frozen=True)
class Installment:
    """One requested line of a payment schedule, before it is stored."""

    label: str
    due_date: date | None
    percent: Decimal | None = None
    amount: Decimal | None = None


def _decimal(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return Decimal("NaN")


def installment(label: str, due_date: date | None, percent=None, amount=None) -> Installment:
    return Installment(label=(label or "").strip(), due_date=due_date, percent=_decimal(percent),
                       amount=_decimal(amount))


def schedule_errors(installments: list[Installment], booking_value: Decimal, *, field: str) -> list[dict]:
    """Every problem with a payment schedule, each naming `field` or `field.<row>.<column>`.

    A schedule is all percentages totalling 100, or all fixed amounts totalling the booking value;
    due dates run in order.
    """
    if not installments:
        return [{"field": field, "message": "add at least one installment (e.g. Deposit 30%, Balance 70%)"}]
    errors: list[dict] = []
    for row, line in enumerate(installments):
        where = f"{field}.{row}"
        if not line.label:
            errors.append({"field": f"{where}.label", "message": "give the installment a label, e.g. Deposit"})
        if line.due_date is None:
            errors.append({"field": f"{where}.due_date", "message": "give a due date (YYYY-MM-DD)"})
        if (line.percent is None) == (line.amount is None):
            errors.append({"field": where, "message": "give either a percent or an amount, not both"})
            continue
        share = line.percent if line.percent is not None else line.amount
        column = "percent" if line.percent is not None else "amount"
        if not share.is_finite() or share <= 0:
            errors.append({"field": f"{where}.{column}", "message": "must be a number greater than 0"})
    if errors:
        return errors
    dates = [line.due_date for line in installments]
    if dates != sorted(dates):
        errors.append({"field": field, "message": "due dates must be in order, earliest first"})
    kinds = {line.percent is not None for line in installments}
    if len(kinds) > 1:
        errors.append({"field": field, "message": "use percentages on every line or amounts on every line, not both"})
    elif kinds == {True}:
        total = sum(line.percent for line in installments)
        if total != HUNDRED:
            errors.append({"field": field, "message": f"percentages total {total.normalize():f}%, not 100%"})
    else:
        total = to_cents(sum(line.amount for line in installments))
        if total != to_cents(booking_value):
            errors.append({
                "field": field,
                "message": f"amounts total {total}, but the booking is worth {to_cents(booking_value)} (ex tax)",
            })
    return errors


def installment_amounts(installments, booking_value: Decimal) -> list[Decimal]:
    """What each stored installment asks for in money; percentages split the value to the cent."""
    if installments and all(line.percent is not None for line in installments):
        return split_by_percent(booking_value, [line.percent for line in installments])
    return [to_cents(line.amount) for line in installments]


# What an invoice needs from a billing entity, besides a valid ABN for Australian entities.
BILLING_REQUIRED = {
    "legal_name": "legal name", "email": "invoice email", "address_line1": "address",
    "city": "city", "postcode": "postcode", "country": "country",
}


def missing_billing_items(entity) -> list[str]:
    """What an invoice to this billing entity would lack; empty when it is complete."""
    missing = [label for name, label in BILLING_REQUIRED.items() if not getattr(entity, name)]
    if entity.country == "AU" and not abn_is_valid(entity.tax_number):
        missing.append("a valid ABN")
    return missing
