"""Lane 02 demo rows: three buyers in different states, one handed over by the CRM. Idempotent."""

import json
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from eventchain.models import Event

from . import handoff, rules, services, webhook
from .models import Buyer, CrmHandoff

ACTOR = "demo-seed"


def _agent(email: str):
    return get_user_model().objects.get(email=email)


def _billing(buyer, legal_name: str, abn: str, email: str, line1: str, city: str, region: str, postcode: str):
    return services.add_billing_entity(actor=ACTOR, buyer_id=buyer.pk, legal_name=legal_name, tax_number=abn,
                                       email=email, address_line1=line1, city=city, region=region,
                                       postcode=postcode, country="AU")


def _package(event_code: str, package_code: str):
    event = Event.objects.get(code=event_code)
    return event, event.packages.get(code=package_code)


def _harbour_bank() -> None:
    """sales1's buyer, booking confirmed and waiting for allocation."""
    buyer = services.create_buyer(actor=ACTOR, name="Harbour Bank", sales_agent=_agent("sales1@example.com"),
                                  notes="Hosts its top 12 clients every Grand Final.")
    services.add_contact(actor=ACTOR, buyer_id=buyer.pk, name="Morgan Ellis", email="morgan.ellis@harbourbank.example",
                         phone="+61 2 5550 0101", role="Head of client events", is_primary=True)
    services.add_contact(actor=ACTOR, buyer_id=buyer.pk, name="Ravi Patel", email="ravi.patel@harbourbank.example",
                         role="EA to the CEO")
    entity = _billing(buyer, "Harbour Bank Limited", "53 004 085 616", "accounts.payable@harbourbank.example",
                      "10 Barrack St", "Sydney", "NSW", "2000")
    event, package = _package("GF2026", "SUITE-12")
    booking = services.create_booking(actor=ACTOR, buyer_id=buyer.pk, event=event, package=package, headcount=12,
                                      billing_entity=entity, special_requirements="1 gluten free; arrive 12:30")
    services.confirm_event_details(actor=ACTOR, booking_id=booking.pk)
    today = timezone.localdate()
    services.set_deposit_terms(actor=ACTOR, booking_id=booking.pk, po_number="HB-PO-88213", installments=[
        rules.installment("Deposit", today + timedelta(days=7), percent="50"),
        rules.installment("Balance", today + timedelta(days=28), percent="50"),
    ])
    services.mark_ready_for_allocation(actor=ACTOR, booking_id=booking.pk)


def _quay_capital() -> None:
    """sales2's buyer, a draft booking still missing locked details and deposit terms."""
    buyer = services.create_buyer(actor=ACTOR, name="Quay Capital Partners",
                                  sales_agent=_agent("sales2@example.com"))
    services.add_contact(actor=ACTOR, buyer_id=buyer.pk, name="Jess Nguyen", email="jess@quaycapital.example",
                         phone="+61 2 5550 0202", role="Office manager", is_primary=True)
    entity = _billing(buyer, "Quay Capital Partners Pty Ltd", "33 102 417 032", "finance@quaycapital.example",
                      "2 Circular Quay W", "Sydney", "NSW", "2000")
    event, package = _package("SF2026", "TABLE-10")
    services.create_booking(actor=ACTOR, buyer_id=buyer.pk, event=event, package=package, headcount=18,
                            billing_entity=entity, special_requirements="Two vegetarian meals")


CRM_DEAL = {
    "deal_id": "CRM-DEAL-0931",
    # An agent the CRM knows but EventChain does not: the buyer waits in the assignment queue.
    "agent": {"email": "jordan.lee@example.com", "name": "Jordan Lee"},
    "account": {"name": "Ironbark Mining Ltd", "crm_account_id": "ACC-31"},
    "billing_entity": {"legal_name": "Ironbark Mining Ltd", "tax_number": "51 824 753 556",
                       "email": "ap@ironbark.example",
                       "address": {"line1": "200 St Georges Tce", "line2": "Level 12", "city": "Perth",
                                   "region": "WA", "postcode": "6000", "country": "AU"}},
    "contacts": [{"name": "Alex Barker", "email": "alex.barker@ironbark.example", "phone": "+61 8 5550 0303",
                  "role": "Event coordinator", "primary": True}],
    "booking": {"event_code": "GF2026", "package_code": "BOX-8", "headcount": 8, "special_requirements": "",
                "po_number": "IB-4410", "payment_schedule": []},
}
# A delivery refused for a package the catalogue lacks: create MARQUEE-20 for GF2026, then replay it.
CRM_DEAL_MISSING_PACKAGE = {**CRM_DEAL, "deal_id": "CRM-DEAL-0977", "booking": {
    **CRM_DEAL["booking"], "package_code": "MARQUEE-20", "headcount": 20, "po_number": "IB-4452"}}


def _deliver(body: dict) -> None:
    today = timezone.localdate()
    body = json.loads(json.dumps(body))
    body["booking"]["payment_schedule"] = [
        {"label": "Deposit", "due_date": str(today + timedelta(days=10)), "percent": "30"},
        {"label": "Balance", "due_date": str(today + timedelta(days=35)), "percent": "70"},
    ]
    raw = json.dumps(body).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "EventChain demo seed",
               **webhook.signed_headers(settings.EVENTCHAIN_CRM_WEBHOOK_SECRET, raw)}
    handoff.receive(raw_body=raw, headers=headers)


def seed() -> dict:
    created = []
    for name, build in (("Harbour Bank", _harbour_bank), ("Quay Capital Partners", _quay_capital)):
        if not Buyer.objects.filter(name=name).exists():
            with transaction.atomic():
                build()
            created.append(name)
    # Through the real webhook path, so the deliveries show in the CRM handoff list.
    for body in (CRM_DEAL, CRM_DEAL_MISSING_PACKAGE):
        if not CrmHandoff.objects.filter(deal_id=body["deal_id"]).exists():
            _deliver(body)
            created.append(body["deal_id"])
    return {"buyers_created": created}
