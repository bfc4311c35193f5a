"""Allocation console: the queue, a booking's stock, manifests, uploads, rules and the inventory map."""

from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from eventchain.errors import DomainError, NotFound, ValidationFailed
from eventchain.forms import show_errors
from eventchain.lifecycle import BookingStatus
from eventchain.models import Event, InventoryKind
from eventchain.pagination import page_of
from eventchain.roles import capability_required

from . import forms, queries, services
from .models import AllocationUpload, CompRule, EventUnit, Hold, Manifest, OverflowRule, StockState
from .services.common import AMENDABLE


def _booking(booking_id):
    try:
        return queries.booking(booking_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _units_text(form, name="units"):
    return services.reserve.clean_labels(form.cleaned_data.get(name) or "")


# ---------------------------------------------------------------- queue and intake


@capability_required("allocate_stock")
def queue(request):
    tab = request.GET.get("tab", "awaiting")
    if tab not in queries.QUEUE_TABS:
        tab = "awaiting"
    q = request.GET.get("q", "").strip()
    event_code = request.GET.get("event", "").strip()
    page, query = page_of(request, queries.queue(tab, q=q, event_code=event_code))
    context = {
        "section": "allocation", "tab": tab, "tabs": queries.QUEUE_TABS, "tab_label": queries.QUEUE_TABS[tab],
        "counts": queries.queue_counts(),
        "page": page, "query": query, "q": q, "event_code": event_code,
        "events": Event.objects.order_by("starts_at"),
    }
    return render(request, "allocation/queue.html", context)


@capability_required("allocate_stock")
def manual(request):
    form = forms.ManualAllocationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        area = form.cleaned_data["preferred_area"]
        try:
            outcome = services.allocate_booking(
                booking_id=form.cleaned_data["booking"], actor=request.user, units=_units_text(form),
                preferred_area=area.name if area else None, source="manual",
            )
        except DomainError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, " ".join(outcome.notes))
            return redirect("allocation:booking", outcome.booking.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "allocation/manual.html", {"form": form, "section": "allocation"}, status=status)


@capability_required("allocate_stock")
def upload(request):
    form = forms.UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        file = form.cleaned_data["file"]
        result = services.upload_requests(file_name=file.name, content=file.read(), actor=request.user)
        return redirect(result.get_absolute_url())
    recent = AllocationUpload.objects.select_related("uploaded_by").defer("content")[:10]
    status = 422 if request.method == "POST" else 200
    return render(request, "allocation/upload.html", {"form": form, "recent": recent, "section": "allocation"},
                  status=status)


@capability_required("allocate_stock")
def upload_detail(request, upload_id: int):
    result = get_object_or_404(AllocationUpload.objects.defer("content"), pk=upload_id)
    show = request.GET.get("show", "all")
    rows = [r for r in result.results if show == "all" or (show == "bad") != bool(r.get("ok"))]
    return render(request, "allocation/upload_detail.html",
                  {"upload": result, "rows": rows, "show": show, "section": "allocation"})


# ---------------------------------------------------------------- one booking


@capability_required("allocate_stock")
def booking(request, booking_id: int):
    found = _booking(booking_id)
    held = queries.holdings(found.pk)
    seated = services.reserve.paid_seats(found, held)
    context = {
        "section": "allocation", "booking": found, "held": held, "seated": seated,
        "paid": [h for h in held if not h.comp], "comps": [h for h in held if h.comp],
        "pending": [h for h in held if not h.locked],
        "notes": queries.notes(found.pk), "manifests": queries.manifests(found.pk).select_related("created_by"),
        "request_record": getattr(found, "allocation_request", None),
        "can_allocate": found.status == BookingStatus.CONFIRMED,
        "can_amend": found.status in AMENDABLE,
        "allocate_form": forms.AllocateForm(venue_id=found.event.venue_id),
        "comp_form": forms.CompGrantForm(event_id=found.event_id),
        "amend_form": forms.AmendForm(), "cancel_form": forms.CancelForm(),
    }
    return render(request, "allocation/booking.html", context)


def _back(booking_id):
    return redirect("allocation:booking", booking_id)


@require_POST
@capability_required("allocate_stock")
def booking_allocate(request, booking_id: int):
    found = _booking(booking_id)
    form = forms.AllocateForm(request.POST, venue_id=found.event.venue_id)
    if form.is_valid():
        area = form.cleaned_data["preferred_area"]
        try:
            outcome = services.allocate_booking(booking_id=found.pk, actor=request.user, units=_units_text(form),
                                                preferred_area=area.pk if area else None, source="console")
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, " ".join(outcome.notes))
    else:
        messages.error(request, "; ".join(e for errs in form.errors.values() for e in errs))
    return _back(found.pk)


