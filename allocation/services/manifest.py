"""Confirming stock into an immutable, versioned manifest; amending it; cancelling an allocation.

Confirming publishes `manifest_published` inside the transaction; finance subscribes and may refuse
(raising a DomainError rolls everything back) or answer with the invoice it raised.
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from buyers import services as buyer_services
from buyers.models import Booking
from eventchain import audit
from eventchain.errors import StateConflict, ValidationFailed
from eventchain.lifecycle import BookingStatus
from eventchain.models import InventoryKind, Package
from eventchain.money import to_cents
from eventchain.roles import authorize

from .. import locking, queries, signals
from ..models import CompGrant, Manifest, ManifestLine, PoolShare, StockState
from .common import AMENDABLE, actor_label, add_notes, record_request
from .reserve import apply_comp_rules, apply_takes, clean_labels, free_stock, named_plan, paid_seats


@dataclass
class Confirmed:
    manifest: Manifest
    previous: Manifest | None
    invoice_id: str | None

    def as_api(self) -> dict:
        return {"manifest": manifest_payload(self.manifest), "invoice": self.invoice_id}


def manifest_payload(manifest: Manifest) -> dict:
    return {
        "id": str(manifest.pk),
        "version": manifest.version,
        "lines": [
            {"unit_id": str(line.unit_id), "unit": line.label, "kind": line.kind, "area": line.area,
             "seats": line.seats, "quantity": line.quantity, "package": line.package.code,
             "unit_price": str(line.unit_price), "comp": line.comp}
            for line in manifest.lines.all()
        ],
    }


def confirm_allocation(*, booking_id, actor, reason: str = "") -> Confirmed:
    """Lock what the booking holds into manifest version N+1 and publish it to finance."""
    authorize(actor, "allocate_stock")
    booking = queries.booking(booking_id)
    if booking.status != BookingStatus.CONFIRMED and booking.status not in AMENDABLE:
        raise StateConflict(f"{booking.reference} is {booking.status}; its allocation can no longer be confirmed.")
    with transaction.atomic():
        locking.lock_booking(booking.pk)
        locking.lock_event(booking.event_id)
        booking = queries.booking(booking.pk)  # status as of now, under the lock
        # A confirmed booking with an older manifest had its allocation cancelled: it starts afresh
        # (next version number, nothing to diff against).
        previous = None if booking.status == BookingStatus.CONFIRMED else queries.latest_manifest(booking.pk)
        held = queries.holdings(booking.pk)
        if not held:
            raise StateConflict(f"{booking.reference} holds no stock yet; allocate it first.")
        seated = paid_seats(booking, held)
        if seated < booking.headcount and booking.package.inventory_kind != InventoryKind.PASS:
            raise StateConflict(f"{booking.reference} holds room for {seated} of its {booking.headcount} guests; "
                                f"reserve {booking.headcount - seated} more before confirming.")
        notes = apply_comp_rules(booking, near_area=None)
        if notes:
            held = queries.holdings(booking.pk)
        lines = _lines(held)
        if previous is not None and _signature(lines) == _signature(list(previous.lines.all())):
            raise StateConflict(f"Nothing changed since manifest v{previous.version} of {booking.reference}.")

        now = timezone.now()
        stock_ids = [h.stock_id for h in held if h.kind != InventoryKind.PASS]
        locking.claim(stock_ids, expected=[StockState.RESERVED], state=StockState.ALLOCATED, locked_at=now)
        locking.claim(stock_ids, expected=[StockState.COMP], locked_at=now)
        PoolShare.objects.filter(booking=booking, locked_at__isnull=True).update(locked_at=now)

        manifest = Manifest.objects.create(
            booking=booking, version=_next_version(booking),
            created_by=actor if getattr(actor, "pk", None) else None, created_by_label=actor_label(actor),
            reason=reason[:300],
        )
        for line in lines:
            line.manifest = manifest
        ManifestLine.objects.bulk_create(lines)
        manifest = Manifest.objects.prefetch_related("lines__package").get(pk=manifest.pk)

        summary = _summary(manifest, previous)
        add_notes(booking, [*notes, ("manifest", summary)], actor)
        record_request(booking, outcome="confirmed", message=summary)
        if booking.status == BookingStatus.CONFIRMED:
            buyer_services.transition(booking_id=booking.pk, to_status=BookingStatus.ALLOCATED, actor=actor,
                                      summary=f"{booking.reference} allocated: manifest v{manifest.version}",
                                      data={"manifest": manifest.pk})
        audit.record(actor, "allocation.confirmed", summary, target=manifest,
                     data={"booking": booking.pk, "version": manifest.version,
                           "previous": previous.version if previous else None})
        responses = signals.manifest_published.send(sender=Manifest, manifest=manifest, previous=previous,
                                                    actor=actor)
        return Confirmed(manifest=manifest, previous=previous, invoice_id=_invoice_id(manifest, responses))


def amend_allocation(*, booking_id, actor, add: list[str] | None = None, remove: list[str] | None = None,
                     reason: str = "") -> Confirmed:
    """Change a confirmed allocation: release `remove`, reserve `add`, and confirm the next version at once."""
    authorize(actor, "allocate_stock")
    booking = queries.booking(booking_id)
    if booking.status not in AMENDABLE:
        if booking.status == BookingStatus.CONFIRMED:
            raise StateConflict(f"{booking.reference} has no confirmed manifest yet; change its reservation and "
                                "confirm instead.")
        raise StateConflict(f"{booking.reference} is {booking.status}; its allocation can no longer be amended.")
    add, remove = clean_labels(add), clean_labels(remove)
    if not add and not remove:
        raise ValidationFailed("Name units to add or remove.", field="add")
    with transaction.atomic():
        locking.lock_booking(booking.pk)
        locking.lock_event(booking.event_id)
        released = free_stock(booking, remove, allow_locked=True) if remove else []
        if add:
            plan = named_plan(booking, add, require_cover=False)
            apply_takes(booking, plan.takes, booking.package)
        changes = [f"+{label}" for label in add] + [f"−{label}" for label in released]
        add_notes(booking, [("released" if released else "reserved", f"Amendment: {', '.join(changes)}.")], actor)
        return confirm_allocation(booking_id=booking.pk, actor=actor, reason=reason or "Amended")


def cancel_allocation(*, booking_id, actor, reason: str = "", cancel_booking: bool = False) -> list[str]:
    """Release everything a booking holds and tell later lanes (`allocation_cancelled`).

    The booking goes back to `confirmed` (to allocate again) or, with `cancel_booking`, to `cancelled`.
    A booking already invoiced can only be cancelled: its stock is on an invoice finance must credit.
    """
    authorize(actor, "allocate_stock")
    booking = queries.booking(booking_id)
    if booking.status not in (BookingStatus.CONFIRMED, *AMENDABLE, BookingStatus.CANCELLED) and not cancel_booking:
        raise StateConflict(f"{booking.reference} is {booking.status}; cancel the booking to release its stock.")
    if booking.status in (BookingStatus.INVOICED, BookingStatus.RELEASED) and not cancel_booking:
        raise StateConflict(f"{booking.reference} is already invoiced; releasing its stock means cancelling the "
                            "booking (finance then credits the invoice).")
    with transaction.atomic():
        locking.lock_booking(booking.pk)
        released = release_everything(booking, actor=actor, reason=reason)
        booking.refresh_from_db(fields=["status"])
        if cancel_booking and booking.status != BookingStatus.CANCELLED:
            buyer_services.transition(booking_id=booking.pk, to_status=BookingStatus.CANCELLED, actor=actor,
                                      summary=f"{booking.reference} cancelled: {reason or 'allocation cancelled'}")
        elif booking.status == BookingStatus.ALLOCATED:
            buyer_services.transition(booking_id=booking.pk, to_status=BookingStatus.CONFIRMED, actor=actor,
                                      summary=f"{booking.reference} back to confirmed: stock released")
        return released


def release_everything(booking: Booking, *, actor, reason: str = "") -> list[str]:
    """Free all of a booking's stock, close its comp grants, note it and send `allocation_cancelled`."""
    authorize(actor, "allocate_stock")
    with transaction.atomic():
        locking.lock_booking(booking.pk)  # already ours when buyers' cancellation calls us
        locking.lock_event(booking.event_id)
        released = free_stock(booking, None, allow_locked=True)
        CompGrant.objects.filter(booking=booking, released_at__isnull=True).update(released_at=timezone.now())
        if not released:
            return []
        message = f"Allocation cancelled{': ' + reason if reason else ''}; released {', '.join(released)}."
        add_notes(booking, [("released", message)], actor)
        record_request(booking, outcome="cancelled", message=message)
        audit.record(actor, "allocation.cancelled", f"{booking.reference}: {message}", target=booking,
                     data={"units": released, "reason": reason})
        signals.allocation_cancelled.send(sender=Manifest, booking=booking,
                                          manifest=queries.latest_manifest(booking.pk), actor=actor)
        return released


