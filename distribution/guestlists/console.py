"""Staff console: bookings past their name deadline with names missing; editing the event's three messages."""

from django.db.models import Count
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from buyers.models import Booking
from eventchain.errors import ValidationFailed
from eventchain.forms import show_errors
from eventchain.models import Event
from eventchain.roles import capability_required

from . import messages, reminders, services
from .forms import DeadlineForm, EventMessageForm
from .models import BookingNameOverride, EventNamePolicy


@capability_required("view_buyers")
def follow_up(request):
    search = request.GET.get("q", "").strip().lower()
    rows = reminders.follow_up_queue()
    if search:
        rows = [row for row in rows if search in row["booking"].buyer.name.lower()
                or search in row["booking"].reference.lower() or search in row["booking"].event.name.lower()]
    return render(request, "distribution/guestlists/follow_up.html", {
        "section": "distribution", "rows": rows, "q": search,
    })


@capability_required("distribute_tickets")
def event_messages(request, event_id: int, kind: str = ""):
    """Staff edit and preview the event's three messages (the follow-up has two versions)."""
    event = Event.objects.select_related("venue").filter(pk=event_id).first()
    if event is None or (kind and kind not in messages.KINDS.values):
        raise Http404("No such event or message.")
    kind = kind or messages.KINDS.CONFIRMATION
    subject, body, days = messages.template_for(event, kind)
    form = EventMessageForm(request.POST or None, initial={"subject": subject, "body": body, "days_before": days})
    preview, status, saved = None, 200, False
    if request.method == "POST":
        if form.is_valid():
            values = form.cleaned_data
            try:
                messages.validate(values["subject"], values["body"])
                if request.POST.get("action") == "save":
                    messages.save_template(event=event, kind=kind, subject=values["subject"], body=values["body"],
                                           days_before=values["days_before"], actor=request.user)
                    saved = True
                sample = (Booking.objects.filter(event=event).select_related("event__venue", "package", "buyer")
                          .annotate(n=Count("tickets")).order_by("-n", "id").first())  # one with tickets shows more
                if sample is not None:
                    preview = messages.preview(booking=sample, kind=kind, subject=values["subject"],
                                               body=values["body"])
            except ValidationFailed as exc:
                show_errors(form, exc)
                status = 422
        else:
            status = 422
    return render(request, "distribution/guestlists/messages.html", {
        "section": "distribution", "event": event, "kind": kind, "kinds": messages.KINDS.choices, "form": form,
        "preview": preview, "saved": saved, "enabled": messages.enabled(event, kind),
    }, status=status)


def _aware(value, tz):
    return timezone.make_aware(value.replace(tzinfo=None), tz) if value else None


def _local(value, tz) -> str:
    return timezone.localtime(value, tz).strftime("%Y-%m-%dT%H:%M") if value else ""


@capability_required("manage_buyers")
def deadlines(request, event_id: int):
    """The event's name deadline and cut-off, and per-booking overrides (a booking id in ?booking=)."""
    event = Event.objects.select_related("venue").filter(pk=event_id).first()
    if event is None:
        raise Http404("No such event.")
    booking = None
    if request.GET.get("booking", "").isdigit():
        booking = Booking.objects.select_related("buyer").filter(pk=request.GET["booking"], event=event).first()
        if booking is None:
            raise Http404("No such booking at this event.")
    current = (BookingNameOverride.objects.filter(booking=booking).first() if booking
               else EventNamePolicy.objects.filter(event=event).first())
    initial = {"names_due_at": _local(getattr(current, "names_due_at", None), event.tz),
               "cutoff_at": _local(getattr(current, "cutoff_at", None), event.tz)}
    form = DeadlineForm(request.POST or None, initial=initial, optional=booking is not None)
    status, saved = 200, False
    if request.method == "POST":
        if form.is_valid():
            due, cutoff = (_aware(form.cleaned_data[name], event.tz) for name in ("names_due_at", "cutoff_at"))
            try:
                if booking is None:
                    services.set_event_policy(event=event, names_due_at=due, cutoff_at=cutoff, actor=request.user)
                else:
                    services.set_booking_override(booking_id=booking.pk, names_due_at=due, cutoff_at=cutoff,
                                                  actor=request.user)
                saved = True
            except ValidationFailed as exc:
                show_errors(form, exc)
                status = 422
        else:
            status = 422
    return render(request, "distribution/guestlists/deadlines.html", {
        "section": "distribution", "event": event, "booking": booking, "form": form, "saved": saved,
    }, status=status)