@require_POST
@capability_required("allocate_stock")
def booking_confirm(request, booking_id: int):
    try:
        confirmed = services.confirm_allocation(booking_id=booking_id, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return _back(booking_id)
    messages.success(request, f"Manifest v{confirmed.manifest.version} confirmed and published to finance.")
    return redirect(confirmed.manifest.get_absolute_url())


@require_POST
@capability_required("allocate_stock")
def booking_release(request, booking_id: int):
    labels = services.reserve.clean_labels(request.POST.get("units", "")) or None
    try:
        released = services.release_units(booking_id=booking_id, actor=request.user, labels=labels)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Released {', '.join(released)}." if released else "Nothing to release.")
    return _back(booking_id)


@require_POST
@capability_required("allocate_stock")
def booking_comp(request, booking_id: int):
    found = _booking(booking_id)
    form = forms.CompGrantForm(request.POST, event_id=found.event_id)
    if form.is_valid():
        package = form.cleaned_data["package"]
        try:
            outcome = services.grant_comp(booking_id=found.pk, actor=request.user,
                                          quantity=form.cleaned_data["quantity"], reason=form.cleaned_data["reason"],
                                          package_code=package.code if package else "", units=_units_text(form))
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, " ".join(outcome.notes))
    else:
        messages.error(request, "Comp not given: " + "; ".join(
            f"{form.fields[f].label or f}: {e}" if f in form.fields else e
            for f, errs in form.errors.items() for e in errs))
    return _back(found.pk)


@require_POST
@capability_required("allocate_stock")
def booking_amend(request, booking_id: int):
    form = forms.AmendForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the allocation changes.")
        return _back(booking_id)
    try:
        confirmed = services.amend_allocation(booking_id=booking_id, actor=request.user, add=_units_text(form, "add"),
                                              remove=_units_text(form, "remove"), reason=form.cleaned_data["reason"])
    except DomainError as exc:
        messages.error(request, exc.message)
        return _back(booking_id)
    messages.success(request, f"Manifest v{confirmed.manifest.version} confirmed; the changes are below.")
    return redirect(confirmed.manifest.get_absolute_url())


@require_POST
@capability_required("allocate_stock")
def booking_cancel(request, booking_id: int):
    form = forms.CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give a reason for cancelling the allocation.")
        return _back(booking_id)
    try:
        released = services.cancel_allocation(booking_id=booking_id, actor=request.user,
                                              reason=form.cleaned_data["reason"],
                                              cancel_booking=form.cleaned_data["cancel_booking"])
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Allocation cancelled; released {', '.join(released) or 'nothing'}.")
    return _back(booking_id)


@capability_required("allocate_stock")
def manifest(request, booking_id: int, version: int):
    found = _booking(booking_id)
    current = get_object_or_404(
        Manifest.objects.select_related("created_by").prefetch_related("lines__package"), booking=found,
        version=version,
    )
    previous = (Manifest.objects.prefetch_related("lines__package").filter(booking=found, version__lt=version)
                .order_by("-version").first())
    lines = list(current.lines.all())
    context = {
        "section": "allocation", "booking": found, "manifest": current, "previous": previous, "lines": lines,
        "diff": queries.manifest_diff(previous, current) if previous else [],
        "total": sum((line.line_total for line in lines), start=0),
        "versions": queries.manifests(found.pk).values_list("version", flat=True),
    }
    return render(request, "allocation/manifest.html", context)


# ---------------------------------------------------------------- events: stock, rules, map


@capability_required("allocate_stock")
def events(request):
    rows = (Event.objects.select_related("venue").order_by("starts_at")
            .annotate(units=Count("stock", filter=Q(stock__unit__parent__isnull=True)),
                      available=Count("stock", filter=Q(stock__state=StockState.AVAILABLE,
                                                        stock__unit__parent__isnull=True)),
                      holds=Count("stock_holds", filter=Q(stock_holds__released_at__isnull=True), distinct=True)))
    return render(request, "allocation/events.html", {"events": rows, "section": "allocation"})


def _event(code: str) -> Event:
    return get_object_or_404(Event.objects.select_related("venue"), code=code)


