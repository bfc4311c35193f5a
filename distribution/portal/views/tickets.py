"""One ticket: its timeline and files; assign, reissue, revoke, transfer and resend."""

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from eventchain.errors import DomainError, RateLimited
from tickets import downloads, rendering

from ... import queries as shared
from ...models import TrackingKind
from ...services import holds
from ...services import portal as portal_services
from .. import queries
from ..forms import AssignForm, ReissueForm, RevokeForm, TransferForm
from ..session import actor, portal_login_required, portal_scope, signed_in_contact
from .bookings import LIVE
from .common import action_budget, go, rate_limited, session_key


def _booking_url(ticket) -> str:
    return reverse("portal:booking", args=[ticket.booking_id])


def _detail(request, buyer, ticket, *, status: int = 200, error: str = ""):
    return render(request, "portal/ticket.html", {
        "contact": signed_in_contact(request), "ticket": ticket, "booking": ticket.booking,
        "timeline": shared.ticket_timeline(ticket), "transfers": list(shared.transfers([ticket.pk])),
        "live": ticket.status in LIVE, "error": error, "apple": rendering.apple_signer() is not None,
    }, status=status)


@portal_login_required
def detail(request, ticket_id):
    buyer = portal_scope(request)
    return _detail(request, buyer, queries.ticket(buyer, ticket_id))


@require_POST
@portal_login_required
@action_budget
def assign(request, ticket_id):
    buyer = portal_scope(request)
    ticket = queries.ticket(buyer, ticket_id)
    form = AssignForm(request.POST)
    if form.is_valid():
        try:
            portal_services.assign_guest(buyer=buyer, ticket_id=ticket.pk, guest_id=form.cleaned_data["guest"],
                                         actor=actor(request))
            messages.success(request, f"Ticket {ticket.number} updated.")
        except DomainError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, "Choose a guest from the list.")
    return go(request, f"{_booking_url(ticket)}#tickets")


ACTIONS = {
    "reissue": (ReissueForm, "Reissue ticket",
                "A new code is made. The current code stops working at the gate, in the PDF and in wallet apps, "
                "and the new ticket is sent again the way this one was sent."),
    "revoke": (RevokeForm, "Revoke ticket",
               "The ticket stops working everywhere and wallet passes are voided. This cannot be undone."),
    "transfer": (TransferForm, "Transfer to a new guest",
                 "The ticket gets a new code in the new guest's name. The previous guest's copy stops working; "
                 "their name stays in this ticket's history."),
}


@portal_login_required
@action_budget
def action(request, ticket_id, verb: str):
    if verb not in ACTIONS:
        raise Http404("No such action.")
    buyer = portal_scope(request)
    ticket = queries.ticket(buyer, ticket_id)
    form_class, title, consequence = ACTIONS[verb]
    form = form_class(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                done = _run(verb, buyer, ticket, form.cleaned_data, actor(request))
                messages.success(request, done)
                return HttpResponseRedirect(reverse("portal:ticket", args=[ticket.pk]))
            except DomainError as exc:
                for error in exc.errors:
                    field = error.get("field") if error.get("field") in form.fields else None
                    form.add_error(field, error["message"])
                status = exc.http_status
        else:
            status = 422
    return render(request, "portal/ticket_action.html", {
        "contact": signed_in_contact(request), "ticket": ticket, "booking": ticket.booking, "form": form,
        "verb": verb, "title": title, "consequence": consequence, "live": ticket.status in LIVE,
    }, status=status)


def _run(verb: str, buyer, ticket, data: dict, who: str) -> str:
    if verb == "reissue":
        ticket = portal_services.reissue(buyer=buyer, ticket_id=ticket.pk, reason=data["reason"], actor=who)
        return f"Ticket {ticket.number} reissued: the old code no longer works."
    if verb == "revoke":
        ticket = portal_services.revoke(buyer=buyer, ticket_id=ticket.pk, reason=data["reason"], actor=who)
        return f"Ticket {ticket.number} revoked."
    ticket = portal_services.transfer(buyer=buyer, ticket_id=ticket.pk, name=data["name"], email=data["email"],
                                      phone=data["phone"], reason=data["reason"], actor=who)
    return f"Ticket {ticket.number} now belongs to {ticket.guest.name if ticket.guest else data['name']}."


@require_POST
@portal_login_required
@action_budget
def resend(request, ticket_id):
    buyer = portal_scope(request)
    ticket = queries.ticket(buyer, ticket_id)
    try:
        message = portal_services.resend(buyer=buyer, ticket_id=ticket.pk, actor=actor(request))
        messages.success(request, f"Ticket {ticket.number} sent again to {message.recipient_email}.")
    except RateLimited as exc:
        return rate_limited(_detail(request, buyer, ticket, error=exc.message), exc)
    except DomainError as exc:
        messages.error(request, exc.message)
    return go(request, reverse("portal:ticket", args=[ticket.pk]))


def _file(path, content_type: str, filename: str) -> FileResponse:
    response = FileResponse(open(path, "rb"), content_type=content_type)  # noqa: SIM115 - FileResponse closes it
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@portal_login_required
def download(request, ticket_id, kind: str):
    buyer = portal_scope(request)
    ticket = queries.ticket(buyer, ticket_id)
    if ticket.status not in LIVE:
        raise Http404("This ticket has no files: it is not issued, or it was revoked.")
    if kind not in ("pdf", "pkpass", "google"):
        raise Http404("No such file.")
    try:
        holds.count_download(session_key=session_key(request), contact=signed_in_contact(request), tickets=[ticket])
    except DomainError as exc:
        return _detail(request, buyer, ticket, status=exc.http_status, error=exc.message)
    if kind == "pdf":
        portal_services.record_portal_download(buyer=buyer, ticket=ticket, booking=ticket.booking,
                                               kind=TrackingKind.DOWNLOADED_PDF)
        return _file(downloads.ticket_pdf(ticket), "application/pdf", f"{ticket.number}.pdf")
    if kind == "pkpass":
        path = downloads.ticket_pkpass(ticket)
        if path is None:
            raise Http404("Apple Wallet passes are not offered.")
        portal_services.record_portal_download(buyer=buyer, ticket=ticket, booking=ticket.booking,
                                               kind=TrackingKind.DOWNLOADED_PKPASS)
        return _file(path, "application/vnd.apple.pkpass", f"{ticket.number}.pkpass")
    if kind == "google" and ticket.google_save_url:
        portal_services.record_portal_download(buyer=buyer, ticket=ticket, booking=ticket.booking,
                                               kind=TrackingKind.GOOGLE_LINK)
        return HttpResponseRedirect(ticket.google_save_url)
    raise Http404("No such file.")
