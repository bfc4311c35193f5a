"""Lane 03 API: allocate a booking's stock and confirm it into a manifest."""

from django.http import HttpRequest
from ninja import Router, Schema

from eventchain.api.auth import needs_capability, require, staff_token

from . import queries, services

router = Router(tags=["allocation"], auth=staff_token)


class AllocateIn(Schema):
    units: list[str] | None = None
    preferred_area: str | None = None


class UnitOut(Schema):
    id: str
    label: str
    kind: str
    area: str
    seats: int
    reason: str | None = None


class AllocationOut(Schema):
    status: str
    units: list[UnitOut]
    comps: list[UnitOut]
    notes: list[str]


class LineOut(Schema):
    unit_id: str
    unit: str
    kind: str
    area: str
    seats: int
    quantity: int
    package: str
    unit_price: str
    comp: bool


class ManifestOut(Schema):
    id: str
    version: int
    lines: list[LineOut]


class ConfirmOut(Schema):
    manifest: ManifestOut
    invoice: str | None


@router.post(
    "/bookings/{booking_id}/allocate",
    openapi_extra=needs_capability("allocate_stock"), response=AllocationOut,
    summary="Reserve stock for a confirmed booking by the event's rules (comps, holds, overflow) or named units",
)
def allocate(request: HttpRequest, booking_id: str, payload: AllocateIn | None = None):
    user = require(request, "allocate_stock")
    payload = payload or AllocateIn()
    outcome = services.allocate_booking(booking_id=booking_id, actor=user, units=payload.units,
                                        preferred_area=payload.preferred_area, source="api")
    return outcome.as_api()


@router.get("/bookings/{booking_id}/allocation",
            openapi_extra=needs_capability("allocate_stock"), response=AllocationOut,
            summary="The stock a booking holds now, and every allocation note on it")
def allocation(request: HttpRequest, booking_id: str):
    require(request, "allocate_stock")
    booking = queries.booking(booking_id)
    held = queries.holdings(booking.pk)
    return {"status": "allocated" if held else "unallocated",
            "units": [h.as_api() for h in held if not h.comp], "comps": [h.as_api() for h in held if h.comp],
            "notes": list(queries.notes(booking.pk).values_list("message", flat=True))}


@router.post(
    "/bookings/{booking_id}/confirm-allocation",
    openapi_extra=needs_capability("allocate_stock"), response=ConfirmOut,
    summary="Lock the booking's stock into a new manifest version and publish it to finance",
)
def confirm_allocation(request: HttpRequest, booking_id: str):
    user = require(request, "allocate_stock")
    return services.confirm_allocation(booking_id=booking_id, actor=user).as_api()
