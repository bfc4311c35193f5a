"""Lane 04 fixtures: stock to confirm, bookings with deposit terms, the outbox driven by hand, and the
Xero / Business Central fakes wired in through the base-URL settings."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from allocation import services as allocation
from allocation.importers import LayoutRow
from allocation.services.setup import write_layout
from buyers.models import BillingEntity, Booking, Buyer, Contact, PaymentInstallment
from eventchain import outbox
from eventchain.lifecycle import BookingStatus
from eventchain.models import OutboxMessage
from finance.ledgers import business_central as bc_ledger
from finance.services import connections
from tests.fakes.business_central import BusinessCentralFake
from tests.fakes.xero import XeroFake


def layout() -> list[LayoutRow]:
    """Dining Room: 6 tables of 10 (05 and 06 with their seats, sold singly at a per-seat price);
    Private Boxes: 3 boxes of 8; Car Park: a pool of 50 parking passes."""
    rows = []

    def add(area, kind, label, capacity, row="", number=None, parent=""):
        rows.append(LayoutRow(line=len(rows) + 2, area=area, kind=kind, label=label, capacity=capacity, row=row,
                              number=number, parent=parent))

    for n in range(1, 7):
        add("Dining Room", "table", f"TABLE-0{n}", 10, row="A", number=n)
        if n >= 5:
            for seat in range(1, 11):
                add("Dining Room", "seat", f"TABLE-0{n}-S{seat}", 1, row=f"T0{n}", number=seat, parent=f"TABLE-0{n}")
    for n in range(1, 4):
        add("Private Boxes", "box", f"BOX-0{n}", 8, row="B", number=n)
    add("Car Park", "pass", "PARKING-C", 50)
    return rows


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # the ledger rate limiter keeps its budget in the cache
    yield
    cache.clear()


@pytest.fixture
def stock(catalogue):
    event = catalogue["GF2026"]
    write_layout(event.venue, layout())
    allocation.ensure_event_stock(event=event)
    return event


@pytest.fixture
def fulfilment(make_staff):
    return make_staff("fulfilment")


@pytest.fixture
def finance_user(make_staff):
    return make_staff("finance")


DEFAULT_SCHEDULE = (("Deposit", 30, "30"), ("Balance", 60, "70"))


@pytest.fixture
def make_booking(stock):
    """make_booking("TABLE-10", 20, release_on_deposit=True) → a confirmed booking with a 30/70 schedule."""
    counter = {"n": 0}

    def make(package_code: str = "TABLE-10", headcount: int = 10, *, schedule=DEFAULT_SCHEDULE,
             release_on_deposit: bool = False, po_number: str = "PO-5531", billing: bool = True) -> Booking:
        counter["n"] += 1
        buyer = Buyer.objects.create(name=f"Acme Mining {counter['n']} Pty Ltd")
        Contact.objects.create(buyer=buyer, name="Pat Buyer", email=f"pat{counter['n']}@acme.example", is_primary=True)
        entity = BillingEntity.objects.create(
            buyer=buyer, legal_name=buyer.name, tax_number="51 824 753 556", email="accounts@acme.example",
            address_line1="1 George St", city="Sydney", region="NSW", postcode="2000", country="AU",
        ) if billing else None
        booking = Booking.objects.create(
            buyer=buyer, event=stock, package=stock.packages.get(code=package_code), billing_entity=entity,
            headcount=headcount, po_number=po_number, status=BookingStatus.CONFIRMED,
            release_on_deposit=release_on_deposit,
        )
        today = timezone.localdate()
        PaymentInstallment.objects.bulk_create(
            PaymentInstallment(booking=booking, position=i, label=label, due_date=today + timedelta(days=days),
                               percent=Decimal(percent))
            for i, (label, days, percent) in enumerate(schedule)
        )
        return booking

    return make


@pytest.fixture
def confirm(fulfilment):
    """confirm(booking, units=[...]) → allocation's Confirmed result (manifest + the invoice id finance returned)."""

    def run(booking, units=None):
        allocation.allocate_booking(booking_id=booking.pk, actor=fulfilment, units=units)
        return allocation.confirm_allocation(booking_id=booking.pk, actor=fulfilment)

    return run


@pytest.fixture
def drain():
    """Deliver every outbox row, travelling in time to each retry's next_attempt_at (so Retry-After and
    backoff are honoured, not skipped), until nothing is left to try. Returns the number of rounds."""

    def run(max_rounds: int = 20) -> int:
        rounds = 0
        with time_machine.travel(timezone.now(), tick=True) as traveller:
            while rounds < max_rounds:
                due = (OutboxMessage.objects.filter(status__in=[OutboxMessage.Status.PENDING,
                                                                OutboxMessage.Status.FAILED])
                       .order_by("next_attempt_at").first())
                if due is None:
                    break
                if due.next_attempt_at > timezone.now():
                    traveller.move_to(due.next_attempt_at + timedelta(milliseconds=50))
                outbox.dispatch_due()
                rounds += 1
        return rounds

    return run


@pytest.fixture
def xero(settings, finance_user):
    """A Xero organisation on loopback, connected as a Custom Connection and chosen as the ledger."""
    fake = XeroFake().start()
    settings.EVENTCHAIN_LEDGER = "xero"
    settings.XERO_API_BASE_URL = settings.XERO_IDENTITY_URL = settings.XERO_LOGIN_URL = fake.base_url
    settings.XERO_CLIENT_ID, settings.XERO_CLIENT_SECRET = fake.client_id, fake.client_secret
    settings.XERO_WEBHOOK_KEY = "xero-webhook-key-for-tests"
    settings.EVENTCHAIN_LEDGER_TIMEOUT = 1.0
    connections.connect_xero_custom(actor=finance_user)
    yield fake
    fake.stop()
    assert fake.contract_violations == [], "the Xero fake answered outside Xero's contract"


@pytest.fixture
def business_central(settings, tmp_path):
    """A Business Central environment on loopback over TLS (msal insists on https), chosen as the ledger."""
    fake = BusinessCentralFake(tmp_path / "tls").start()
    settings.EVENTCHAIN_LEDGER = "business_central"
    settings.BC_API_BASE_URL = f"{fake.base_url}/v2.0"
    settings.BC_AUTHORITY = fake.base_url
    settings.BC_TENANT_ID, settings.BC_ENVIRONMENT = fake.tenant, fake.environment
    settings.BC_CLIENT_ID, settings.BC_CLIENT_SECRET = fake.client_id, fake.client_secret
    settings.BC_COMPANY_ID = fake.company_id
    settings.BC_CA_BUNDLE = str(fake.tls.ca_path)
    settings.EVENTCHAIN_LEDGER_TIMEOUT = 1.0
    bc_ledger._apps.clear()  # msal apps (and their token caches) are per configuration
    yield fake
    fake.stop()
    bc_ledger._apps.clear()
    assert fake.contract_violations == [], "the Business Central fake answered outside the v2.0 metadata"
