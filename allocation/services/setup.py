"""Setting up stock: venue layouts, per-event stock rows, comp rules and overflow order."""

from django.db import transaction
from django.db.models import Max

from eventchain import audit
from eventchain.errors import NotFound, StateConflict, ValidationFailed
from eventchain.models import Event, InventoryKind, Package, Venue
from eventchain.roles import authorize

from .. import importers
from ..models import Area, CompRule, EventUnit, OverflowRule, Unit


def import_layout(*, venue_id: int, content: bytes, actor, file_name: str = "layout.csv") -> dict:
    """Add the units of a layout CSV to a venue, all or nothing; every bad row is reported at once."""
    authorize(actor, "manage_stock")
    venue = Venue.objects.filter(pk=venue_id).first()
    if venue is None:
        raise NotFound("No such venue.")
    existing = set(Unit.objects.filter(venue=venue).values_list("label", flat=True))
    rows = importers.parse_layout(content, existing_labels=existing)  # raises ValidationFailed listing rows
    with transaction.atomic():
        result = write_layout(venue, rows)
        for event in venue.events.all():
            ensure_event_stock(event=event)
        audit.record(actor, "allocation.layout_imported",
                     f"{venue.name}: imported {result['units']} units in {result['areas']} areas from {file_name}",
                     target=venue, data=result)
    return result


def write_layout(venue: Venue, rows: list[importers.LayoutRow]) -> dict:
    """Bulk-create areas and units (parents before their seats). Rows are already validated."""
    areas = {a.name.lower(): a for a in Area.objects.filter(venue=venue)}
    next_position = (max((a.position for a in areas.values()), default=0)) + 1
    new_areas = []
    for row in rows:
        if row.area.lower() not in areas:
            area = Area(venue=venue, name=row.area, position=next_position)
            areas[row.area.lower()] = area
            new_areas.append(area)
            next_position += 1
    Area.objects.bulk_create(new_areas)
    base = (Unit.objects.filter(venue=venue).aggregate(m=Max("position"))["m"] or 0) + 1
    units = [
        Unit(venue=venue, area=areas[row.area.lower()], kind=row.kind, label=row.label, capacity=row.capacity,
             row=row.row, number=row.number, position=base + i)
        for i, row in enumerate(rows)
    ]
    Unit.objects.bulk_create(units)
    by_label = {u.label: u for u in Unit.objects.filter(venue=venue).only("id", "label")}
    children = []
    for row, unit in zip(rows, units, strict=True):
        if row.parent:
            unit.parent_id = by_label[row.parent].pk
            children.append(unit)
    Unit.objects.bulk_update(children, ["parent"], batch_size=1000)
    return {"areas": len(new_areas), "units": len(units)}


def ensure_event_stock(*, event: Event) -> int:
    """Create the missing stock rows for an event (every unit of its venue). Idempotent; returns rows added."""
    have = set(EventUnit.objects.filter(event=event).values_list("unit_id", flat=True))
    missing = [
        EventUnit(event=event, unit_id=unit_id, pool_size=capacity if kind == InventoryKind.PASS else 0)
        for unit_id, kind, capacity in Unit.objects.filter(venue_id=event.venue_id).values_list("id", "kind", "capacity")
        if unit_id not in have
    ]
    EventUnit.objects.bulk_create(missing, batch_size=2000, ignore_conflicts=True)
    return len(missing)


def open_event_stock(*, event_id: int, actor) -> int:
    authorize(actor, "manage_stock")
    event = Event.objects.filter(pk=event_id).first()
    if event is None:
        raise NotFound("No such event.")
    with transaction.atomic():
        added = ensure_event_stock(event=event)
        audit.record(actor, "allocation.stock_opened", f"{event.code}: {added} stock rows created", target=event)
    return added


def save_comp_rule(*, event_id: int, package_id: int, every: int, quantity: int, actor,
                   comp_package_id: int | None = None) -> CompRule:
    authorize(actor, "manage_stock")
    errors = []
    package = Package.objects.filter(pk=package_id, event_id=event_id).first()
    if package is None:
        errors.append({"field": "package", "message": "choose a package of this event"})
    comp_package = None
    if comp_package_id:
        comp_package = Package.objects.filter(pk=comp_package_id, event_id=event_id).first()
        if comp_package is None:
            errors.append({"field": "comp_package", "message": "choose a package of this event"})
    if not isinstance(every, int) or every < 1:
        errors.append({"field": "every", "message": "must be a whole number of at least 1"})
    if not isinstance(quantity, int) or quantity < 1:
        errors.append({"field": "quantity", "message": "must be a whole number of at least 1"})
    if errors:
        raise ValidationFailed.from_list(errors)
    with transaction.atomic():
        rule = CompRule.objects.create(event_id=event_id, package=package, every=every, quantity=quantity,
                                       comp_package=comp_package)
        audit.record(actor, "allocation.comp_rule_added", f"Comp rule: {rule}", target=rule,
                     data={"package": package.code, "every": every, "quantity": quantity,
                           "comp_package": comp_package.code if comp_package else None})
    return rule


def delete_comp_rule(*, rule_id: int, actor) -> None:
    authorize(actor, "manage_stock")
    with transaction.atomic():
        rule = CompRule.objects.select_related("package", "comp_package").filter(pk=rule_id).first()
        if rule is None:
            raise NotFound("No such comp rule.")
        text = str(rule)
        # Kept for the grants that cite it; it simply stops applying.
        rule.active = False
        rule.save(update_fields=["active"])
        audit.record(actor, "allocation.comp_rule_removed", f"Comp rule stopped: {text}", target=rule)


def add_overflow(*, event_id: int, area_id: int, fallback_id: int, actor) -> OverflowRule:
    authorize(actor, "manage_stock")
    event = Event.objects.filter(pk=event_id).first()
    if event is None:
        raise NotFound("No such event.")
    areas = Area.objects.in_bulk([area_id, fallback_id])
    errors = []
    if area_id not in areas or areas[area_id].venue_id != event.venue_id:
        errors.append({"field": "area", "message": f"choose an area of {event.venue}"})
    if fallback_id not in areas or areas[fallback_id].venue_id != event.venue_id:
        errors.append({"field": "fallback", "message": f"choose an area of {event.venue}"})
    elif area_id == fallback_id:
        errors.append({"field": "fallback", "message": "must differ from the area it backs up"})
    if errors:
        raise ValidationFailed.from_list(errors)
    if OverflowRule.objects.filter(event=event, area_id=area_id, fallback_id=fallback_id).exists():
        raise StateConflict(f"{areas[fallback_id]} is already a fallback for {areas[area_id]}.")
    with transaction.atomic():
        position = (OverflowRule.objects.filter(event=event, area_id=area_id).aggregate(m=Max("position"))["m"]
                    or 0) + 1
        rule = OverflowRule.objects.create(event=event, area_id=area_id, fallback_id=fallback_id, position=position)
        audit.record(actor, "allocation.overflow_added", f"{event.code}: overflow {rule}", target=rule)
    return rule


def remove_overflow(*, rule_id: int, actor) -> None:
    authorize(actor, "manage_stock")
    with transaction.atomic():
        rule = OverflowRule.objects.select_related("event", "area", "fallback").filter(pk=rule_id).first()
        if rule is None:
            raise NotFound("No such overflow rule.")
        text = f"{rule.event.code}: overflow {rule}"
        rule.delete()
        audit.record(actor, "allocation.overflow_removed", text, object_type="allocation.overflowrule",
                     object_id=rule_id)
