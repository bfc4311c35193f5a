"""Closing an event: no-shows per guest, counts per booking and event, the event and its bookings closed."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from buyers.models import Booking
from eventchain.errors import StateConflict
from eventchain.lifecycle import BookingStatus
from eventchain.models import Event
from reporting.attendance import close_event_attendance
from reporting.gate.scans import ScanInput, record_scan
from reporting.models import Attendance, BookingActivity
from reporting.reports import figures
from tickets import services as ticket_services

pytestmark = pytest.mark.django_db


def admit(event, ticket):
    return record_scan(event=event, scan=ScanInput(code=ticket.code, gate="Gate A", scanned_at=timezone.now()),
                       source="desk")


@pytest.fixture
def attended(catalogue, make_booking, issue, make_staff):
    """Two bookings at GF2026: 3 of A's 8 guests and 10 of B's 10 came in; one of A's tickets was revoked."""
    event = catalogue["GF2026"]
    a = issue(make_booking("BOX-8", status=BookingStatus.RELEASED))
    b = issue(make_booking("TABLE-10", status=BookingStatus.RELEASED))
    Booking.objects.filter(pk__in=[a[0].booking_id, b[0].booking_id]).update(status=BookingStatus.DISTRIBUTED)
    ticket_services.revoke_ticket(ticket_id=a[7].pk, actor=make_staff("ticketing"))
    for ticket in a[:3] + b:
        assert admit(event, ticket)["result"] == "admitted"
    return {"event": event, "a": a[0].booking, "b": b[0].booking}


def test_closing_records_no_shows_and_closes_the_event_and_bookings(attended, make_staff):
    event = attended["event"]
    with time_machine.travel(event.ends_at + timedelta(hours=1)):
        summary = close_event_attendance(actor=make_staff("ticketing"), event_id=event.pk)
    assert summary == {"admitted": 13, "no_show": 4, "bookings_closed": 2, "outcomes": 2}
    event.refresh_from_db()
    assert event.status == Event.Status.CLOSED
    assert set(Booking.objects.values_list("status", flat=True)) == {BookingStatus.CLOSED}
    # Per guest: every live ticket has exactly one attendance row; the revoked one has none.
    per_booking = {
        booking: (Attendance.objects.filter(booking=booking, status="admitted").count(),
                  Attendance.objects.filter(booking=booking, status="no_show").count())
        for booking in (attended["a"], attended["b"])
    }
    assert per_booking == {attended["a"]: (3, 4), attended["b"]: (10, 0)}
    report = figures.event_report(event)["attendance"]
    assert (report["tickets"], report["admitted"], report["no_show"]) == (17, 13, 4)
    booking_report = figures.booking_report(attended["a"])["attendance"]
    assert (booking_report["tickets"], booking_report["admitted"], booking_report["no_show"]) == (7, 3, 4)
    assert BookingActivity.objects.filter(booking=attended["a"], kind="attendance",
                                          summary__contains="3 of 7 guests attended").exists()


def test_closing_is_refused_before_the_event_ends_and_twice(attended):
    event = attended["event"]
    with pytest.raises(StateConflict, match="close attendance once it is over"):
        close_event_attendance(actor=None, event_id=event.pk)
    assert not Attendance.objects.filter(status="no_show").exists()
    with time_machine.travel(event.ends_at + timedelta(hours=1)):
        close_event_attendance(actor=None, event_id=event.pk)
        with pytest.raises(StateConflict, match="already closed"):
            close_event_attendance(actor=None, event_id=event.pk)


def test_a_late_import_turns_a_no_show_into_an_admission(attended):
    event = attended["event"]
    late = attended["a"].tickets.order_by("id")[4]
    with time_machine.travel(event.ends_at + timedelta(hours=1)):
        close_event_attendance(actor=None, event_id=event.pk)
    # The third-party export arrives afterwards, stamped during the event.
    answer = record_scan(event=event, source="import",
                         scan=ScanInput(code=late.code, gate="North", scanned_at=event.starts_at + timedelta(minutes=5)))
    assert answer["result"] == "admitted"
    assert Attendance.objects.get(ticket=late).status == "admitted"


def test_console_close_button(attended, staff_client):
    event = attended["event"]
    with time_machine.travel(event.ends_at + timedelta(hours=1)):
        client = staff_client("ticketing")  # signed in after the event: sessions last hours, not months
        page = client.get(f"/console/reporting/events/{event.code}/gate/").content.decode()
        assert "Close attendance" in page
        response = client.post(f"/console/reporting/events/{event.code}/gate/close/")
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.status == "closed"


def test_close_command(attended):
    import io

    from django.core.management import call_command

    event = attended["event"]
    out = io.StringIO()
    with time_machine.travel(event.ends_at + timedelta(hours=1)):
        call_command("close_event_attendance", "--event", event.code, stdout=out)
    assert "13 admitted, 4 no-shows" in out.getvalue()
