"""Lane 03 fixtures: a small layout with every kind of stock, and confirmed bookings made through the ORM."""

import pytest

from allocation import services, signals
from allocation.importers import LayoutRow
from allocation.services.setup import write_layout
from buyers.models import BillingEntity, Booking, Buyer, Contact
from eventchain.lifecycle import BookingStatus


def small_layout() -> list[LayoutRow]:
    """Club North: rows A and B of 6 seats; Club South: row A of 4; Dining Room: 3 tables of 10 with seats;
    Private Boxes: 3 boxes of 8; Car Park: a pool of 20 parking passes."""
    rows = []

    def add(area, kind, label, capacity, row="", number=None, parent=""):
        rows.append(LayoutRow(line=len(rows) + 2, area=area, kind=kind, label=label, capacity=capacity, row=row,
                              number=number, parent=parent))

    for row in "AB":
        for n in range(1, 7):
            add("Club North", "seat", f"CN-{row}{n}", 1, row=row, number=n)
    for n in range(1, 5):
        add("Club South", "seat", f"CS-A{n}", 1, row="A", number=n)
    for t in range(1, 4):
        add("Dining Room", "table", f"TABLE-0{t}", 10, row="A", number=t)
        for s in range(1, 11):
            add("Dining Room", "seat", f"TABLE-0{t}-S{s}", 1, row=f"T0{t}", number=s, parent=f"TABLE-0{t}")
    for n in range(1, 4):
        add("Private Boxes", "box", f"BOX-0{n}", 8, row="B", number=n)
    add("Car Park", "pass", "PARKING-C", 20)
    return rows


@pytest.fixture
def stock(catalogue):
    """GF2026 with the small layout's stock; returns the event."""
    event = catalogue["GF2026"]
    write_layout(event.venue, small_layout())
    services.ensure_event_stock(event=event)
    return event


@pytest.fixture
def make_booking(db):
    """make_booking(event, "CLUB-SEAT", 4) → a confirmed booking of a new buyer."""
    counter = {"n": 0}

    def make(event, package_code: str, headcount: int, status: str = BookingStatus.CONFIRMED) -> Booking:
        counter["n"] += 1
        buyer = Buyer.objects.create(name=f"Buyer {counter['n']} Pty Ltd")
        Contact.objects.create(buyer=buyer, name="Pat Buyer", email=f"pat{counter['n']}@buyer.example",
                               is_primary=True)
        entity = BillingEntity.objects.create(buyer=buyer, legal_name=buyer.name, email="accounts@buyer.example",
                                              address_line1="1 George St", city="Sydney", postcode="2000")
        return Booking.objects.create(buyer=buyer, event=event, package=event.packages.get(code=package_code),
                                      billing_entity=entity, headcount=headcount, status=status)

    return make


@pytest.fixture
def fulfilment(make_staff):
    return make_staff("fulfilment")


def labels(outcome_or_holdings) -> list[str]:
    items = getattr(outcome_or_holdings, "holdings", outcome_or_holdings)
    return [h.label for h in items]


@pytest.fixture(autouse=True)
def isolate_from_later_lanes(request):
    """Lane 03 tests see only their own receivers of allocation's signals (finance raises invoices on them).

    A test that asks for `with_later_lanes` runs with every subscriber connected, as in production.
    """
    if "with_later_lanes" in request.fixturenames:
        yield
        return
    hand_over = (signals.manifest_published, signals.allocation_cancelled)
    saved = {signal: list(signal.receivers) for signal in hand_over}
    for signal in hand_over:
        signal.receivers = []
        signal.sender_receivers_cache.clear()
    yield
    for signal, receivers in saved.items():
        signal.receivers = receivers
        signal.sender_receivers_cache.clear()


@pytest.fixture
def with_later_lanes():
    """Keep finance (and any later lane) subscribed to allocation's signals."""
