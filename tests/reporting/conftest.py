"""Lane 07 fixtures: bookings with issued tickets (real signed codes), scanner tokens and gate clients.

Rows before tickets are built directly: these tests are about the gate and reports, not earlier lanes.
Codes are signed by the tickets lane's own `stage_tickets`, so the gate checks genuine EC1 codes.
"""

from decimal import Decimal

import pytest
from django.test import Client

from allocation.models import Area, EventUnit, Manifest, ManifestLine, StockState, Unit
from buyers.models import Booking, Buyer
from eventchain.lifecycle import BookingStatus
from eventchain.models import Package
from reporting.gate import devices
from tickets import services as ticket_services
from tickets.models import Guest, Ticket, TicketStatus


@pytest.fixture
def make_booking(catalogue):
    """make_booking("BOX-8", units=2, comps=[("PARKING", 2)]) → a released booking with a confirmed manifest.

    Each unit gets an EventUnit row (allocated), so event capacity figures see it.
    """
    counter = {"n": 0}

    def make(package_code="BOX-8", *, units=1, event_code="GF2026", buyer=None, comps=(), area_name=None,
             status=BookingStatus.RELEASED, headcount=None) -> Booking:
        counter["n"] += 1
        event = catalogue[event_code]
        package = Package.objects.get(event=event, code=package_code)
        buyer = buyer or Buyer.objects.create(name=f"Buyer {counter['n']}", crm_account_id=f"ACC-{counter['n']}")
        booking = Booking.objects.create(buyer=buyer, event=event, package=package, status=status,
                                         headcount=headcount or package.seats_per_unit * units,
                                         crm_deal_id=f"DEAL-{event_code}-{counter['n']}")
        area, _ = Area.objects.get_or_create(venue=event.venue, name=area_name or f"{package.get_inventory_kind_display()}s")
        manifest = Manifest.objects.create(booking=booking, version=1)
        for n in range(units):
            unit = Unit.objects.create(venue=event.venue, area=area, kind=package.inventory_kind,
                                       label=f"{package_code}-{counter['n']:02d}{n:02d}", capacity=package.seats_per_unit)
            EventUnit.objects.create(event=event, unit=unit, state=StockState.ALLOCATED, booking=booking, package=package)
            ManifestLine.objects.create(manifest=manifest, unit=unit, label=unit.label, kind=unit.kind, area=area.name,
                                        seats=package.seats_per_unit, quantity=1, package=package,
                                        unit_price=package.unit_price)
        for code, quantity in comps:
            other = Package.objects.get(event=event, code=code)
            pool, _ = Unit.objects.get_or_create(venue=event.venue, label=f"{code}-POOL",
                                                 defaults={"area": area, "kind": other.inventory_kind, "capacity": 300})
            ManifestLine.objects.create(manifest=manifest, unit=pool, label=pool.label, kind=pool.kind, area=area.name,
                                        seats=quantity, quantity=quantity, package=other, unit_price=Decimal("0.00"),
                                        comp=True)
        return booking

    return make


@pytest.fixture
def issue(make_staff):
    """issue(booking, guests=["Ann", ...]) → the booking's tickets, staged by the tickets lane and marked issued."""

    def run(booking: Booking, guests=(), channel=None) -> list[Ticket]:
        for position, name in enumerate(guests, start=1):
            Guest.objects.create(booking=booking, position=position, name=name)
        ticket_services.stage_tickets(booking_id=booking.pk, actor=None, channel=channel)
        Ticket.objects.filter(booking=booking).update(status=TicketStatus.ISSUED)
        return list(Ticket.objects.filter(booking=booking).select_related("guest").order_by("id"))

    return run


@pytest.fixture
def tickets(make_booking, issue):
    """Eight issued BOX-8 tickets at GF2026, the first two with guest names."""
    return issue(make_booking("BOX-8"), guests=["Ada Lovelace", "Grace Hopper"])


@pytest.fixture
def gate_token(catalogue):
    """gate_token("GF2026", "Gate A") → a raw scanner token."""

    def make(event_code="GF2026", gate="Gate A") -> str:
        return devices.create_gate_device(actor=None, event_code=event_code, gate=gate)[1]

    return make


@pytest.fixture
def scanner(gate_token):
    """scanner() → a Client sending a GF2026 Gate A scanner token."""

    def make(event_code="GF2026", gate="Gate A") -> Client:
        return Client(HTTP_AUTHORIZATION=f"Bearer {gate_token(event_code, gate)}")

    return make


@pytest.fixture
def admin(make_staff):
    return make_staff("admin")


@pytest.fixture
def data(admin):
    """One person touching every classified column, and another who must be left alone (privacy tests)."""
    from .privacy_dataset import build

    return build(admin)
