"""Demo rows for lane 07: gate rules for the demo events, a few check-ins at the exception desk so the
gate page and the reports have something to show, and a profile snapshot for every booking.

Idempotent: rules are get-or-create, check-ins are made only while an event has no scans at all,
and snapshots are recomputed from the source tables.
"""

from django.db import transaction
from django.utils import timezone

from eventchain.models import Event
from tickets.models import Ticket, TicketStatus

from .gate.scans import ScanInput, record_scan
from .models import GateSettings, Scan, ScanSource
from .profile import refresh_all

EVENTS = ("GF2026", "SF2026")


@transaction.atomic
def seed() -> dict:
    created, scanned = 0, 0
    for event in Event.objects.filter(code__in=EVENTS).select_related("venue"):
        # The Semi Final lets guests step out to the car park and back; the Grand Final does not, so a second
        # scan of a GF2026 ticket shows `duplicate` as the API contract describes by default.
        _, made = GateSettings.objects.get_or_create(event=event, defaults={"allow_reentry": event.code == "SF2026"})
        created += made
        if not Scan.objects.filter(event=event).exists():
            scanned += _check_in_some(event)
    return {"gate_settings_created": created, "scans_recorded": scanned, "snapshots_refreshed": refresh_all()}


def _check_in_some(event: Event) -> int:
    """Half the guests of the event's first booking with live tickets come in early; one tries twice."""
    live = Ticket.objects.filter(event=event, status__in=(TicketStatus.ISSUED, TicketStatus.SENT)).order_by("id")
    first = live.values_list("booking_id", flat=True).first()
    if first is None:
        return 0
    tickets = list(live.filter(booking_id=first))
    arrivals = tickets[: max(1, len(tickets) // 2)] + tickets[:1]
    for ticket in arrivals:
        record_scan(event=event, source=ScanSource.DESK,
                    scan=ScanInput(code=ticket.code, gate="Members entrance", scanned_at=timezone.now()))
    return len(arrivals)
