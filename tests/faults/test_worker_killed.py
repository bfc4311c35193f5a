"""A Celery worker killed with SIGKILL in the middle of an issuance job: another worker finishes it."""

import pytest
from django.db.models import Count
from django.urls import reverse

from eventchain.lifecycle import BookingStatus
from eventchain.models import AuditEntry, Job
from tickets import services
from tickets.models import Ticket, TicketCode, TicketStatus

from .conftest import wait_until

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

TABLES = 40  # 400 tickets: rendered in four chunks, so "midway" lasts long enough to aim at


def test_issuance_finishes_once_after_its_worker_is_killed_midway(stack, make_released, make_staff, staff_page):
    booking = make_released("TABLE-10", units=TABLES)
    expected = TABLES * 10
    first = stack.start_worker()
    job = services.start_issuance(booking_id=booking.pk, actor=make_staff("ticketing"))

    def midway():
        job.refresh_from_db()
        return job.status == Job.Status.RUNNING and job.total and 0.1 <= job.done / job.total <= 0.9

    try:
        wait_until(midway, 90, every=0.02, what="the issuance job to be between 10% and 90%")
    except AssertionError:
        pytest.fail(f"The job never ran midway ({job}):\n{stack.logs()}")
    first.kill()
    progress_at_kill = job.done

    # Nobody else holds the job: without recovery it would sit "running" until Redis redelivers (an hour).
    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING and job.done == progress_at_kill

    stack.start_worker()
    try:
        wait_until(lambda: Job.objects.get(pk=job.pk).finished, 90, what="the job to finish on the new worker")
    except AssertionError:
        pytest.fail(f"The job did not finish after the restart ({Job.objects.get(pk=job.pk)}):\n{stack.logs()}")

    job.refresh_from_db()
    booking.refresh_from_db()
    # Finished.
    assert job.status == Job.Status.DONE, job.errors
    assert (job.done, job.total) == (expected, expected)
    assert booking.status == BookingStatus.ISSUED
    # Nothing lost, nothing duplicated: one ticket per seat, all issued, each with exactly one code.
    tickets = Ticket.objects.filter(booking=booking)
    assert tickets.count() == expected
    assert tickets.values("unit_id", "seat_index").distinct().count() == expected
    assert set(tickets.values_list("status", flat=True)) == {TicketStatus.ISSUED}
    assert tickets.values("number").distinct().count() == expected
    codes = TicketCode.objects.filter(ticket__booking=booking, revoked_at__isnull=True)
    per_ticket = codes.values("ticket").annotate(n=Count("id"))
    assert per_ticket.count() == expected and {row["n"] for row in per_ticket} == {1}
    assert set(codes.values_list("code", flat=True)) == set(tickets.values_list("code", flat=True))
    # Visible to staff: the job page says done, the whole count, and that it was resumed; so does the audit log.
    page = staff_page("ticketing", reverse("job-progress", args=[job.pk]))
    assert "Done" in page and f"{expected} of {expected}" in page
    assert f"at {progress_at_kill} of {expected} (the worker stopped)" in page
    assert AuditEntry.objects.filter(action="jobs.resumed", object_id=str(job.pk)).exists()
