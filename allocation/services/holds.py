"""Holds (named blocks kept back for sponsors or the house) and blocked units (not for sale)."""

from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from eventchain import audit
from eventchain.errors import NotFound, StateConflict, ValidationFailed
from eventchain.models import Event, InventoryKind
from eventchain.roles import authorize

from .. import locking
from ..models import EventUnit, Hold, PoolShare, StockState
from .reserve import clean_labels


def create_hold(*, event_id: int, name: str, owner: str, actor, units: list[str] | None = None,
                passes: dict[str, int] | None = None, expires_at: datetime | None = None) -> Hold:
    """Hold named units (and a number of passes from named pools) for `owner` until released or expired."""
    authorize(actor, "manage_stock")
    event = Event.objects.filter(pk=event_id).first()
    if event is None:
        raise NotFound("No such event.")
    labels = clean_labels(units)
    passes = {label.strip().upper(): n for label, n in (passes or {}).items() if label.strip()}
    errors = []
    if not (name or "").strip():
        errors.append({"field": "name", "message": "give the hold a name, e.g. 'Sponsor block'"})
    if not (owner or "").strip():
        errors.append({"field": "owner", "message": "say who the stock is held for"})
    if expires_at is not None and expires_at <= timezone.now():
        errors.append({"field": "expires_at", "message": "must be in the future"})
    if not labels and not passes:
        errors.append({"field": "units", "message": "name at least one unit or a number of passes to hold"})
    errors += [{"field": f"passes.{label}", "message": "must be a whole number of at least 1"}
               for label, n in passes.items() if not isinstance(n, int) or n < 1]
    if errors:
        raise ValidationFailed.from_list(errors)

    with transaction.atomic():
        locking.lock_event(event.pk)
        rows = {r.unit.label: r for r in EventUnit.objects.filter(event=event, unit__label__in=[*labels, *passes])
                .select_related("unit")}
        missing = [label for label in [*labels, *passes] if label not in rows]
        if missing:
            raise ValidationFailed(f"{event.venue} has no {', '.join(missing)} for {event.code}.", field="units")
        pools = [label for label in labels if rows[label].unit.kind == InventoryKind.PASS]
        if pools:
            raise ValidationFailed(f"{', '.join(pools)}: a pass pool is held by number; put it under passes, "
                                   "e.g. PARKING-C: 10.", field="units")
        hold = Hold.objects.create(event=event, name=name.strip(), owner=owner.strip(), expires_at=expires_at,
                                   created_by=actor if getattr(actor, "pk", None) else None)
        ids = [rows[label].pk for label in labels]
        _refuse_unless_free(event.pk, ids, "hold")
        locking.claim(ids, expected=[StockState.AVAILABLE], state=StockState.HELD, hold=hold)
        for label, n in passes.items():
            pool = rows[label]
            if pool.unit.kind != InventoryKind.PASS:
                raise ValidationFailed(f"{label} is not a pass pool.", field=f"passes.{label}")
            if not locking.take_from_pool(pool.pk, n):
                raise StateConflict(f"Pool {label} has fewer than {n} passes free.")
            PoolShare.objects.create(pool=pool, hold=hold, quantity=n)
        held = labels + [f"{n} × {label}" for label, n in passes.items()]
        audit.record(actor, "allocation.hold_created",
                     f"{event.code}: hold '{hold.name}' for {hold.owner}: {', '.join(held)}", target=hold,
                     data={"units": labels, "passes": passes,
                           "expires_at": expires_at.isoformat() if expires_at else None})
        return hold