# ---------------------------------------------------------------- internals


def _lines(held: list[queries.Holding]) -> list[ManifestLine]:
    packages = Package.objects.in_bulk({h.package_id for h in held})
    lines = []
    for h in held:
        package = packages[h.package_id]
        per_seat = to_cents(package.unit_price / package.seats_per_unit)
        if h.comp:
            price = to_cents(0)
        elif h.kind == InventoryKind.PASS or h.split:
            price = per_seat
        else:
            price = package.unit_price
        quantity = h.quantity if h.kind == InventoryKind.PASS else 1
        lines.append(ManifestLine(unit_id=h.unit_id, label=h.label, kind=h.kind, area=h.area, seats=h.seats,
                                  quantity=quantity, package=package, unit_price=price, comp=h.comp))
    return lines


def _signature(lines) -> list[tuple]:
    return sorted((ln.unit_id, ln.comp, ln.seats, ln.quantity, ln.package_id, to_cents(ln.unit_price)) for ln in lines)


def _next_version(booking: Booking) -> int:
    latest = Manifest.objects.filter(booking=booking).order_by("-version").values_list("version", flat=True).first()
    return (latest or 0) + 1


def _summary(manifest: Manifest, previous: Manifest | None) -> str:
    lines = list(manifest.lines.all())
    paid = sum(1 for ln in lines if not ln.comp)
    comps = len(lines) - paid
    text = (f"Manifest v{manifest.version} confirmed for {manifest.booking.reference}: {paid} paid "
            f"line{'s' if paid != 1 else ''}{f', {comps} comp' if comps else ''}.")
    if previous is not None:
        diff = queries.manifest_diff(previous, manifest)
        changed = [f"{'+' if d.change == 'added' else '−' if d.change == 'removed' else '~'}{d.label}"
                   for d in diff if d.change != "same"]
        text += f" Changes from v{previous.version}: {', '.join(changed)}."
    return text


def _invoice_id(manifest: Manifest, responses) -> str | None:
    """Finance answers through the signal (a receiver's return value) or by setting `manifest.invoice_id`."""
    for _, value in responses:
        if value is not None:
            return str(getattr(value, "pk", value))
    value = getattr(manifest, "invoice_id", None)
    return str(value) if value is not None else None
