"""Lane 02 fixtures: a CRM handoff body per API.md, a signed poster, and a ready-made buyer."""

import copy
import json
import time
from datetime import date

import pytest
from django.conf import settings
from django.test import Client

from buyers import rules, services, webhook

HANDOFF = {
    "deal_id": "CRM-DEAL-1042",
    "agent": {"email": "sales1@example.com", "name": "Sam Sales"},
    "account": {"name": "Acme Mining Pty Ltd", "crm_account_id": "ACC-77"},
    "billing_entity": {"legal_name": "Acme Mining Pty Ltd", "tax_number": "51 824 753 556",
                       "email": "accounts@acme.example",
                       "address": {"line1": "1 George St", "line2": "", "city": "Sydney",
                                   "region": "NSW", "postcode": "2000", "country": "AU"}},
    "contacts": [{"name": "Pat Buyer", "email": "pat@acme.example", "phone": "+61 2 5550 1234",
                  "role": "Event coordinator", "primary": True}],
    "booking": {"event_code": "GF2026", "package_code": "TABLE-10", "headcount": 10,
                "special_requirements": "2 vegetarian, 1 wheelchair space", "po_number": "PO-5531",
                "payment_schedule": [{"label": "Deposit", "due_date": "2026-12-01", "percent": "30"},
                                     {"label": "Balance", "due_date": "2027-01-15", "percent": "70"}]},
}
HANDOFF_URL = "/api/v1/crm/handoff"


@pytest.fixture
def handoff_body():
    """A fresh, mutable copy of the API.md example body."""
    return copy.deepcopy(HANDOFF)


def encode(body) -> bytes:
    return body if isinstance(body, bytes) else json.dumps(body).encode()


def signed(body, *, secret: str | None = None, timestamp: int | None = None) -> dict:
    """Django test-client headers for a delivery signed like the CRM does."""
    raw = encode(body)
    headers = webhook.signed_headers(secret or settings.EVENTCHAIN_CRM_WEBHOOK_SECRET, raw, timestamp=timestamp)
    return {"HTTP_X_EVENTCHAIN_TIMESTAMP": headers[webhook.TIMESTAMP_HEADER],
            "HTTP_X_EVENTCHAIN_SIGNATURE": headers[webhook.SIGNATURE_HEADER]}


@pytest.fixture
def deliver(db):
    """deliver(body) → the response to a correctly signed POST of `body` (dict or raw bytes)."""

    def post(body, client: Client | None = None, **sign_options):
        return (client or Client()).post(HANDOFF_URL, data=encode(body), content_type="application/json",
                                         **signed(body, **sign_options))

    return post


@pytest.fixture
def sales_agent(make_staff):
    return make_staff("sales", email="sales1@example.com")


def stale_timestamp() -> int:
    return int(time.time()) - webhook.MAX_SKEW_SECONDS - 5


@pytest.fixture
def buyer_setup(catalogue, make_staff):
    """build(complete=True) → (actor, buyer, booking): a draft booking; complete ones can be marked ready."""

    def build(*, name: str = "Harbour Bank", complete: bool = True, agent=None):
        actor = make_staff("sales")
        buyer = services.create_buyer(actor=actor, name=name, sales_agent=agent or actor)
        event = catalogue["GF2026"]
        package = event.packages.get(code="TABLE-10")
        entity = None
        if complete:
            services.add_contact(actor=actor, buyer_id=buyer.pk, name="Pat Buyer", email=f"pat@{buyer.pk}.example")
            entity = services.add_billing_entity(
                actor=actor, buyer_id=buyer.pk, legal_name=f"{name} Ltd", tax_number="51824753556",
                email="ap@bank.example", address_line1="1 Bank St", city="Sydney", postcode="2000", country="AU",
            )
        booking = services.create_booking(actor=actor, buyer_id=buyer.pk, event=event, package=package,
                                          headcount=25, billing_entity=entity)
        if complete:
            services.confirm_event_details(actor=actor, booking_id=booking.pk)
            services.set_deposit_terms(actor=actor, booking_id=booking.pk, po_number="PO-1", installments=[
                rules.installment("Deposit", date(2026, 12, 1), percent="50"),
                rules.installment("Balance", date(2027, 1, 15), percent="50"),
            ])
        return actor, buyer, booking

    return build