def release_hold(*, hold_id: int, actor, reason: str = "released by staff") -> list[str]:
    """Give a hold's units and passes back to sale. Releasing twice is harmless."""
    authorize(actor, "manage_stock")
    hold = Hold.objects.filter(pk=hold_id).first()
    if hold is None:
        raise NotFound("No such hold.")
    with transaction.atomic():
        locking.lock_event(hold.event_id)
        hold = Hold.objects.select_for_update().get(pk=hold.pk)
        if hold.released_at is not None:
            return []
        rows = list(EventUnit.objects.filter(hold=hold, state=StockState.HELD).values_list("pk", "unit__label"))
        locking.lock_rows([pk for pk, _ in rows])
        locking.claim([pk for pk, _ in rows], expected=[StockState.HELD], state=StockState.AVAILABLE, hold=None)
        released = [label for _, label in rows]
        for share in PoolShare.objects.filter(hold=hold).select_related("pool__unit"):
            locking.return_to_pool(share.pool_id, share.quantity)
            released.append(f"{share.quantity} × {share.pool.unit.label}")
            share.delete()
        hold.released_at = timezone.now()
        hold.save(update_fields=["released_at"])
        audit.record(actor, "allocation.hold_released", f"Hold '{hold.name}' ({hold.owner}) {reason}: "
                     f"{', '.join(released) or 'nothing left to release'}", target=hold, data={"units": released})
        return released


def release_expired_holds(*, now: datetime | None = None) -> int:
    """Release every hold whose expiry has passed (the periodic task). Returns how many were released."""
    now = now or timezone.now()
    expired = Hold.objects.filter(released_at__isnull=True, expires_at__lte=now).values_list("pk", flat=True)
    count = 0
    for hold_id in list(expired):
        release_hold(hold_id=hold_id, actor="hold-expiry", reason="expired")
        count += 1
    return count


def block_units(*, event_id: int, units: list[str], reason: str, actor) -> list[str]:
    """Take units off sale (broken seat, camera position) with a reason shown on the map."""
    authorize(actor, "manage_stock")
    labels = clean_labels(units)
    if not (reason or "").strip():
        raise ValidationFailed("Say why the units are blocked.", field="reason")
    if not labels:
        raise ValidationFailed("Name at least one unit.", field="units")
    with transaction.atomic():
        locking.lock_event(event_id)
        rows = dict(EventUnit.objects.filter(event_id=event_id, unit__label__in=labels)
                    .values_list("unit__label", "pk"))
        missing = [label for label in labels if label not in rows]
        if missing:
            raise ValidationFailed(f"No such units: {', '.join(missing)}.", field="units")
        _refuse_unless_free(event_id, rows.values(), "block")
        locking.claim(rows.values(), expected=[StockState.AVAILABLE], state=StockState.BLOCKED,
                      note=reason.strip()[:200])
        audit.record(actor, "allocation.blocked", f"Blocked {', '.join(labels)}: {reason}", object_type="event",
                     object_id=event_id, data={"units": labels})
        return labels


def unblock_units(*, event_id: int, units: list[str], actor) -> list[str]:
    authorize(actor, "manage_stock")
    labels = clean_labels(units)
    with transaction.atomic():
        locking.lock_event(event_id)
        ids = list(EventUnit.objects.filter(event_id=event_id, unit__label__in=labels, state=StockState.BLOCKED)
                   .values_list("pk", flat=True))
        locking.claim(ids, expected=[StockState.BLOCKED], state=StockState.AVAILABLE, note="")
        audit.record(actor, "allocation.unblocked", f"Unblocked {', '.join(labels)}", object_type="event",
                     object_id=event_id, data={"units": labels})
        return labels


def _refuse_unless_free(event_id: int, stock_ids, verb: str) -> None:
    """Lock the rows and refuse unless each unit, and the table it sits in or the seats inside it, is free."""
    rows = locking.lock_rows(stock_ids)
    unit_ids = [row.unit_id for row in rows.values()]
    parent_ids = [row.unit.parent_id for row in rows.values() if row.unit.parent_id]
    related = (EventUnit.objects.filter(event_id=event_id)
               .filter(Q(unit__parent_id__in=unit_ids) | Q(unit_id__in=parent_ids))
               .exclude(state=StockState.AVAILABLE).values_list("unit__label", "state"))
    busy = [(row.unit.label, row.state) for row in rows.values() if row.state != StockState.AVAILABLE]
    busy += [(label, f"{state}, next to or inside a unit named") for label, state in related]
    if busy:
        raise StateConflict(f"Only free units can be {verb}ed; these are not: "
                            + ", ".join(f"{label} ({state})" for label, state in busy) + ".")
