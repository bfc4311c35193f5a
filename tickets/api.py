"""Lane 05 API: guest lists, issuance, tickets, reissue/revoke, gate bundle and file downloads."""

import json

from django.http import FileResponse, HttpRequest
from ninja import Router, Schema
from ninja.responses import Status
from pydantic import Field
from pydantic import ValidationError as PydanticValidationError

from eventchain.api.auth import needs_capability, require, scanner_event_id, scanner_token, staff_token
from eventchain.errors import NotFound, ValidationFailed
from eventchain.models import Event

from . import access, downloads, queries, services

router = Router(tags=["tickets"], auth=staff_token)


class GuestIn(Schema):
    name: str = Field(max_length=200)
    email: str = Field(max_length=254)
    phone: str = Field("", max_length=40)
    requirements: str = Field("", max_length=300)


class GuestOut(Schema):
    id: str
    name: str
    email: str
    phone: str = ""
    requirements: str = ""


class GuestListOut(Schema):
    guests: list[GuestOut]


class IssueIn(Schema):
    channel: str | None = Field(None, description="email_buyer, email_guest or portal_collect; default per guest")


class JobAccepted(Schema):
    job: str


class TicketGuestOut(Schema):
    id: str
    name: str
    email: str


class TicketOut(Schema):
    id: str
    number: str
    code: str | None
    status: str
    guest: TicketGuestOut | None
    unit: str
    area: str
    seat: str
    package: str
    entitlements: list[str]
    channel: str
    pdf_url: str | None
    pkpass_url: str | None
    google_save_url: str | None
    generation: int


class TicketListOut(Schema):
    results: list[TicketOut]
    next: str | None = None
    booking_pdf_url: str | None = None


class ReasonIn(Schema):
    reason: str = Field("", max_length=300)


class PublicKeyOut(Schema):
    kid: str
    ed25519_public_key: str
    retired: bool


class RevokedOut(Schema):
    ticket: str
    generation: int


class GateBundleOut(Schema):
    event: str
    event_id: int
    public_keys: list[PublicKeyOut]
    revoked: list[RevokedOut]
    generated_at: str


def _optional_body(request: HttpRequest, schema: type[Schema]) -> Schema:
    """These POSTs work with no body at all; a body, when sent, is validated like any other."""
    if not request.body.strip() or (request.content_type != "application/json" and not request.POST):
        return schema()
    try:
        data = json.loads(request.body)
    except ValueError as exc:
        raise ValidationFailed("The request body is not valid JSON.") from exc
    if not isinstance(data, dict):
        raise ValidationFailed("The request body must be a JSON object.")
    try:
        return schema(**data)
    except PydanticValidationError as exc:
        raise ValidationFailed.from_list(
            [{"field": ".".join(str(p) for p in error["loc"]) or None, "message": error["msg"]} for error in exc.errors()]
        ) from exc


def _body_doc(schema: type[Schema]) -> dict:
    return {"requestBody": {"required": False, "content": {"application/json": {"schema": schema.model_json_schema()}}}}


def _booking(booking_id):
    booking = queries.booking(booking_id)
    if booking is None:
        raise NotFound("No such booking.")
    return booking


def _ticket(ticket_id):
    ticket = queries.ticket(ticket_id)
    if ticket is None:
        raise NotFound("No such ticket.")
    return ticket


def _guest(guest) -> dict:
    return {"id": str(guest.pk), "name": guest.name, "email": guest.email, "phone": guest.phone,
            "requirements": guest.requirements}


@router.put("/bookings/{booking_id}/guests",
            openapi_extra=needs_capability("issue_tickets"), response=GuestListOut,
            summary="Replace the guest list (a bare JSON array, at most headcount)")
def put_guests(request: HttpRequest, booking_id: str, payload: list[GuestIn]):
    user = require(request, "issue_tickets")
    booking = _booking(booking_id)
    guests = services.set_guest_list(booking_id=booking.pk, guests=[g.dict() for g in payload], actor=user)
    return {"guests": [_guest(guest) for guest in guests]}


@router.get("/bookings/{booking_id}/guests",
            openapi_extra=needs_capability("view_buyers"), response=GuestListOut, summary="The booking's guest list")
def get_guests(request: HttpRequest, booking_id: str):
    require(request, "view_buyers")
    booking = _booking(booking_id)
    return {"guests": [_guest(guest) for guest in queries.booking_guests(booking.pk)]}


@router.post("/bookings/{booking_id}/issue-tickets", response={202: JobAccepted},
             openapi_extra={**_body_doc(IssueIn), **needs_capability("issue_tickets")},
             summary="Issue one ticket per pass (signed code, PDF, Apple pass, Google link); a job")
def issue_tickets(request: HttpRequest, booking_id: str):
    user = require(request, "issue_tickets")
    booking = _booking(booking_id)
    payload = _optional_body(request, IssueIn)
    job = services.start_issuance(booking_id=booking.pk, actor=user, channel=payload.channel)
    return Status(202, {"job": str(job.pk)})


