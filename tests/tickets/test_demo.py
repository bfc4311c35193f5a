"""The lane 05 demo seeder: branded designs once, tickets for released demo bookings, idempotent."""

import pytest

from eventchain import demo as kernel_demo
from tickets import demo
from tickets.models import Ticket, TicketDesign

pytestmark = pytest.mark.django_db


def test_seed_is_idempotent_and_issues_released_bookings(make_released):
    kernel_demo.seed()
    booking = make_released("BOX-8")
    first = demo.seed()
    assert sorted(first["designs"]) == ["GF2026", "SF2026"] and first["issued"] == [booking.reference]
    versions = dict(TicketDesign.objects.values_list("event__code", "version"))
    assert all(design.hero for design in TicketDesign.objects.all())
    second = demo.seed()
    assert second == {"designs": [], "issued": []}
    assert dict(TicketDesign.objects.values_list("event__code", "version")) == versions
    assert Ticket.objects.filter(booking=booking).count() == 8
    booking.refresh_from_db()
    assert booking.status == "issued"


def test_openapi_documents_the_ticket_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in ("/api/v1/bookings/{booking_id}/guests", "/api/v1/bookings/{booking_id}/issue-tickets",
                 "/api/v1/bookings/{booking_id}/tickets", "/api/v1/tickets/{ticket_id}/reissue",
                 "/api/v1/tickets/{ticket_id}/revoke", "/api/v1/events/{code}/gate-bundle"):
        assert path in paths, path
    issue = paths["/api/v1/bookings/{booking_id}/issue-tickets"]["post"]
    assert "202" in issue["responses"] and "requestBody" in issue


def test_the_demo_walks_the_crm_booking_through_every_lane_once(db):
    from django.core.management import call_command

    from buyers.models import Booking
    from finance.models import Invoice, Payment
    from tickets.models import Ticket

    call_command("seed_demo")
    call_command("seed_demo")
    booking = Booking.objects.get(buyer__name="Harbour Bank", event__code="GF2026")
    assert booking.status == "issued"
    invoice = Invoice.objects.get(booking=booking)
    assert invoice.amount_due == 0 and Payment.objects.filter(invoice=invoice).count() == 2
    # One ticket per pass of the manifest: the party, plus any comps the event rules granted.
    assert Ticket.objects.filter(booking=booking, status="issued").count() >= booking.headcount

    from allocation.models import EventUnit

    boxes = EventUnit.objects.filter(event__code="GF2026", unit__kind="box")
    assert boxes.count() == 10 and not boxes.exclude(state="available").exists(), "all ten boxes stay free"
