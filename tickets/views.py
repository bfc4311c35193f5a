"""Staff console for lane 05: bookings to issue, a booking's guests and tickets, ticket designs.

Pages work as plain HTML; with HTMX the guest list swaps in place, the issue button shows the
kernel's job progress bar, and the design form refreshes its preview as colours and text change.
"""

import base64
import copy

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from eventchain.errors import DomainError
from eventchain.forms import show_errors
from eventchain.models import Event, Job
from eventchain.pagination import page_of
from eventchain.reauth import recent_auth_required
from eventchain.roles import capability_required, has_capability

from . import content, downloads, keys, previews, queries, rendering, services
from .forms import AssignGuestForm, DesignForm, GuestFormSet, IssueForm, ReasonForm
from .models import TicketDesign, TicketStatus

SECTION = {"section": "tickets"}
GUEST_FIELDS = {"name", "email", "phone", "requirements"}


def _booking_or_404(booking_id):
    booking = queries.booking(booking_id)
    if booking is None:
        raise Http404("No such booking.")
    return booking


def _redirect(request, url: str) -> HttpResponse:
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


@capability_required("issue_tickets")
def home(request):
    state = request.GET.get("state") if request.GET.get("state") in {"ready", "issued"} else "ready"
    search = request.GET.get("q", "").strip()
    page, query = page_of(request, queries.bookings_for_tickets(search, state))
    context = {**SECTION, "page": page, "query": query, "state": state, "q": search,
               "ready_count": queries.bookings_for_tickets("", "ready").count()}
    if request.htmx and request.headers.get("HX-Target") == "booking-table":
        return render(request, "tickets/home.html#booking-table", context)
    return render(request, "tickets/home.html", context)


def _guest_initial(booking):
    guests = list(queries.booking_guests(booking.pk))
    rows = [{"name": g.name, "email": g.email, "phone": g.phone, "requirements": g.requirements} for g in guests]
    return rows + [{}] * max(booking.headcount - len(rows), 0)


def _booking_context(request, booking, *, formset=None, job=None, issue_form=None):
    tickets = list(queries.booking_tickets(booking.pk))
    guests = list(queries.booking_guests(booking.pk))
    if formset is None:
        formset = GuestFormSet(initial=_guest_initial(booking), prefix="guests")
    live = [t for t in tickets if t.status in queries.DOWNLOADABLE]
    return {
        **SECTION, "booking": booking, "tickets": tickets, "guests": guests, "formset": formset,
        "job": job, "issue_form": issue_form or IssueForm(),
        "can_issue": booking.status == "released" and has_capability(request.user, "issue_tickets"),
        "can_reissue": has_capability(request.user, "reissue_tickets"),
        "apple_enabled": rendering.apple_signer() is not None,
        "booking_pdf_url": reverse("tickets:booking-pdf", args=[booking.pk]) if live else None,
        "counts": {status: sum(1 for t in tickets if t.status == status) for status in TicketStatus.values},
    }


@capability_required("issue_tickets")
def booking(request, booking_id: int):
    booking = _booking_or_404(booking_id)
    job = None
    if request.GET.get("job"):
        job = Job.objects.filter(pk=request.GET["job"], object_id=str(booking.pk)).first()
    if job is None:
        job = Job.objects.filter(kind=services.JOB_KIND, object_type="buyers.booking", object_id=str(booking.pk)
                                 ).exclude(status__in=[Job.Status.DONE, Job.Status.FAILED]).first()
    return render(request, "tickets/booking.html", _booking_context(request, booking, job=job))


@capability_required("issue_tickets")
def guests(request, booking_id: int):
    booking = _booking_or_404(booking_id)
    if request.method != "POST":
        return redirect("tickets:booking", booking_id=booking.pk)
    formset = GuestFormSet(request.POST, prefix="guests")
    if formset.is_valid():
        rows = [form.cleaned_data for form in formset.forms if not form.is_blank()]
        try:
            services.set_guest_list(booking_id=booking.pk, guests=rows, actor=request.user)
        except DomainError as exc:
            _guest_errors(formset, rows, exc)
        else:
            messages.success(request, f"Guest list saved: {len(rows)} of {booking.headcount} named.")
            if request.htmx:
                context = _booking_context(request, booking)
                return render(request, "tickets/booking.html#guest-panel", {**context, "saved": True})
            return redirect("tickets:booking", booking_id=booking.pk)
    context = _booking_context(request, booking, formset=formset)
    template = "tickets/booking.html#guest-panel" if request.htmx else "tickets/booking.html"
    return render(request, template, context, status=422)


