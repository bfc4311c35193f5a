"""My bookings, a booking's page (tickets, guests, delivery), sending, and the combined PDF."""

import uuid

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from eventchain.errors import DomainError, RateLimited
from eventchain.models import Job
from eventchain.pagination import page_of
from tickets import downloads, rendering
from tickets.models import TicketStatus

from ... import queries as shared
from ...guestlists import services as guestlists
from ...models import TrackingKind
from ...services import holds, sending
from ...services import portal as portal_services
from .. import queries
from ..forms import DeliveryForm, GuestForm, UploadForm
from ..session import actor, portal_login_required, portal_scope, signed_in_contact
from .common import action_budget, go, rate_limited, session_key

LIVE = (TicketStatus.ISSUED, TicketStatus.SENT)
ASSIGNABLE_SHOWN = 100  # guests without a ticket offered in each ticket row's list


@portal_login_required
def home(request):
    buyer = portal_scope(request)
    rows = list(queries.bookings(buyer))
    counts = shared.booking_counts([row.pk for row in rows])
    return render(request, "portal/home.html", {
        "buyer": buyer, "contact": signed_in_contact(request),
        "bookings": [{"booking": row, "counts": counts[row.pk]} for row in rows],
        "invoice_count": queries.invoices(buyer).count(), "nav": "bookings",
    })


def booking_context(request, booking, **extra) -> dict:
    buyer = portal_scope(request)
    # One page of tickets (a booking can hold a thousand); counts come from the database, not the rows.
    search = request.GET.get("q", "").strip()
    page, query = page_of(request, queries.tickets(buyer, booking.pk, search))
    tickets = list(page.object_list)
    latest = shared.latest_message_by_ticket([ticket.pk for ticket in tickets])
    # Guests page apart from the tickets; each ticket row offers the guests still without a ticket.
    guest_page, guest_query = page_of(request, queries.guests(buyer, booking.pk), param="gpage")
    assignable = queries.unassigned_guests(buyer, booking.pk, ASSIGNABLE_SHOWN)
    contact = signed_in_contact(request)
    # A buyer has one primary contact: when it is the one signed in, it needs no second read.
    primary = contact if contact.is_primary else sending.primary_contact(booking)
    summary = guestlists.booking_summary(booking, tickets)
    # The engagement summary already counted the live tickets of this (buyer-scoped) booking.
    live_count = summary["engagement"]["live"]
    links = _ticket_links()
    job = None
    if _uuid(request.GET.get("job", "")):
        job = Job.objects.filter(pk=request.GET["job"], object_type="buyers.booking",
                                 object_id=str(booking.pk)).first()
    return {
        "buyer": buyer, "contact": contact, "booking": booking,
        "tickets": [{"ticket": ticket, "message": latest.get(ticket.pk), "links": links(ticket.pk),
                     "placeholder": summary["placeholders"].get(ticket.pk)} for ticket in tickets],
        "page": page, "query": query, "q": search,
        "guests": list(guest_page.object_list), "guest_page": guest_page, "guest_query": guest_query,
        "room_for_guests": guest_page.paginator.count < booking.headcount,
        "assignable": assignable[:ASSIGNABLE_SHOWN], "more_assignable": len(assignable) > ASSIGNABLE_SHOWN,
        "live_count": live_count,
        "can_send": bool(live_count) and booking.status in sending.DISTRIBUTABLE, "nav": "bookings",
        "counts": shared.booking_counts([booking.pk])[booking.pk],
        "emails": list(queries.messages(buyer, booking.pk)[:20]),
        "primary": primary, "job": job, "apple": rendering.apple_signer() is not None,
        "delivery_form": extra.pop("delivery_form", None) or DeliveryForm(initial={"mode": "buyer_bundle"}),
        "guest_form": extra.pop("guest_form", None) or GuestForm(),
        "upload_form": extra.pop("upload_form", None) or UploadForm(),
        **summary,
        **extra,
    }


