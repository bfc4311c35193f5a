"""Staff console for lane 06: bookings to send, a booking's send queue and progress, problems, resends,
and each ticket's delivery timeline. Pages work as plain HTML; htmx polls the progress bar."""

import uuid

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from buyers.models import Booking
from eventchain.errors import DomainError
from eventchain.models import Job
from eventchain.pagination import page_of
from eventchain.roles import capability_required
from tickets import queries as ticket_queries

from . import queries
from .forms import DistributeForm
from .guestlists import services as guestlists
from .models import DeliveryMessage
from .services import sending

SECTION = {"section": "distribution"}


def _go(request, url: str) -> HttpResponse:
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


@capability_required("distribute_tickets")
def home(request):
    state = request.GET.get("state") if request.GET.get("state") in {"ready", "sent"} else "ready"
    search = request.GET.get("q", "").strip()
    page, query = page_of(request, queries.bookings_to_distribute(search, state))
    counts = queries.booking_counts([booking.pk for booking in page.object_list])
    rows = [{"booking": booking, "counts": counts[booking.pk]} for booking in page.object_list]
    problems = list(queries.problem_messages()[:20])
    waiting = list(queries.waiting_messages()[:20])
    return render(request, "distribution/home.html", {
        **SECTION, "page": page, "query": query, "rows": rows, "state": state, "q": search,
        "problems": problems, "waiting": waiting,
        "ready_count": queries.bookings_to_distribute("", "ready").count(),
    })


def _booking(booking_id) -> Booking:
    booking = ticket_queries.booking(booking_id)
    if booking is None:
        raise Http404("No such booking.")
    return booking


def _job(request, booking: Booking) -> Job | None:
    raw = request.GET.get("job", "")
    try:
        uuid.UUID(raw)
    except ValueError:
        return (Job.objects.filter(kind=sending.JOB_KIND, object_type="buyers.booking", object_id=str(booking.pk))
                .exclude(status__in=[Job.Status.DONE, Job.Status.FAILED]).first())
    return Job.objects.filter(pk=raw, object_type="buyers.booking", object_id=str(booking.pk)).first()


@capability_required("distribute_tickets")
def booking(request, booking_id: int):
    row = _booking(booking_id)
    return render(request, "distribution/booking.html", _booking_context(request, row))


def _booking_context(request, booking: Booking, form=None) -> dict:
    tickets = list(ticket_queries.booking_tickets(booking.pk))
    latest = queries.latest_message_by_ticket([ticket.pk for ticket in tickets])
    page, query = page_of(request, queries.booking_messages(booking.pk))
    return {
        **SECTION, "booking": booking, "form": form or DistributeForm(initial={"mode": "buyer_bundle"}),
        "tickets": [{"ticket": ticket, "message": latest.get(ticket.pk)} for ticket in tickets],
        "page": page, "query": query, "job": _job(request, booking),
        "counts": queries.booking_counts([booking.pk])[booking.pk],
        "primary": sending.primary_contact(booking),
        "can_send": booking.status in sending.DISTRIBUTABLE,
        **guestlists.booking_summary(booking, tickets),
    }


@require_POST
@capability_required("distribute_tickets")
def distribute(request, booking_id: int):
    row = _booking(booking_id)
    form = DistributeForm(request.POST)
    if not form.is_valid():
        return render(request, "distribution/booking.html", _booking_context(request, row, form), status=422)
    try:
        job = sending.start_distribution(booking_id=row.pk, mode=form.cleaned_data["mode"], actor=request.user)
    except DomainError as exc:
        form.add_error(None, exc.message)
        return render(request, "distribution/booking.html", _booking_context(request, row, form),
                      status=exc.http_status)
    messages.success(request, "Sending. The progress bar and the queue below update as each email goes out.")
    return _go(request, f"{reverse('distribution:booking', args=[row.pk])}?job={job.pk}")


@require_POST
@capability_required("distribute_tickets")
def resend_message(request, message_id: int):
    original = DeliveryMessage.objects.filter(pk=message_id, booking__isnull=False).first()
    if original is None:
        raise Http404("No such message.")
    try:
        message = sending.resend_message(message_id=original.pk, actor=request.user)
        messages.success(request, f"Sent again to {message.recipient_email}.")
    except DomainError as exc:
        messages.error(request, exc.message)
    return _go(request, request.POST.get("back") if _safe(request.POST.get("back"))
               else reverse("distribution:booking", args=[original.booking_id]))


@require_POST
@capability_required("distribute_tickets")
def resend_ticket(request, ticket_id: int):
    ticket = ticket_queries.ticket(ticket_id)
    if ticket is None:
        raise Http404("No such ticket.")
    try:
        message = sending.resend_ticket(ticket_id=ticket.pk, actor=request.user)
        messages.success(request, f"Ticket {ticket.number} sent again to {message.recipient_email}.")
    except DomainError as exc:
        messages.error(request, exc.message)
    return _go(request, reverse("distribution:ticket", args=[ticket.pk]))


def _safe(url: str | None) -> bool:
    return bool(url) and url.startswith("/console/distribution/")


@capability_required("distribute_tickets")
def ticket(request, ticket_id: int):
    row = ticket_queries.ticket(ticket_id)
    if row is None:
        raise Http404("No such ticket.")
    return render(request, "distribution/ticket.html", {
        **SECTION, "ticket": row, "booking": row.booking, "timeline": queries.ticket_timeline(row),
        "transfers": list(queries.transfers([row.pk])),
    })
