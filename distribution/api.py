"""Lane 06 API: send a booking's tickets (a job), and read what was sent."""

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.responses import Status
from pydantic import Field

from buyers.models import Booking
from eventchain.api.auth import needs_capability, require, staff_token
from eventchain.errors import NotFound

from . import queries
from .services import sending

router = Router(tags=["distribution"], auth=staff_token)


class DistributeIn(Schema):
    mode: str = Field(..., description="buyer_bundle (one email to the primary contact) or direct_to_guest "
                                       "(one email per guest; tickets without a guest email go to the primary contact)")


class JobAccepted(Schema):
    job: str


class DeliveryOut(Schema):
    id: str
    kind: str
    status: str
    recipient: str
    tickets: list[str]
    created_at: str
    sent_at: str | None
    opened_at: str | None
    error: str


class DeliveryListOut(Schema):
    results: list[DeliveryOut]
    next: str | None = None
    counts: dict[str, int]


def _booking(booking_id) -> Booking:
    try:
        pk = int(booking_id)
    except (TypeError, ValueError) as exc:
        raise NotFound("No such booking.") from exc
    booking = Booking.objects.filter(pk=pk).first()
    if booking is None:
        raise NotFound("No such booking.")
    return booking


@router.post("/bookings/{booking_id}/distribute",
             openapi_extra=needs_capability("distribute_tickets"), response={202: JobAccepted},
             summary="Email the tickets: one bundle to the primary contact, or one email per guest; a job")
def distribute(request: HttpRequest, booking_id: str, payload: DistributeIn):
    user = require(request, "distribute_tickets")
    booking = _booking(booking_id)
    job = sending.start_distribution(booking_id=booking.pk, mode=payload.mode, actor=user)
    return Status(202, {"job": str(job.pk)})


@router.get("/bookings/{booking_id}/deliveries",
            openapi_extra=needs_capability("view_buyers"), response=DeliveryListOut,
            summary="Emails sent about a booking, newest first, with delivery and tracking counts")
def deliveries(request: HttpRequest, booking_id: str):
    require(request, "view_buyers")
    booking = _booking(booking_id)
    rows = list(queries.booking_messages(booking.pk)[:200])
    return {
        "results": [{
            "id": str(row.pk), "kind": row.kind, "status": row.status, "recipient": row.recipient_email,
            "tickets": [str(ticket.pk) for ticket in row.tickets.all()],
            "created_at": row.created_at.isoformat(), "sent_at": row.sent_at.isoformat() if row.sent_at else None,
            "opened_at": row.opened_at.isoformat() if row.opened_at else None, "error": row.last_error,
        } for row in rows],
        "next": None,
        "counts": queries.booking_counts([booking.pk])[booking.pk],
    }