@router.get("/bookings/{booking_id}/tickets",
            openapi_extra=needs_capability("view_buyers"), response=TicketListOut, summary="The booking's tickets")
def list_tickets(request: HttpRequest, booking_id: str):
    require(request, "view_buyers")
    booking = _booking(booking_id)
    tickets = list(queries.booking_tickets(booking.pk))
    live = any(ticket.status in queries.DOWNLOADABLE for ticket in tickets)
    return {"results": [queries.serialize_ticket(ticket) for ticket in tickets], "next": None,
            "booking_pdf_url": queries.booking_pdf_url(booking.pk) if live else None}


@router.get("/tickets/{ticket_id}",
            openapi_extra=needs_capability("view_buyers"), response=TicketOut, summary="One ticket")
def get_ticket(request: HttpRequest, ticket_id: str):
    require(request, "view_buyers")
    return queries.serialize_ticket(_ticket(ticket_id))


@router.post("/tickets/{ticket_id}/reissue", response=TicketOut,
             openapi_extra={**_body_doc(ReasonIn), **needs_capability("reissue_tickets")},
             summary="New code and generation; the old code is revoked everywhere")
def reissue(request: HttpRequest, ticket_id: str):
    user = require(request, "reissue_tickets")
    ticket_id = _ticket(ticket_id).pk
    ticket = services.reissue_ticket(ticket_id=ticket_id, actor=user, reason=_optional_body(request, ReasonIn).reason)
    return queries.serialize_ticket(queries.ticket(ticket.pk))


@router.post("/tickets/{ticket_id}/revoke", response=TicketOut,
             openapi_extra={**_body_doc(ReasonIn), **needs_capability("reissue_tickets")},
             summary="Revoke the code everywhere; wallet passes voided/expired")
def revoke(request: HttpRequest, ticket_id: str):
    user = require(request, "reissue_tickets")
    ticket_id = _ticket(ticket_id).pk
    ticket = services.revoke_ticket(ticket_id=ticket_id, actor=user, reason=_optional_body(request, ReasonIn).reason)
    return queries.serialize_ticket(queries.ticket(ticket.pk))


@router.get("/events/{code}/gate-bundle",
            openapi_extra=needs_capability("manage_gate"), response=GateBundleOut, auth=[staff_token, scanner_token],
            summary="Public keys and revoked (ticket, generation) pairs for offline scanning")
def gate_bundle(request: HttpRequest, code: str):
    """Staff with the gate capability, or a scanner device of this event."""
    scanner_event = scanner_event_id(request)
    if scanner_event is None:
        require(request, "manage_gate")
    event = Event.objects.filter(code=code.upper()).first()
    if event is None or (scanner_event is not None and scanner_event != event.pk):
        raise NotFound(f"No event has the code {code}.")
    return queries.gate_bundle(event)


# Downloads: checked by tickets.access, not the router's token auth, so a refusal is a plain 404.

def _file(path, content_type: str, filename: str) -> FileResponse:
    response = FileResponse(open(path, "rb"), content_type=content_type)  # noqa: SIM115 - FileResponse closes it
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _downloadable_ticket(request, ticket_id):
    ticket = queries.ticket(ticket_id)
    if ticket is None or ticket.status not in queries.DOWNLOADABLE or not access.can_download(request, ticket.booking):
        raise NotFound("No such ticket.")
    return ticket


@router.get("/tickets/{ticket_id}/pdf", auth=None, summary="The ticket as PDF", include_in_schema=True)
def ticket_pdf(request: HttpRequest, ticket_id: str):
    ticket = _downloadable_ticket(request, ticket_id)
    return _file(downloads.ticket_pdf(ticket), "application/pdf", f"{ticket.number}.pdf")


@router.get("/tickets/{ticket_id}/pkpass", auth=None, summary="The Apple Wallet pass")
def ticket_pkpass(request: HttpRequest, ticket_id: str):
    ticket = _downloadable_ticket(request, ticket_id)
    path = downloads.ticket_pkpass(ticket)
    if path is None:
        raise NotFound("Apple Wallet passes are not offered.")
    return _file(path, "application/vnd.apple.pkpass", f"{ticket.number}.pkpass")


@router.get("/bookings/{booking_id}/tickets/pdf", auth=None, summary="All of a booking's tickets in one PDF")
def booking_pdf(request: HttpRequest, booking_id: str):
    booking = queries.booking(booking_id)
    if booking is None or not access.can_download(request, booking):
        raise NotFound("No such booking.")
    path = downloads.booking_pdf(list(queries.booking_tickets(booking.pk).select_related("event", "event__venue")))
    if path is None:
        raise NotFound("This booking has no issued tickets.")
    return _file(path, "application/pdf", f"{booking.reference}-tickets.pdf")
