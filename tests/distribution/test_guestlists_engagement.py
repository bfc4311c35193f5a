"""Engagement per booking: opens apart from claims, downloads and wallet adds; guests with a ticket in hand."""

import pytest

from buyers.models import Contact
from distribution.guestlists import services
from distribution.guestlists.engagement import booking_engagement
from distribution.models import DeliveryMessage, MessageKind, TrackingKind
from distribution.services.tracking import record
from tickets import services as ticket_services
from tickets.models import Ticket

from .conftest import PRIMARY
from .helpers import local_path

pytestmark = pytest.mark.django_db


def test_in_hand_counts_distinct_live_tickets_and_opens_are_kept_apart(booking_for, client, portal_client):
    booking = booking_for("BOX-8")
    tickets = list(Ticket.objects.filter(booking=booking).order_by("manifest_line_id", "seat_index"))
    message = DeliveryMessage.objects.create(booking=booking, kind=MessageKind.BUYER_BUNDLE,
                                             recipient_email=PRIMARY, subject="Tickets")
    for _ in range(3):  # a privacy proxy opening the same email three times is one open
        record(kind=TrackingKind.OPENED, booking_id=booking.pk, message=message)
    record(kind=TrackingKind.DOWNLOADED_PDF, booking_id=booking.pk, ticket_id=tickets[0].pk)
    record(kind=TrackingKind.DOWNLOADED_PDF, booking_id=booking.pk, ticket_id=tickets[0].pk)
    record(kind=TrackingKind.WALLET_APPLE, booking_id=booking.pk, ticket_id=tickets[0].pk)
    record(kind=TrackingKind.WALLET_GOOGLE, booking_id=booking.pk, ticket_id=tickets[1].pk)
    record(kind=TrackingKind.DOWNLOADED_PKPASS, booking_id=booking.pk, ticket_id=tickets[2].pk)
    ticket_services.revoke_ticket(ticket_id=tickets[2].pk, actor="test")  # a revoked ticket is in nobody's hand

    _, url = services.create_claim_link(buyer=booking.buyer, ticket_id=tickets[3].pk, actor="contact:x")
    response = client.post(local_path(url), {"ticket": tickets[3].number, "name": "Claimed Guest",
                                             "email": "claimed@guests.example"})
    assert response.status_code == 200

    counts = booking_engagement(booking.pk)
    assert counts == {"opened": 1, "claimed": 1, "downloaded": 1, "wallet": 2, "in_hand": 2, "live": 7}
    page = portal_client(Contact.objects.get(buyer=booking.buyer)).get(f"/portal/bookings/{booking.pk}/")
    assert "2 of 7" in page.content.decode() and "seats claimed by link" in page.content.decode()