_TICKET_ID = 2147483647  # a placeholder id, replaced in each row's links
_TICKET_LINKS = {"detail": ("portal:ticket", ()), "assign": ("portal:ticket-assign", ()),
                 "claim": ("portal:claim-links", ()), "pdf": ("portal:ticket-file", ("pdf",)),
                 "pkpass": ("portal:ticket-file", ("pkpass",)), "google": ("portal:ticket-file", ("google",)),
                 "reissue": ("portal:ticket-action", ("reissue",)), "transfer": ("portal:ticket-action", ("transfer",)),
                 "revoke": ("portal:ticket-action", ("revoke",))}


def _ticket_links():
    """Each row's links from patterns reversed once per page: `{% url %}` nine times a row dominated the page's CPU."""
    marker = str(_TICKET_ID)
    patterns = {key: reverse(name, args=[_TICKET_ID, *rest]) for key, (name, rest) in _TICKET_LINKS.items()}
    return lambda ticket_id: {key: url.replace(marker, str(ticket_id)) for key, url in patterns.items()}


def _uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@portal_login_required
def booking(request, booking_id):
    row = queries.booking(portal_scope(request), booking_id)
    context = booking_context(request, row)
    if request.htmx and request.headers.get("HX-Target") == "ticket-table":
        return render(request, "portal/booking.html#ticket-table", context)
    return render(request, "portal/booking.html", context)


@require_POST
@portal_login_required
@action_budget
def send(request, booking_id):
    buyer = portal_scope(request)
    row = queries.booking(buyer, booking_id)
    form = DeliveryForm(request.POST)
    if not form.is_valid():
        return render(request, "portal/booking.html", booking_context(request, row, delivery_form=form), status=422)
    try:
        job = portal_services.send_tickets(buyer=buyer, booking_id=row.pk, mode=form.cleaned_data["mode"],
                                           actor=actor(request))
    except RateLimited as exc:
        form.add_error(None, exc.message)
        response = render(request, "portal/booking.html", booking_context(request, row, delivery_form=form))
        return rate_limited(response, exc)
    except DomainError as exc:
        form.add_error(None, exc.message)
        return render(request, "portal/booking.html", booking_context(request, row, delivery_form=form), status=409)
    messages.success(request, "Sending the tickets. The delivery status below updates as each email goes out.")
    return go(request, f"{reverse('portal:booking', args=[row.pk])}?job={job.pk}#delivery")


@portal_login_required
def job_progress(request, booking_id, job_id):
    row = queries.booking(portal_scope(request), booking_id)
    job = Job.objects.filter(pk=job_id, object_type="buyers.booking", object_id=str(row.pk)).first()
    if job is None:
        raise Http404("No such job.")
    response = render(request, "portal/_job_progress.html", {"job": job, "booking": row})
    if job.finished and request.htmx:
        response.status_code = 286  # htmx stops polling
    return response


@portal_login_required
def booking_pdf(request, booking_id):
    buyer = portal_scope(request)
    row = queries.booking(buyer, booking_id)
    tickets = [ticket for ticket in queries.tickets(buyer, row.pk) if ticket.status in LIVE]
    if not tickets:
        raise Http404("This booking has no issued tickets yet.")
    try:
        holds.count_download(session_key=session_key(request), contact=signed_in_contact(request), tickets=tickets)
    except DomainError as exc:
        messages.error(request, exc.message)
        return render(request, "portal/booking.html", booking_context(request, row), status=exc.http_status)
    path = downloads.booking_pdf(tickets)
    if path is None:
        raise Http404("This booking has no issued tickets yet.")
    portal_services.record_portal_download(buyer=buyer, ticket=None, booking=row, kind=TrackingKind.DOWNLOADED_PDF)
    response = FileResponse(open(path, "rb"), content_type="application/pdf")  # noqa: SIM115 - FileResponse closes it
    response["Content-Disposition"] = f'attachment; filename="{row.reference}-tickets.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