@capability_required("manage_stock")
def rules(request, code: str):
    event = _event(code)
    forms_by_name = {
        "comp": forms.CompRuleForm(event=event), "overflow": forms.OverflowForm(event=event),
        "hold": forms.HoldForm(), "block": forms.BlockForm(),
    }
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            done, bound = _rules_action(request, event, action)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("allocation:rules", event.code)
        if done:
            return redirect("allocation:rules", event.code)
        if bound is not None:
            forms_by_name[action] = bound
            status = 422
    context = {
        "section": "allocation", "event": event, "forms": forms_by_name,
        "comp_rules": CompRule.objects.filter(event=event).select_related("package", "comp_package"),
        "overflow": OverflowRule.objects.filter(event=event).select_related("area", "fallback"),
        "holds": Hold.objects.filter(event=event).annotate(
            unit_count=Count("units", distinct=True)).prefetch_related("pool_shares__pool__unit")
        .order_by("released_at", "expires_at", "name"),
        "blocked": EventUnit.objects.filter(event=event, state=StockState.BLOCKED).select_related("unit")
        .order_by("unit__position"),
    }
    return render(request, "allocation/rules.html", context, status=status)


def _rules_action(request, event: Event, action: str):
    """Run one form of the rules page. Returns (done, bound form with errors or None)."""
    user, post = request.user, request.POST
    if action == "comp":
        form = forms.CompRuleForm(post, event=event)
        if not form.is_valid():
            return False, form
        data = form.cleaned_data
        rule = services.save_comp_rule(event_id=event.pk, package_id=data["package"].pk, every=data["every"],
                                       quantity=data["quantity"], actor=user,
                                       comp_package_id=data["comp_package"].pk if data["comp_package"] else None)
        messages.success(request, f"Comp rule added: {rule}.")
    elif action == "comp-stop":
        services.delete_comp_rule(rule_id=int(post.get("rule", 0)), actor=user)
        messages.success(request, "Comp rule stopped; comps already given stay.")
    elif action == "overflow":
        form = forms.OverflowForm(post, event=event)
        if not form.is_valid():
            return False, form
        rule = services.add_overflow(event_id=event.pk, area_id=form.cleaned_data["area"].pk,
                                     fallback_id=form.cleaned_data["fallback"].pk, actor=user)
        messages.success(request, f"Overflow added: {rule}.")
    elif action == "overflow-remove":
        services.remove_overflow(rule_id=int(post.get("rule", 0)), actor=user)
        messages.success(request, "Overflow step removed.")
    elif action == "hold":
        form = forms.HoldForm(post)
        with timezone.override(event.tz):
            valid = form.is_valid()
        if not valid:
            return False, form
        data = form.cleaned_data
        try:
            hold = services.create_hold(event_id=event.pk, name=data["name"], owner=data["owner"], actor=user,
                                        units=data["units"], passes=data["passes"], expires_at=data["expires_at"])
        except ValidationFailed as exc:
            show_errors(form, exc)
            return False, form
        messages.success(request, f"Hold '{hold.name}' created.")
    elif action == "hold-release":
        released = services.release_hold(hold_id=int(post.get("hold", 0)), actor=user)
        messages.success(request, f"Hold released: {', '.join(released) or 'nothing was left in it'}.")
    elif action == "block":
        form = forms.BlockForm(post)
        if not form.is_valid():
            return False, form
        try:
            labels = services.block_units(event_id=event.pk, units=form.cleaned_data["units"],
                                          reason=form.cleaned_data["reason"], actor=user)
        except ValidationFailed as exc:
            show_errors(form, exc)
            return False, form
        messages.success(request, f"Blocked {', '.join(labels)}.")
    elif action == "unblock":
        labels = services.unblock_units(event_id=event.pk, units=[post.get("unit", "")], actor=user)
        messages.success(request, f"{', '.join(labels)} back on sale.")
    else:
        return False, None
    return True, None


@capability_required("manage_stock")
def layout_import(request):
    form = forms.LayoutImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        venue = form.cleaned_data["venue"]
        file = form.cleaned_data["file"]
        try:
            result = services.import_layout(venue_id=venue.pk, content=file.read(), actor=request.user,
                                            file_name=file.name)
        except ValidationFailed as exc:
            form.add_error("file", f"Nothing was imported: {len(exc.errors)} problem"
                                   f"{'s' if len(exc.errors) != 1 else ''} to fix first.")
            return render(request, "allocation/layout_import.html",
                          {"form": form, "row_errors": exc.errors, "section": "allocation"}, status=422)
        messages.success(request, f"Imported {result['units']} units in {result['areas']} new areas into {venue}.")
        return redirect("allocation:events")
    status = 422 if request.method == "POST" else 200
    return render(request, "allocation/layout_import.html", {"form": form, "section": "allocation"}, status=status)


# ---------------------------------------------------------------- inventory map


KIND_CHOICES = [k for k in InventoryKind.choices]


