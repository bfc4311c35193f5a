"""Report figures for an event or one booking (API.md: `GET .../report`). Aggregate SQL only.

Every figure is a COUNT or SUM grouped in the database; Python only renames keys and divides totals,
so an event with 50,000 tickets and scans costs the same dozen queries as one with ten.

Definitions (also on the report page):
- yield comes from each live booking's latest manifest (cancelled bookings excluded): `allocated` and
  `comps` count guests (seats; parking and other passes are counted separately as `passes`), `units`
  counts paid units (a table, a box, a seat or a pass), `revenue` is ex tax, `revenue_per_unit` divides
  it by paid units and `revenue_per_head` by guests (allocated + comps).
- channel mix counts live tickets (issued or sent) by how they were delivered, and by the formats guests
  used, from distribution's tracking: `pdf` downloaded as PDF (alone or in the booking's bundle),
  `apple` downloaded or added to Apple Wallet, `google` opened or saved to Google Wallet.
- finance sums the bookings' tax invoices (tax included): invoiced, paid, outstanding (amount due),
  and credited (credit notes raised).
- attendance counts live tickets, guests admitted at the gate, and no-shows (recorded once the event closes).
"""

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, DecimalField, Exists, F, OuterRef, Q, Sum, Value
from django.db.models.functions import Coalesce

from allocation.models import EventUnit, Manifest, ManifestLine
from buyers.models import Booking
from distribution.models import TrackingEvent, TrackingKind
from eventchain.lifecycle import BookingStatus
from eventchain.models import Event, InventoryKind
from eventchain.money import currency, format_money
from finance.models import CreditNote, Invoice
from tickets.models import Channel, Ticket, TicketStatus

from ..models import Attendance, Scan, ScanResult

LIVE_TICKETS = (TicketStatus.ISSUED, TicketStatus.SENT)
ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=16, decimal_places=2)
DELIVERY_NAMES = {
    Channel.EMAIL_BUYER: "buyer_bundle", Channel.EMAIL_GUEST: "direct_to_guest", Channel.PORTAL_COLLECT: "portal_collect",
}


def _sum(expression, **filters):
    return Coalesce(Sum(expression, **filters), Value(ZERO), output_field=MONEY)


def _ratio(numerator, denominator, places: str = "0.01") -> str:
    if not denominator:
        return format_money(ZERO) if places == "0.01" else "0"
    return str((Decimal(numerator) / Decimal(denominator)).quantize(Decimal(places), rounding=ROUND_HALF_UP))


# Yield ---------------------------------------------------------------------------------------------

def _current_lines(booking_filter: Q):
    """Lines of each live booking's latest manifest (a newer version replaces the older one)."""
    newer = Manifest.objects.filter(booking_id=OuterRef("manifest__booking_id"), version__gt=OuterRef("manifest__version"))
    return (
        ManifestLine.objects.filter(booking_filter).exclude(manifest__booking__status=BookingStatus.CANCELLED)
        .filter(~Exists(newer)).order_by()
    )


_NOT_PASS = ~Q(kind=InventoryKind.PASS)
_LINE_FIGURES = {
    "units": Coalesce(Sum("quantity", filter=Q(comp=False)), 0),
    "allocated": Coalesce(Sum("seats", filter=Q(comp=False) & _NOT_PASS), 0),
    "comps": Coalesce(Sum("seats", filter=Q(comp=True) & _NOT_PASS), 0),
    "passes": Coalesce(Sum("seats", filter=Q(kind=InventoryKind.PASS)), 0),
    "revenue": _sum(F("unit_price") * F("quantity"), filter=Q(comp=False)),
}


def _yield_row(row: dict, **extra) -> dict:
    heads = row["allocated"] + row["comps"]
    return {
        **extra,
        "units": row["units"], "allocated": row["allocated"], "comps": row["comps"], "passes": row["passes"],
        "revenue": format_money(row["revenue"]),
        "revenue_per_unit": _ratio(row["revenue"], row["units"]),
        "revenue_per_head": _ratio(row["revenue"], heads),
    }


def yield_figures(booking_filter: Q, capacity: int, area_capacity: dict[str, int] | None = None) -> dict:
    lines = _current_lines(booking_filter)
    totals = lines.aggregate(**_LINE_FIGURES)
    by_package = lines.values("package__code", "package__name").annotate(**_LINE_FIGURES).order_by("package__code")
    by_area = lines.values("area").annotate(**_LINE_FIGURES).order_by("area")
    area_capacity = area_capacity or {}
    return {
        **_yield_row(totals, capacity=capacity),
        "occupancy": _ratio(totals["allocated"] + totals["comps"], capacity, "0.0001"),
        "by_package": [_yield_row(row, package=row["package__code"], name=row["package__name"]) for row in by_package],
        "by_area": [_yield_row(row, area=row["area"], capacity=area_capacity.get(row["area"])) for row in by_area],
    }


def event_capacity(event: Event) -> tuple[dict, dict[str, int]]:
    """Seats the venue offers for the event (top-level units; passes counted apart), and seats per area."""
    stock = EventUnit.objects.filter(event=event, unit__parent__isnull=True).order_by()
    seat = ~Q(unit__kind=InventoryKind.PASS)
    totals = stock.aggregate(
        seats=Coalesce(Sum("unit__capacity", filter=seat), 0),
        units=Count("id", filter=seat),
        available=Coalesce(Sum("unit__capacity", filter=seat & Q(state="available")), 0),
        held=Coalesce(Sum("unit__capacity", filter=seat & Q(state="held")), 0),
        blocked=Coalesce(Sum("unit__capacity", filter=seat & Q(state="blocked")), 0),
        passes=Coalesce(Sum("pool_size", filter=Q(unit__kind=InventoryKind.PASS)), 0),
        passes_taken=Coalesce(Sum("pool_taken", filter=Q(unit__kind=InventoryKind.PASS)), 0),
    )
    per_area = dict(
        stock.filter(seat).values("unit__area__name").annotate(seats=Sum("unit__capacity"))
        .values_list("unit__area__name", "seats")
    )
    return totals, per_area


