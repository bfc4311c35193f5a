"""Guest list: inline editing of one row (htmx swaps the row; plain HTML gets a page), adding, uploading."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from eventchain.errors import DomainError
from eventchain.forms import show_errors

from ...portal import uploads
from ...services import portal as portal_services
from .. import queries
from ..forms import GuestForm, UploadForm
from ..session import actor, portal_login_required, portal_scope, signed_in_contact
from .bookings import booking_context
from .common import action_budget, go


@portal_login_required
@action_budget
def edit(request, booking_id, guest_id):
    buyer = portal_scope(request)
    booking = queries.booking(buyer, booking_id)
    guest = queries.guest(buyer, booking.pk, guest_id)
    if request.method == "POST":
        form = GuestForm(request.POST)
        if form.is_valid():
            try:
                guest = portal_services.save_guest(buyer=buyer, booking_id=booking.pk, guest_id=guest.pk,
                                                   values=form.cleaned_data, actor=actor(request))
            except DomainError as exc:
                show_errors(form, exc)
            else:
                if request.htmx:
                    return render(request, "portal/booking.html#guest-row", {"guest": guest, "booking": booking,
                                                                             "saved": True})
                messages.success(request, f"Guest {guest.name} saved.")
                return go(request, f"{reverse('portal:booking', args=[booking.pk])}#guests")
        status = 422
    else:
        form = GuestForm(initial={name: getattr(guest, name) for name in portal_services.GUEST_FIELDS})
        status = 200
    context = {"guest": guest, "booking": booking, "form": form, "contact": signed_in_contact(request)}
    if request.htmx:
        return render(request, "portal/booking.html#guest-row-form", context, status=status)
    return render(request, "portal/guest_edit.html", context, status=status)


@portal_login_required
@action_budget
def row(request, booking_id, guest_id):
    """The read-only row again (htmx "cancel")."""
    buyer = portal_scope(request)
    booking = queries.booking(buyer, booking_id)
    guest = queries.guest(buyer, booking.pk, guest_id)
    if not request.htmx:
        return go(request, f"{reverse('portal:booking', args=[booking.pk])}#guests")
    return render(request, "portal/booking.html#guest-row", {"guest": guest, "booking": booking})


@require_POST
@portal_login_required
@action_budget
def add(request, booking_id):
    buyer = portal_scope(request)
    booking = queries.booking(buyer, booking_id)
    form = GuestForm(request.POST)
    if form.is_valid():
        try:
            guest = portal_services.save_guest(buyer=buyer, booking_id=booking.pk, guest_id=None,
                                               values=form.cleaned_data, actor=actor(request))
        except DomainError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, f"{guest.name} added to the guest list.")
            return go(request, f"{reverse('portal:booking', args=[booking.pk])}#guests")
    return render(request, "portal/booking.html", booking_context(request, booking, guest_form=form), status=422)


@require_POST
@portal_login_required
@action_budget
def upload(request, booking_id):
    buyer = portal_scope(request)
    booking = queries.booking(buyer, booking_id)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "portal/booking.html", booking_context(request, booking, upload_form=form),
                      status=422)
    upload_file = form.cleaned_data["file"]
    result = portal_services.upload_guests(buyer=buyer, booking_id=booking.pk, filename=upload_file.name,
                                           data=upload_file.read(), actor=actor(request))
    if result.applied:
        messages.success(request, f"Guest list replaced from {upload_file.name}: {result.count} guests.")
        return go(request, f"{reverse('portal:booking', args=[booking.pk])}#guests")
    return render(request, "portal/booking.html",
                  booking_context(request, booking, upload_result=result), status=422)


@portal_login_required
def template(request, booking_id):
    booking = queries.booking(portal_scope(request), booking_id)
    response = HttpResponse(uploads.template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{booking.reference}-guests.csv"'
    return response
