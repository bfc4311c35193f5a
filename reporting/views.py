"""Lane 07 console pages: the dashboard (every role's landing page), reports, buyer profile, next cycle."""

from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from buyers.models import Booking, Buyer
from eventchain import velocity
from eventchain.models import Event
from eventchain.pagination import page_of
from eventchain.roles import capability_required, has_capability

from . import queries
from .models import BookingActivity, BookingSnapshot
from .reports import charts, exports, figures

EXPORTS = {
    "csv": ("text/csv; charset=utf-8", "csv", exports.to_csv),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx", exports.to_xlsx),
}


@capability_required("view_console")
def dashboard(request):
    states = queries.bookings_by_status()
    total = sum(state["count"] for state in states)
    biggest = max((state["count"] for state in states), default=0) or 1
    stuck = queries.stuck_bookings()
    for state in states:
        state["share"] = round(100 * state["count"] / biggest)
        state["stuck"] = stuck.get(state["status"], [])
    outbox_rows = queries.outbox_attention()
    unmatched = queries.unmatched_payments()
    return render(request, "reporting/dashboard.html", {
        "states": states, "total": total, "section": "dashboard",
        "outbox_attention": sum(row["n"] for row in outbox_rows), "outbox_rows": outbox_rows,
        "unmatched": unmatched, "unmatched_count": sum(row["n"] for row in unmatched),
        "open_flags": velocity.open_count() if has_capability(request.user, "review_flags") else None,
        "now": timezone.now(),
    })


@capability_required("view_reports")
def home(request):
    search = request.GET.get("q", "").strip()
    events = Event.objects.select_related("venue").annotate(
        bookings_count=Count("bookings", filter=~Q(bookings__status="cancelled"), distinct=True),
    ).order_by("-starts_at")
    if search:
        events = events.filter(Q(code__icontains=search) | Q(name__icontains=search))
    page, query = page_of(request, events)
    return render(request, "reporting/home.html", {
        "page": page, "query": query, "search": search, "section": "reporting", "tab": "events",
        "can_gate": has_capability(request.user, "manage_gate"),
    })


def _export(report: dict, kind: str, name: str, title: str):
    if kind == "pdf":
        body = exports.to_pdf(report, charts.report_charts(report), title)
        content_type, extension = "application/pdf", "pdf"
    else:
        content_type, extension, writer = EXPORTS[kind]
        body = writer(report)
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}.{extension}"'
    return response


def _report_page(request, report: dict, *, template: str, title: str, file_name: str, context: dict):
    kind = request.GET.get("format", "")
    if kind in ("csv", "xlsx", "pdf"):
        if not has_capability(request.user, "export_reports"):
            return render(request, "403.html", {"message": "Your role may see reports but not export them."},
                          status=403)
        return _export(report, kind, file_name, title)
    return render(request, template, {
        "report": report, "charts": charts.report_charts(report), "title": title, "section": "reporting",
        "can_export": has_capability(request.user, "export_reports"), **context,
    })


@capability_required("view_reports")
def event_report(request, code: str):
    event = get_object_or_404(Event.objects.select_related("venue"), code=code.upper())
    report = figures.event_report(event)
    return _report_page(request, report, template="reporting/event_report.html",
                        title=f"{event.code} {event.name}: event report", file_name=f"{event.code}-report",
                        context={"event": event, "tab": "events"})


@capability_required("view_reports")
def booking_report(request, booking_id: int):
    booking = get_object_or_404(Booking.objects.select_related("buyer", "event", "package"), pk=booking_id)
    report = figures.booking_report(booking)
    return _report_page(request, report, template="reporting/booking_report.html",
                        title=f"{booking.reference} {booking.buyer.name}: event report",
                        file_name=f"{booking.reference}-report", context={"booking": booking, "tab": "events"})


def profile_context(buyer: Buyer) -> dict:
    """What the buyer profile fragment shows: one snapshot per booking and the latest activity."""
    snapshots = list(
        BookingSnapshot.objects.filter(buyer=buyer).select_related("booking", "booking__event", "booking__package")
        .order_by("-booking__event__starts_at", "booking_id")
    )
    activity = list(BookingActivity.objects.filter(buyer=buyer).select_related("booking").order_by("-when", "-id")[:30])
    return {"buyer": buyer, "snapshots": snapshots, "activity": activity}


@capability_required("view_buyers")
def buyer_profile(request, buyer_id: int):
    buyer = get_object_or_404(Buyer, pk=buyer_id)
    context = profile_context(buyer)
    if request.htmx or request.GET.get("fragment"):
        return render(request, "reporting/_buyer_profile.html", context)
    return render(request, "reporting/buyer_profile.html", {**context, "section": "reporting", "tab": "profile"})


@capability_required("view_reports")
def next_cycle(request):
    filters = {"event": request.GET.get("event", "").strip().upper(), "renewal": request.GET.get("renewal", ""),
               "q": request.GET.get("q", "").strip()}
    rows = queries.next_cycle(event_code=filters["event"], renewal=filters["renewal"], search=filters["q"])
    page, query = page_of(request, rows)
    events = Event.objects.filter(buyer_outcomes__isnull=False).distinct().order_by("-starts_at")
    context = {"page": page, "query": query, "filters": filters, "events": events, "section": "reporting",
               "tab": "next-cycle"}
    template = "reporting/next_cycle.html#outcomes" if request.htmx else "reporting/next_cycle.html"
    return render(request, template, context)