def _map_booking(event: Event, value: str):
    """The booking chosen on the map, if it exists and is for this event."""
    pk = queries.booking_id_from(value) if value else None
    try:
        found = queries.booking(pk) if pk is not None else None
    except NotFound:
        return None
    return found if found is not None and found.event_id == event.pk else None


def _state_rows(counts) -> list[tuple[str, str, int]]:
    return [(value, label, counts.get(value, 0)) for value, label in StockState.choices]


def _panel(chosen) -> dict:
    """The chosen booking's side panel: what it holds and how many guests are placed."""
    held = queries.holdings(chosen.pk) if chosen else []
    return {"chosen": chosen, "chosen_held": held, "seated": services.reserve.paid_seats(chosen, held) if chosen else 0,
            "chosen_pending": any(not h.locked for h in held)}


def _mark(cells, chosen) -> None:
    kind = chosen.package.inventory_kind if chosen else ""
    for cell in cells:
        cell.mark(chosen.pk if chosen else None, kind)


def _map_context(request, event: Event) -> dict:
    area_id = request.GET.get("area", "")
    kind = request.GET.get("kind", "")
    area_id = int(area_id) if area_id.isdigit() else None
    kind = kind if kind in InventoryKind.values else ""
    chosen = _map_booking(event, request.GET.get("booking", ""))
    areas, counts = queries.inventory_map(event, area_id=area_id, kind=kind)
    for block in areas:
        _mark(block.units, chosen)
    bookable = (event.bookings.filter(status__in=[BookingStatus.CONFIRMED, *AMENDABLE])
                .select_related("buyer", "package").order_by("id")[:500])
    return {
        "section": "allocation", "event": event, "map_areas": areas, "state_rows": _state_rows(counts),
        "area_id": area_id, "kind": kind, "kinds": KIND_CHOICES,
        "all_areas": queries.areas_of(event.venue_id), "bookable": bookable, **_panel(chosen),
        "has_stock": bool(areas) or EventUnit.objects.filter(event=event).exists(),
        "filters": request.GET.urlencode(),
    }


@capability_required("allocate_stock")
def inventory_map(request, code: str):
    event = _event(code)
    return render(request, "allocation/map.html", _map_context(request, event))


@require_POST
@capability_required("allocate_stock")
def map_toggle(request, code: str):
    """Reserve the clicked unit for the chosen booking, or release it if that booking holds it unconfirmed."""
    event = _event(code)
    chosen = _map_booking(event, request.POST.get("booking", ""))
    label = request.POST.get("unit", "").strip().upper()
    back = reverse("allocation:map", args=[event.code]) + "?" + request.POST.get("filters", "")
    if chosen is None or not label:
        messages.error(request, "Choose a booking first, then click the units to reserve for it.")
        return redirect(back)
    ok, message = True, ""
    try:
        held = {h.label for h in queries.holdings(chosen.pk) if not h.locked}
        if label in held:
            services.release_units(booking_id=chosen.pk, actor=request.user, labels=[label])
            message = f"{label} released from {chosen.reference}."
        else:
            outcome = services.reserve_units(booking_id=chosen.pk, actor=request.user, labels=[label])
            message = f"{label} reserved for {chosen.reference}. " + " ".join(outcome.notes[1:])
    except DomainError as exc:
        ok, message = False, exc.message
    if not request.htmx:
        (messages.success if ok else messages.error)(request, message)
        return redirect(back)
    stock = EventUnit.objects.filter(event=event, unit__label=label).select_related("unit__area").first()
    top_unit = (stock.unit.parent_id or stock.unit_id) if stock else None
    cells = queries.map_cells(event, unit_ids=[top_unit]) if top_unit else []
    _mark(cells, chosen)
    area = request.POST.get("area", "")
    counts = queries.state_counts(event, area_id=int(area) if area.isdigit() else None,
                                  kind=request.POST.get("kind", ""))
    block = None
    if stock is not None:  # the clicked unit's area heading counts again too
        block = queries.MapArea(area=stock.unit.area, rows=[], counts=queries.area_counts(event, stock.unit.area))
    context = {"event": event, "ok": ok, "message": message, "cells": cells, "state_rows": _state_rows(counts),
               "block": block, "oob": True, **_panel(chosen)}
    return render(request, "allocation/map_response.html", context)


@require_POST
@capability_required("manage_stock")
def open_stock(request, code: str):
    event = _event(code)
    added = services.open_event_stock(event_id=event.pk, actor=request.user)
    messages.success(request, f"{added} units of {event.venue} are now stock for {event.code}.")
    return redirect("allocation:map", event.code)
