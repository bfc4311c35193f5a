"""Console pages for venues, events and packages."""

from django.contrib import messages
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render

from ..errors import ValidationFailed
from ..forms import show_errors
from ..models import Event, Package, Venue
from ..pagination import page_of
from ..roles import capability_required
from . import services
from .forms import EventForm, PackageForm, VenueForm


def _edit(request, form_class, instance, save, template: str, title: str, redirect_to):
    form = form_class(request.POST or None, instance=instance, initial=request.GET.dict() if not instance else None)
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields() if hasattr(form, "service_fields") else dict(form.cleaned_data)
        # The form has already written its values onto `instance`; the service diffs against the stored row.
        stored = type(instance).objects.get(pk=instance.pk) if instance else None
        try:
            saved = save(actor=request.user, instance=stored, fields=fields)
        except ValidationFailed as exc:
            show_errors(form, exc)
        else:
            messages.success(request, f"{saved} saved.")
            return redirect(redirect_to(saved))
    status = 422 if request.method == "POST" else 200
    return render(request, template, {"form": form, "title": title, "object": instance, "section": "admin"},
                  status=status)


@capability_required("view_console")
def catalogue_home(request):
    q = request.GET.get("q", "").strip()
    events = Event.objects.select_related("venue").annotate(package_count=Count("packages"))
    if q:
        events = events.filter(Q(code__icontains=q) | Q(name__icontains=q) | Q(venue__name__icontains=q))
    page, query = page_of(request, events.order_by("starts_at"))
    venues = Venue.objects.annotate(event_count=Count("events")).order_by("name")
    return render(request, "catalogue/home.html",
                  {"page": page, "query": query, "q": q, "venues": venues, "section": "admin"})


@capability_required("view_console")
def event_detail(request, code: str):
    event = get_object_or_404(Event.objects.select_related("venue"), code=code)
    packages = event.packages.order_by("code")
    return render(request, "catalogue/event_detail.html", {"event": event, "packages": packages, "section": "admin"})


@capability_required("manage_catalogue")
def venue_edit(request, pk: int | None = None):
    venue = get_object_or_404(Venue, pk=pk) if pk else None
    return _edit(
        request, VenueForm, venue,
        lambda actor, instance, fields: services.save_venue(actor=actor, venue=instance, **fields),
        "catalogue/form.html", f"Edit {venue}" if venue else "New venue",
        lambda saved: "catalogue:home",
    )


@capability_required("manage_catalogue")
def event_edit(request, code: str | None = None):
    event = get_object_or_404(Event, code=code) if code else None
    return _edit(
        request, EventForm, event,
        lambda actor, instance, fields: services.save_event(actor=actor, event=instance, **fields),
        "catalogue/form.html", f"Edit {event}" if event else "New event",
        lambda saved: saved.get_absolute_url(),
    )


@capability_required("manage_catalogue")
def package_edit(request, pk: int | None = None):
    package = get_object_or_404(Package, pk=pk) if pk else None
    return _edit(
        request, PackageForm, package,
        lambda actor, instance, fields: services.save_package(actor=actor, package=instance, **fields),
        "catalogue/form.html", f"Edit {package}" if package else "New package",
        lambda saved: saved.event.get_absolute_url(),
    )
