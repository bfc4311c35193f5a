"""The ops lead's morning view: bookings per stage, time in stage, oldest stuck, failed outbox, unmatched payments."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from buyers.models import Booking, Buyer
from eventchain.lifecycle import BookingStatus
from eventchain.models import OutboxMessage, Package
from finance.models import UnmatchedReceipt
from reporting import queries

pytestmark = pytest.mark.django_db


def book(catalogue, status, days_ago, name="Buyer"):
    event = catalogue["GF2026"]
    booking = Booking.objects.create(buyer=Buyer.objects.create(name=name), event=event, headcount=8, status=status,
                                     package=Package.objects.get(event=event, code="BOX-8"))
    Booking.objects.filter(pk=booking.pk).update(status_changed_at=timezone.now() - timedelta(days=days_ago))
    return booking


def test_oldest_bookings_per_stage_and_time_in_stage(catalogue):
    for days in (1, 9, 5, 30):
        book(catalogue, BookingStatus.CONFIRMED, days, name=f"Waiting {days}")
    book(catalogue, BookingStatus.CLOSED, 100)
    stuck = queries.stuck_bookings()
    assert [b.buyer.name for b in stuck["confirmed"]] == ["Waiting 30", "Waiting 9", "Waiting 5"]
    assert "closed" not in stuck
    confirmed = next(s for s in queries.bookings_by_status() if s["status"] == "confirmed")
    assert confirmed["count"] == 4 and timedelta(days=11, hours=6) <= confirmed["average_age"] < timedelta(days=11, hours=7)  # (1+9+5+30)/4 days


def test_dashboard_shows_the_exception_queue_with_a_flat_query_count(catalogue, staff_client,
                                                                      django_assert_max_num_queries):
    client = staff_client("reporting")
    book(catalogue, BookingStatus.INVOICED, 12, name="Slow Payer Pty Ltd")
    OutboxMessage.objects.create(kind="finance.ledger_post", idempotency_key="a", status="dead", last_error="x")
    OutboxMessage.objects.create(kind="distribution.email", idempotency_key="b", status="failed")
    UnmatchedReceipt.objects.create(reason="unmatched", source="xero", amount=Decimal("300.00"), reference="EFT 1")
    with django_assert_max_num_queries(12) as first:
        page = client.get("/console/")
    body = page.content.decode()
    assert "Slow Payer Pty Ltd" in body and "finance.ledger_post" in body and "distribution.email" in body
    assert "No matching invoice" in body and "300.00" in body
    assert "Outbound messages failed or dead" in body
    for n in range(15):
        book(catalogue, BookingStatus.CONFIRMED, n, name=f"More {n}")
        OutboxMessage.objects.create(kind=f"kind.{n % 3}", idempotency_key=f"k{n}", status="dead")
        UnmatchedReceipt.objects.create(reason="overpayment", source="xero", amount=Decimal("1.00"), external_id=f"e{n}")
    with django_assert_max_num_queries(len(first.captured_queries)):
        client.get("/console/")