def _guest_errors(formset, rows, exc: DomainError) -> None:
    """Service errors name rows of the submitted (non-blank) list: map them back to form rows."""
    filled = [form for form in formset.forms if not form.is_blank()]
    for error in exc.errors:
        index, _, field = (error.get("field") or "").partition(".")
        if index.isdigit() and int(index) < len(filled) and field in GUEST_FIELDS:
            filled[int(index)].add_error(field, error["message"])
        else:
            formset._non_form_errors = formset.non_form_errors() + [error["message"]]


@require_POST
@capability_required("issue_tickets")
def issue(request, booking_id: int):
    booking = _booking_or_404(booking_id)
    form = IssueForm(request.POST)
    if not form.is_valid():
        return render(request, "tickets/booking.html", _booking_context(request, booking, issue_form=form), status=422)
    try:
        job = services.start_issuance(booking_id=booking.pk, actor=request.user,
                                      channel=form.cleaned_data["channel"] or None)
    except DomainError as exc:
        messages.error(request, exc.message)
        return _redirect(request, reverse("tickets:booking", args=[booking.pk]))
    messages.success(request, "Issuing tickets. This page shows progress; you can leave it.")
    return _redirect(request, f"{reverse('tickets:booking', args=[booking.pk])}?job={job.pk}")


@require_POST
@capability_required("issue_tickets")
def assign(request, ticket_id: int):
    ticket = queries.ticket(ticket_id)
    if ticket is None:
        raise Http404("No such ticket.")
    form = AssignGuestForm(request.POST, guests=queries.booking_guests(ticket.booking_id))
    if form.is_valid():
        try:
            services.assign_guest(ticket_id=ticket.pk, guest_id=form.cleaned_data["guest"], actor=request.user)
            messages.success(request, f"Ticket {ticket.number} updated.")
        except DomainError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, "Choose a guest from the list.")
    return _redirect(request, reverse("tickets:booking", args=[ticket.booking_id]))


ACTIONS = {
    "reissue": ("Reissue", "A new code is made and the current one stops working at the gate, in the PDF and in "
                "wallets. The guest needs the new ticket."),
    "revoke": ("Revoke", "The code stops working everywhere and wallet passes are voided. This cannot be undone."),
}


@capability_required("reissue_tickets")
def ticket_action(request, ticket_id: int, action: str):
    ticket = queries.ticket(ticket_id)
    if ticket is None or action not in ACTIONS:
        raise Http404("No such ticket.")
    form = ReasonForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        service = services.reissue_ticket if action == "reissue" else services.revoke_ticket
        try:
            service(ticket_id=ticket.pk, actor=request.user, reason=form.cleaned_data["reason"])
            messages.success(request, f"Ticket {ticket.number}: {'reissued' if action == 'reissue' else 'revoked'}.")
            return redirect("tickets:booking", booking_id=ticket.booking_id)
        except DomainError as exc:
            form.add_error(None, exc.message)
    verb, consequence = ACTIONS[action]
    return render(request, "tickets/confirm.html", {**SECTION, "ticket": ticket, "form": form, "verb": verb,
                                                    "action": action, "consequence": consequence})


def _file_response(path, content_type: str, filename: str, *, inline: bool = False):
    from django.http import FileResponse

    response = FileResponse(open(path, "rb"), content_type=content_type)  # noqa: SIM115
    response["Content-Disposition"] = f'{"inline" if inline else "attachment"}; filename="{filename}"'
    return response


@capability_required("issue_tickets")
def ticket_pdf(request, ticket_id: int):
    ticket = queries.ticket(ticket_id)
    if ticket is None or ticket.status not in queries.DOWNLOADABLE:
        raise Http404("No such ticket.")
    return _file_response(downloads.ticket_pdf(ticket), "application/pdf", f"{ticket.number}.pdf", inline=True)


