"""The snapshot's figures for many bookings at once are the ones each booking gets on its own."""

import json
from datetime import date
from decimal import Decimal
from unittest import mock

import pytest
from django.utils import timezone

from allocation.models import ManifestLine
from buyers import services as buyer_services
from buyers.models import Booking
from distribution.models import DeliveryMessage, MessageKind, MessageStatus, TrackingEvent, TrackingKind
from eventchain.lifecycle import BookingStatus
from finance.services.payments import record_payment
from reporting import profile
from reporting.models import BookingSnapshot
from tickets import services as ticket_services

from .test_reports import credit, invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def lived_in(make_booking, make_staff, issue, scanner, django_capture_on_commit_callbacks):
    """A booking through every lane (as in test_profile), one with comps and many invoices, one with nothing."""
    staff = make_staff("admin")
    booking = make_booking("BOX-8", status=BookingStatus.ALLOCATED)
    with django_capture_on_commit_callbacks(execute=True):
        buyer_services.transition(booking_id=booking.pk, to_status=BookingStatus.INVOICED, actor=staff)
        raised = invoice(booking, "INV-9", "14400.00")
    with django_capture_on_commit_callbacks(execute=True):
        record_payment(invoice_id=raised.pk, amount="5000.00", received_on=date.today(), reference="EFT 1",
                       actor=staff)
        credit(raised, "CN-1", "1000.00")
    Booking.objects.filter(pk=booking.pk).update(status=BookingStatus.RELEASED)
    with django_capture_on_commit_callbacks(execute=True):
        tickets = issue(booking)
        ticket_services.reissue_ticket(ticket_id=tickets[0].pk, actor=staff)
    reissued = type(tickets[0]).objects.get(pk=tickets[0].pk)
    with django_capture_on_commit_callbacks(execute=True):
        scanner().post("/api/v1/gate/scans", json.dumps({
            "code": reissued.code, "gate": "Gate A", "device_id": "h", "nonce": "n",
            "scanned_at": timezone.now().isoformat(),
        }), content_type="application/json")
    with django_capture_on_commit_callbacks(execute=True):
        def message(kind, status):
            return DeliveryMessage.objects.create(booking=booking, kind=kind, status=status,
                                                  recipient_email="guest@acme.example", subject="Your tickets")

        delivered = message(MessageKind.GUEST_TICKET, MessageStatus.DELIVERED)
        message(MessageKind.GUEST_TICKET, MessageStatus.BOUNCED)
        message(MessageKind.RESEND, MessageStatus.QUEUED)
        message(MessageKind.MAGIC_LINK, MessageStatus.DELIVERED)  # sign-in links are not deliveries
        for kind, ticket, sent in [
            (TrackingKind.OPENED, None, delivered), (TrackingKind.OPENED, None, delivered),  # one message opened
            (TrackingKind.DOWNLOADED_PDF, tickets[1], None), (TrackingKind.DOWNLOADED_PDF, tickets[1], None),
            (TrackingKind.WALLET_APPLE, tickets[2], None), (TrackingKind.DOWNLOADED_PKPASS, tickets[2], None),
            (TrackingKind.GOOGLE_LINK, tickets[3], None),
        ]:
            TrackingEvent.objects.create(booking=booking, kind=kind, ticket=ticket, message=sent)

    comps = make_booking("BOX-8", units=2, comps=[("PARKING", 2), ("CLUB-SEAT", 1)])
    for version in range(1, 8):  # each invoice raised from its own manifest; the lines end on the latest
        manifest = comps.manifests.get_or_create(version=version)[0]
        invoice(comps, f"INV-C{version}", "100.00", manifest=manifest)
    ManifestLine.objects.filter(manifest__booking=comps).update(manifest=manifest)
    bare = make_booking("BOX-8")
    bare.manifests.all().delete()
    return [Booking.objects.get(pk=b.pk) for b in (booking, comps, bare)]


def test_set_based_figures_are_each_bookings_own(lived_in, django_assert_max_num_queries):
    booking, comps, bare = lived_in
    with django_assert_max_num_queries(11):  # the bookings, then one query per source table
        values = profile.snapshot_values_for([booking.pk, comps.pk, bare.pk, 999_999])

    assert sorted(values) == sorted([booking.pk, comps.pk, bare.pk])  # a deleted booking is left out
    for one in lived_in:
        assert values[one.pk] == profile.snapshot_values(one)
    assert values[booking.pk] == {
        "buyer_id": booking.buyer_id, "status": "released", "manifest_version": 1, "units": 1, "seats": 8,
        "comps": 0, "allocation_value": Decimal("14400.00"), "invoice_numbers": "INV-9",
        "invoiced": Decimal("15840.00"), "paid": Decimal("5000.00"), "outstanding": Decimal("10840.00"),
        "credited": Decimal("1100.00"), "tickets": 8, "tickets_sent": 0, "tickets_revoked": 0, "tickets_reissued": 1,
        "delivery": {"Emails delivered": 1, "Emails waiting": 1, "Bounced": 1, "Opened": 1, "PDF downloads": 2,
                     "Apple Wallet": 1, "Google Wallet": 1},
        "admitted": 1, "no_show": 0,
    }
    assert {key: values[comps.pk][key] for key in ("manifest_version", "units", "seats", "comps", "allocation_value", "invoiced",
                                                   "invoice_numbers")} == {
        "manifest_version": 7, "units": 2, "seats": 17, "comps": 1, "allocation_value": Decimal("28800.00"), "invoiced": Decimal("770.00"),
        "invoice_numbers": "INV-C1, INV-C2, INV-C3, INV-C4, INV-C5, INV-C6",  # the first six, in the order raised
    }
    assert values[bare.pk] == {
        "buyer_id": bare.buyer_id, "status": "released", "manifest_version": None, "units": 0, "seats": 0,
        "comps": 0, "allocation_value": 0, "invoice_numbers": "", "invoiced": 0, "paid": 0, "outstanding": 0,
        "credited": 0, "tickets": 0, "tickets_sent": 0, "tickets_revoked": 0, "tickets_reissued": 0, "delivery": {},
        "admitted": 0, "no_show": 0,
    }
    assert profile.delivery_counts(booking) == values[booking.pk]["delivery"]


def test_refresh_snapshots_writes_them_all_in_one_statement(lived_in, django_assert_max_num_queries):
    booking, comps, bare = lived_in
    BookingSnapshot.objects.filter(booking=booking).update(units=99, admitted=0)  # stale, e.g. a lost gate bump
    with django_assert_max_num_queries(12):
        assert profile.refresh_snapshots([bare.pk, booking.pk, comps.pk, 999_999]) == 3

    values = profile.snapshot_values_for([b.pk for b in lived_in])
    fields = list(values[booking.pk])
    for one in lived_in:
        snapshot = BookingSnapshot.objects.filter(booking=one).values(*fields).get()
        assert snapshot == values[one.pk]
    assert profile.refresh_snapshot(booking.pk).units == 1 and profile.refresh_snapshot(999_999) is None


def test_refresh_all_backfills_in_chunks(lived_in):
    BookingSnapshot.objects.all().delete()
    with mock.patch.object(profile, "REFRESH_CHUNK", 2), \
            mock.patch.object(profile, "refresh_snapshots", wraps=profile.refresh_snapshots) as chunks:
        assert profile.refresh_all() == 3
    assert chunks.call_count == 2 and BookingSnapshot.objects.count() == 3
