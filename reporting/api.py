"""Lane 07 API: the gate (scanner tokens) and the booking and event reports (staff tokens)."""

from django.http import HttpRequest
from ninja import Router

from buyers.models import Booking
from eventchain.api.auth import needs_capability, require, staff_token
from eventchain.errors import NotFound
from eventchain.models import Event

from .gate import api as gate_api
from .reports import figures

router = Router(tags=["reports"], auth=staff_token)
router.add_router("", gate_api.router)


def _event(code: str) -> Event:
    event = Event.objects.filter(code=code.upper()).first()
    if event is None:
        raise NotFound(f"No event has the code {code}.")
    return event


def _booking(booking_id: str) -> Booking:
    booking = None
    if booking_id.isascii() and booking_id.isdigit() and len(booking_id) < 19:
        booking = Booking.objects.select_related("buyer", "event", "package").filter(pk=int(booking_id)).first()
    if booking is None:
        raise NotFound(f"No booking has the id {booking_id!r}.")
    return booking


@router.get("/bookings/{booking_id}/report",
            openapi_extra=needs_capability("view_reports"), summary="The buyer's event report for one booking",
            description=figures.__doc__)
def booking_report(request: HttpRequest, booking_id: str):
    require(request, "view_reports")
    return figures.booking_report(_booking(booking_id))


@router.get("/events/{code}/report",
            openapi_extra=needs_capability("view_reports"),
            summary="The event-wide report, summed over bookings, with capacity",
            description=figures.__doc__)
def event_report(request: HttpRequest, code: str):
    require(request, "view_reports")
    return figures.event_report(_event(code))