@capability_required("issue_tickets")
def ticket_pkpass(request, ticket_id: int):
    ticket = queries.ticket(ticket_id)
    path = downloads.ticket_pkpass(ticket) if ticket and ticket.status in queries.DOWNLOADABLE else None
    if path is None:
        raise Http404("No Apple Wallet pass for this ticket.")
    return _file_response(path, "application/vnd.apple.pkpass", f"{ticket.number}.pkpass")


@capability_required("issue_tickets")
def booking_pdf(request, booking_id: int):
    booking = _booking_or_404(booking_id)
    path = downloads.booking_pdf(list(queries.booking_tickets(booking.pk).select_related("event", "event__venue")))
    if path is None:
        raise Http404("This booking has no issued tickets.")
    return _file_response(path, "application/pdf", f"{booking.reference}-tickets.pdf", inline=True)


# Designs ------------------------------------------------------------------------------------------

@capability_required("manage_ticket_design")
def designs(request):
    events = Event.objects.select_related("venue", "ticket_design").order_by("starts_at", "code")
    return render(request, "tickets/designs.html", {**SECTION, "events": events})


def _design_initial(row: TicketDesign) -> dict:
    return {
        "primary_colour": row.primary_colour, "accent_colour": row.accent_colour,
        "background_colour": row.background_colour, "text_colour": row.text_colour, "terms": row.terms,
        "entry_opens_at": row.entry_opens_at, "entry_closes_at": row.entry_closes_at,
        "html": row.html, "css": row.css,
    }


def _event_or_404(code: str) -> Event:
    return get_object_or_404(Event.objects.select_related("venue"), code=code)


@capability_required("manage_ticket_design")
def design(request, code: str):
    event = _event_or_404(code)
    timezone.activate(event.tz)  # the entry window is typed in the venue's local time
    row = content.design_row(event)
    form = DesignForm(request.POST or None, request.FILES or None, initial=_design_initial(row))
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in services.DESIGN_FIELDS}
        try:
            saved = services.save_design(
                event_id=event.pk, actor=request.user, values=values,
                logo=form.cleaned_data["logo"] or None, hero=form.cleaned_data["hero"] or None,
                clear_logo=form.cleaned_data["logo"] is False, clear_hero=form.cleaned_data["hero"] is False,
            )
            messages.success(request, f"Ticket design saved (version {saved.version}). New downloads use it.")
            return redirect("tickets:design", code=event.code)
        except DomainError as exc:
            show_errors(form, exc)
    context = {**SECTION, "event": event, "row": row, "form": form, "keys": keys.public_keys(event.pk),
               "png": previews.png_available()}
    return render(request, "tickets/design.html", context, status=422 if form.errors else 200)


@capability_required("manage_ticket_design")
def design_preview(request, code: str):
    """The sample ticket: the saved design on GET, the form's unsaved values on POST (live preview)."""
    event = _event_or_404(code)
    timezone.activate(event.tz)
    row = content.design_row(event)
    if request.method == "POST":
        form = DesignForm(request.POST)
        form.is_valid()
        row = copy.copy(row)
        for name in services.DESIGN_FIELDS:
            if name in form.cleaned_data and name not in form.errors:
                setattr(row, name, form.cleaned_data[name])
        row.version = -1  # never collides with a saved version's cached layers
    elif not request.htmx:
        return HttpResponse(previews.sample_pdf(event, row), content_type="application/pdf")
    try:
        if previews.png_available():
            image = base64.b64encode(previews.sample_png(event, row, scale=1.2)).decode("ascii")
            context = {"image": image}
        else:
            context = {"html": previews.sample_html(event, row)}
    except Exception as exc:  # noqa: BLE001 - a broken template's message is the preview's content
        context = {"error": str(getattr(exc, "__cause__", None) or exc)}
    return render(request, "tickets/_preview.html", {**context, "event": event})


@require_POST
@capability_required("manage_ticket_design")
@recent_auth_required
def rotate_key(request, code: str):
    event = _event_or_404(code)
    key = services.rotate_signing_key(event_id=event.pk, actor=request.user)
    messages.success(request, f"New tickets for {event.code} are signed with key {key.key_id}; older codes still scan.")
    return redirect("tickets:design", code=event.code)
