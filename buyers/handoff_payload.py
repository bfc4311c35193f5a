"""The CRM handoff body (API.md, lane 02): its shape, and every check that can run before writing.

Errors name payload paths such as "booking.event_code" or "contacts.0.email".
"""

import hashlib
import json
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from eventchain.errors import ValidationFailed
from eventchain.models import Event, Package

from . import rules
from .models import Booking


def _email(value: str) -> str:
    try:
        validate_email(value)
    except DjangoValidationError as exc:
        raise ValueError("enter a valid email address, e.g. accounts@acme.example") from exc
    return value.lower()


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    @field_validator("*", mode="after", check_fields=False)
    @classmethod
    def _no_nul_characters(cls, value):
        # PostgreSQL text cannot hold NUL; refuse it here as a field error instead of failing on save.
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(text, str) and "\x00" in text for text in texts):
            raise ValueError("must not contain NUL (\\x00) characters")
        return value


class AgentIn(_In):
    email: str = Field("", max_length=254)
    name: str = Field("", max_length=200)

    _check_email = field_validator("email")(lambda value: _email(value) if value else value)


class AccountIn(_In):
    name: str = Field(min_length=1, max_length=200)
    crm_account_id: str = Field(min_length=1, max_length=100)


class AddressIn(_In):
    line1: str = Field(min_length=1, max_length=200)
    line2: str = Field("", max_length=200)
    city: str = Field(min_length=1, max_length=100)
    region: str = Field("", max_length=100)
    postcode: str = Field(min_length=1, max_length=20)
    country: str = Field("AU", pattern=r"^[A-Za-z]{2}$", description="ISO 3166 two-letter code")


class BillingEntityIn(_In):
    legal_name: str = Field(min_length=1, max_length=200)
    tax_number: str = Field("", max_length=40, description="ABN for Australian entities")
    email: str = Field(max_length=254, description="Where invoices are sent")
    address: AddressIn

    _check_email = field_validator("email")(_email)


class ContactIn(_In):
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(max_length=254)
    phone: str = Field("", max_length=40)
    role: str = Field("", max_length=100)
    primary: bool = False
    # Optional (API.md): true/false as recorded in the CRM; absent or null leaves EventChain's value alone.
    marketing_consent: bool | None = None

    _check_email = field_validator("email")(_email)


class InstallmentIn(_In):
    label: str = Field(min_length=1, max_length=100)
    due_date: date
    percent: Decimal | None = Field(None, max_digits=6, decimal_places=3)
    amount: Decimal | None = Field(None, max_digits=12, decimal_places=2)


class BookingIn(_In):
    event_code: str = Field(min_length=1, max_length=32)
    package_code: str = Field(min_length=1, max_length=32)
    headcount: int = Field(ge=1, le=100_000)
    special_requirements: str = Field("", max_length=5000)
    po_number: str = Field("", max_length=100)
    payment_schedule: list[InstallmentIn] = Field(min_length=1)


class HandoffIn(_In):
    deal_id: str = Field(min_length=1, max_length=100)
    agent: AgentIn | None = None
    account: AccountIn
    billing_entity: BillingEntityIn
    contacts: list[ContactIn] = Field(min_length=1)
    booking: BookingIn


def _message(error: dict) -> str:
    if error.get("type") == "missing":
        return "is required"
    message = error.get("msg", "is invalid")
    message = message.removeprefix("Value error, ")
    return message[:1].lower() + message[1:]


def parse(raw_body: bytes) -> HandoffIn:
    """The payload, or ValidationFailed listing every field at fault."""
    try:
        data = json.loads(raw_body)
    except (ValueError, RecursionError) as exc:  # bad UTF-8 or JSON, an int over 4300 digits, deep nesting
        raise ValidationFailed(f"The body is not valid JSON: {exc}.") from exc
    if not isinstance(data, dict):
        raise ValidationFailed("The body must be a JSON object (see API.md, CRM handoff).")
    try:
        return HandoffIn.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed.from_list(
            [{"field": ".".join(str(part) for part in e["loc"]) or None, "message": _message(e)}
             for e in exc.errors()]
        ) from exc


def payload_hash(payload: HandoffIn) -> str:
    """Same deal, same content → same hash, whatever the key order or whitespace of the JSON."""
    canonical = json.dumps(payload.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def deal_id_of(raw_body: bytes) -> str:
    """Best effort, for listing deliveries before (or without) a valid signature."""
    try:
        data = json.loads(raw_body)
    except (ValueError, RecursionError):
        return ""
    deal = data.get("deal_id") if isinstance(data, dict) else None
    if not isinstance(deal, str | int):
        return ""
    # Stored before the body is validated: PostgreSQL text holds neither NUL nor unpaired surrogates.
    return str(deal).replace("\x00", "\ufffd").encode("utf-8", "replace").decode()[:100]


def installments(payload: HandoffIn) -> list[rules.Installment]:
    return [rules.installment(line.label, line.due_date, line.percent, line.amount)
            for line in payload.booking.payment_schedule]


def resolve_catalogue(payload: HandoffIn) -> tuple[Event, Package]:
    """The event and package the booking names, or ValidationFailed naming every problem with the payload."""
    errors: list[dict] = []
    primaries = [n for n, contact in enumerate(payload.contacts) if contact.primary]
    if len(primaries) != 1:
        errors.append({"field": "contacts", "message": f"mark exactly one contact as primary ({len(primaries)} are)"})
    seen: set[str] = set()
    for n, contact in enumerate(payload.contacts):
        if contact.email in seen:
            errors.append({"field": f"contacts.{n}.email", "message": f"{contact.email} is listed twice"})
        seen.add(contact.email)

    billing = payload.billing_entity
    if billing.address.country.upper() == "AU":
        if not billing.tax_number:
            errors.append({"field": "billing_entity.tax_number", "message": "an Australian billing entity needs its ABN"})
        elif (problem := rules.tax_number_error(billing.tax_number, "AU")) is not None:
            errors.append({"field": "billing_entity.tax_number", "message": problem})

    wanted = payload.booking
    # Event and package in one query; the event alone is looked up only to say which code is wrong.
    package = (Package.objects.select_related("event")
               .filter(event__code=wanted.event_code, code=wanted.package_code).first())
    event = package.event if package else Event.objects.filter(code=wanted.event_code).first()
    if event is None:
        errors.append({"field": "booking.event_code", "message": f"no event has the code {wanted.event_code!r}"})
    elif event.status in (Event.Status.CLOSED, Event.Status.CANCELLED):
        errors.append({"field": "booking.event_code",
                       "message": f"{event.code} is {event.get_status_display().lower()}; it takes no bookings"})
    if event is not None:
        if package is None:
            errors.append({"field": "booking.package_code",
                           "message": f"{event.code} sells no package with the code {wanted.package_code!r}"})
        elif not package.active:
            errors.append({"field": "booking.package_code", "message": f"package {package.code} is no longer sold"})
    if package is not None:
        value = Booking(package=package, headcount=wanted.headcount).value
        errors += rules.schedule_errors(installments(payload), value, field="booking.payment_schedule")
    else:
        # Without a package there is no value to check amounts against; percentages can still be checked.
        percent_only = [line for line in installments(payload) if line.amount is None]
        if len(percent_only) == len(wanted.payment_schedule):
            errors += rules.schedule_errors(percent_only, 0, field="booking.payment_schedule")
    if errors:
        raise ValidationFailed.from_list(errors)
    return event, package
