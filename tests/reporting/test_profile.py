"""The buyer profile keeps itself current: each lane's change updates the booking's snapshot and timeline."""

import json
from datetime import date

import pytest
from django.utils import timezone

from allocation.models import Manifest
from buyers import services as buyer_services
from eventchain.lifecycle import BookingStatus
from finance.services.payments import record_payment
from reporting import receivers
from reporting.models import BookingActivity, BookingSnapshot
from tickets import services as ticket_services

from .test_reports import invoice

pytestmark = pytest.mark.django_db


def test_lane_changes_update_the_snapshot_without_anyone_recomputing(
    make_booking, issue, make_staff, scanner, django_capture_on_commit_callbacks,
):
    staff = make_staff("admin")
    booking = make_booking("BOX-8", status=BookingStatus.ALLOCATED)
    with django_capture_on_commit_callbacks(execute=True):
        buyer_services.transition(booking_id=booking.pk, to_status=BookingStatus.INVOICED, actor=staff)
        raised = invoice(booking, "INV-9", "14400.00")
    snapshot = BookingSnapshot.objects.get(booking=booking)
    assert snapshot.status == "invoiced" and snapshot.invoiced == raised.total and snapshot.paid == 0
    assert snapshot.invoice_numbers == "INV-9" and snapshot.payment_state == "unpaid"
    assert (snapshot.manifest_version, snapshot.units, snapshot.seats) == (1, 1, 8)

    with django_capture_on_commit_callbacks(execute=True):
        record_payment(invoice_id=raised.pk, amount="5000.00", received_on=date.today(), reference="EFT 1",
                       actor=staff)
    snapshot.refresh_from_db()
    assert str(snapshot.paid) == "5000.00" and str(snapshot.outstanding) == "10840.00"
    assert snapshot.payment_state == "part paid"

    Manifest.objects.filter(booking=booking).update()  # nothing else changes the manifest here
    booking.status = BookingStatus.RELEASED
    booking.save(update_fields=["status"])
    with django_capture_on_commit_callbacks(execute=True):
        tickets = issue(booking)
        ticket_services.reissue_ticket(ticket_id=tickets[0].pk, actor=staff)
    snapshot.refresh_from_db()
    assert (snapshot.tickets, snapshot.tickets_reissued) == (8, 1)

    reissued = type(tickets[0]).objects.get(pk=tickets[0].pk)
    with django_capture_on_commit_callbacks(execute=True):  # the count follows the scan's commit
        scanner().post("/api/v1/gate/scans", json.dumps({
            "code": reissued.code, "gate": "Gate A", "device_id": "h", "nonce": "n",
            "scanned_at": timezone.now().isoformat(),
        }), content_type="application/json")
    snapshot.refresh_from_db()
    assert snapshot.admitted == 1

    kinds = list(BookingActivity.objects.filter(booking=booking).order_by("id").values_list("kind", flat=True))
    assert kinds[:4] == ["status", "invoice", "payment", "tickets"]
    summaries = " | ".join(BookingActivity.objects.filter(booking=booking).values_list("summary", flat=True))
    assert "INV-9 raised" in summaries and "Payment of AUD 5000.00" in summaries and "reissued" in summaries


def test_one_transaction_refreshes_a_booking_once(make_booking, django_capture_on_commit_callbacks):
    booking = make_booking("BOX-8", status=BookingStatus.ALLOCATED)
    with django_capture_on_commit_callbacks() as callbacks:
        invoice(booking, "INV-1", "100.00")
        invoice_two = invoice(booking, "INV-2", "100.00", manifest=Manifest.objects.create(booking=booking, version=2))
        invoice_two.save()
    refreshes = [c for c in callbacks if isinstance(c, receivers.schedule_refresh.__globals__["_Refresh"])]
    assert len(refreshes) == 1


def test_manifest_published_is_on_the_timeline(make_booking, django_capture_on_commit_callbacks):
    booking = make_booking("BOX-8", units=2, comps=[("PARKING", 2)])
    with django_capture_on_commit_callbacks(execute=True):
        receivers.on_manifest(sender=Manifest, manifest=booking.manifests.get(), previous=None, actor=None)
    entry = BookingActivity.objects.get(booking=booking)
    assert entry.kind == "allocation" and "manifest v1" in entry.summary and "2 comp places" in entry.summary
    assert BookingSnapshot.objects.get(booking=booking).units == 2


def test_buyer_profile_page_and_fragment(make_booking, staff_client, django_capture_on_commit_callbacks,
                                         django_assert_max_num_queries):
    booking = make_booking("BOX-8", status=BookingStatus.ALLOCATED)
    with django_capture_on_commit_callbacks(execute=True):
        invoice(booking, "INV-7", "14400.00")
    client = staff_client("sales")
    with django_assert_max_num_queries(10):
        page = client.get(f"/console/reporting/buyers/{booking.buyer_id}/")
    body = page.content.decode()
    assert page.status_code == 200 and booking.reference in body and "INV-7" in body and "Unpaid" in body
    fragment = client.get(f"/console/reporting/buyers/{booking.buyer_id}/", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and "Bookings through the lanes" in fragment
    assert client.get("/console/reporting/buyers/999999/").status_code == 404


def test_profile_fragment_has_an_empty_state(staff_client):
    from buyers.models import Buyer

    buyer = Buyer.objects.create(name="Quiet Pty Ltd")
    body = staff_client("sales").get(f"/console/reporting/buyers/{buyer.pk}/?fragment=1").content.decode()
    assert "Nothing to show yet" in body


def test_the_template_tag_renders_the_fragment_for_the_buyer_page(make_booking, django_capture_on_commit_callbacks):
    from django.template import Context, Template

    booking = make_booking("BOX-8", status=BookingStatus.ALLOCATED)
    with django_capture_on_commit_callbacks(execute=True):
        invoice(booking, "INV-5", "100.00")
    html = Template("{% load reporting_profile %}{% booking_lanes buyer %}").render(Context({"buyer": booking.buyer}))
    assert "Bookings through the lanes" in html and "INV-5" in html and booking.reference in html