# Channel mix and attendance ---------------------------------------------------------------------------

FORMAT_KINDS = {
    "pdf": (TrackingKind.DOWNLOADED_PDF,),
    "apple": (TrackingKind.DOWNLOADED_PKPASS, TrackingKind.WALLET_APPLE),
    "google": (TrackingKind.GOOGLE_LINK, TrackingKind.WALLET_GOOGLE),
}


def _used(kinds, tracking_filter: Q) -> Q:
    """The ticket was used in this format: an event on the ticket, or on its booking's bundle (no ticket).

    Uncorrelated IN lists scoped to the report's bookings: the database hashes each once.
    """
    events = TrackingEvent.objects.filter(tracking_filter, kind__in=kinds).order_by()
    return (Q(pk__in=events.filter(ticket__isnull=False).values("ticket_id"))
            | Q(booking_id__in=events.filter(ticket__isnull=True).values("booking_id")))


def ticket_figures(ticket_filter: Q, tracking_filter: Q) -> dict:
    live = Q(status__in=LIVE_TICKETS)
    figures = {
        "tickets": Count("id", filter=live),
        "revoked": Count("id", filter=Q(status=TicketStatus.REVOKED)),
        "reissued": Coalesce(Sum(F("generation") - 1), 0),
        **{name: Count("id", filter=live & _used(kinds, tracking_filter)) for name, kinds in FORMAT_KINDS.items()},
    }
    for channel, name in DELIVERY_NAMES.items():
        figures[name] = Count("id", filter=live & Q(channel=channel))
    return Ticket.objects.filter(ticket_filter).order_by().aggregate(**figures)


def channel_mix(tickets: dict) -> dict:
    return {
        "delivery": {name: tickets[name] for name in DELIVERY_NAMES.values()},
        "format": {"pdf": tickets["pdf"], "apple": tickets["apple"], "google": tickets["google"]},
    }


def attendance_figures(attendance_filter: Q, tickets: dict, scan_filter: Q | None = None) -> dict:
    counts = Attendance.objects.filter(attendance_filter).order_by().aggregate(
        admitted=Count("id", filter=Q(status=Attendance.Status.ADMITTED)),
        no_show=Count("id", filter=Q(status=Attendance.Status.NO_SHOW)),
    )
    figures = {
        "tickets": tickets["tickets"], "admitted": counts["admitted"], "no_show": counts["no_show"],
        "rate": _ratio(counts["admitted"], tickets["tickets"], "0.0001"),
    }
    if scan_filter is not None:
        by_result = dict(Scan.objects.filter(scan_filter).order_by().values_list("result").annotate(n=Count("id")))
        figures["scans"] = {result: by_result.get(result, 0) for result in ScanResult.values}
    return figures


# Finance -----------------------------------------------------------------------------------------------

def finance_figures(invoice_filter: Q, credit_filter: Q) -> dict:
    invoices = Invoice.objects.filter(invoice_filter).order_by().aggregate(
        invoiced=_sum("total"), paid=_sum("amount_paid"), outstanding=_sum("amount_due"),
    )
    credited = CreditNote.objects.filter(credit_filter).order_by().aggregate(credited=_sum("total"))["credited"]
    return {
        "currency": currency(),
        "invoiced": format_money(invoices["invoiced"]), "paid": format_money(invoices["paid"]),
        "outstanding": format_money(invoices["outstanding"]), "credited": format_money(credited),
    }


# The two reports ----------------------------------------------------------------------------------------

def event_report(event: Event) -> dict:
    capacity, per_area = event_capacity(event)
    tickets = ticket_figures(Q(event=event), Q(booking__event=event))
    allocated = yield_figures(Q(manifest__booking__event=event), capacity["seats"], per_area)
    return {
        "event": {"code": event.code, "name": event.name, "starts_at": event.starts_at.isoformat(),
                  "status": event.status},
        "yield": allocated,
        "channel_mix": channel_mix(tickets),
        "finance": finance_figures(Q(booking__event=event), Q(invoice__booking__event=event)),
        "attendance": attendance_figures(Q(event=event), tickets, Q(event=event)),
        "capacity": {
            **capacity, "booked": allocated["allocated"] + allocated["comps"],
            "sell_through": _ratio(allocated["allocated"] + allocated["comps"], capacity["seats"], "0.0001"),
        },
        "tickets": {"revoked": tickets["revoked"], "reissued": tickets["reissued"]},
    }


def booking_report(booking: Booking) -> dict:
    tickets = ticket_figures(Q(booking=booking), Q(booking=booking))
    return {
        "booking": {"id": str(booking.pk), "reference": booking.reference, "buyer": booking.buyer.name,
                    "event_code": booking.event.code, "package_code": booking.package.code,
                    "headcount": booking.headcount, "status": booking.status},
        "yield": yield_figures(Q(manifest__booking=booking), booking.headcount),
        "channel_mix": channel_mix(tickets),
        "finance": finance_figures(Q(booking=booking), Q(invoice__booking=booking)),
        "attendance": attendance_figures(Q(booking=booking), tickets, Q(booking=booking)),
        "tickets": {"revoked": tickets["revoked"], "reissued": tickets["reissued"]},
    }
