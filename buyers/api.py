"""Lane 02 API: the signed CRM handoff webhook and the booking read."""

from django.http import HttpRequest, JsonResponse
from ninja import Router, Schema

from eventchain.api.auth import needs_capability, require, staff_token
from eventchain.errors import NotFound

from . import handoff, handoff_payload, webhook
from .queries import booking_detail

router = Router(tags=["buyers"], auth=staff_token)


class BuyerRef(Schema):
    id: str
    name: str


class BookingOut(Schema):
    id: str
    buyer: BuyerRef
    event_code: str
    package_code: str
    headcount: int
    status: str
    po_number: str
    special_requirements: str


class HandoffOut(Schema):
    buyer: str
    booking: str
    status: str


class ErrorItem(Schema):
    field: str | None
    message: str


class ErrorsOut(Schema):
    errors: list[ErrorItem]


def booking_payload(booking) -> dict:
    return {
        "id": str(booking.pk),
        "buyer": {"id": str(booking.buyer_id), "name": booking.buyer.name},
        "event_code": booking.event.code,
        "package_code": booking.package.code,
        "headcount": booking.headcount,
        "status": booking.status,
        "po_number": booking.po_number,
        "special_requirements": booking.special_requirements,
    }


@router.get("/bookings/{id}",
            openapi_extra=needs_capability("view_buyers"), response=BookingOut, summary="A booking")
def get_booking(request: HttpRequest, id: str):  # named as in API.md
    require(request, "view_buyers")
    booking = booking_detail(int(id)) if id.isascii() and id.isdigit() and len(id) < 19 else None
    if booking is None:
        raise NotFound(f"No booking has the id {id!r}.")
    return booking_payload(booking)


def _inlined(node, definitions: dict):
    """The JSON schema with its local $refs expanded, so the OpenAPI document needs no extra components."""
    if isinstance(node, dict):
        if "$ref" in node:
            return _inlined(definitions[node["$ref"].rsplit("/", 1)[-1]], definitions)
        return {key: _inlined(value, definitions) for key, value in node.items() if key != "$defs"}
    if isinstance(node, list):
        return [_inlined(item, definitions) for item in node]
    return node


_schema = handoff_payload.HandoffIn.model_json_schema()
HANDOFF_BODY_SCHEMA = _inlined(_schema, _schema.get("$defs", {}))


@router.post(
    "/crm/handoff",
    auth=None,
    response={200: HandoffOut, 201: HandoffOut, 401: ErrorsOut, 409: ErrorsOut, 422: ErrorsOut, 500: ErrorsOut},
    summary="CRM handoff (signed webhook)",
    description=(
        f"Authenticated by signature, not a bearer token: `{webhook.TIMESTAMP_HEADER}: <unix seconds>` and "
        f'`{webhook.SIGNATURE_HEADER}: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>`, '
        "the secret being EVENTCHAIN_CRM_WEBHOOK_SECRET; timestamps more than 300 s off are refused. "
        "Idempotent on `deal_id`: the same body again answers 200 `duplicate`, a different body 409."
    ),
    openapi_extra={"requestBody": {"required": True,
                                   "content": {"application/json": {"schema": HANDOFF_BODY_SCHEMA}}}},
)
def crm_handoff(request: HttpRequest):
    # The raw bytes are what the CRM signed, so the body is parsed here, after the signature check.
    result = handoff.receive(raw_body=request.body, headers=request.headers)
    return JsonResponse(result.body, status=result.status_code)
