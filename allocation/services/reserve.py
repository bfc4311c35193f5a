"""Reserving stock for a booking: by package (the planner picks), by named units, comps, and releasing.

Every decision runs under the event's lock (allocation.locking) in one transaction and leaves a
note on the booking saying what was decided and why.
"""

from dataclasses import dataclass

from django.db import transaction

from buyers.models import Booking
from eventchain import audit
from eventchain.errors import StateConflict, ValidationFailed
from eventchain.lifecycle import BookingStatus
from eventchain.models import InventoryKind, Package
from eventchain.roles import authorize

from .. import locking, queries, rules
from ..models import Area, CompGrant, CompRule, EventUnit, PoolShare, StockState
from .common import AMENDABLE, add_notes, record_request, refuse_unless_allocatable


@dataclass
class Outcome:
    booking: Booking
    holdings: list[queries.Holding]
    notes: list[str]
    changed: bool = True

    @property
    def units(self) -> list[queries.Holding]:
        return [h for h in self.holdings if not h.comp]

    @property
    def comps(self) -> list[queries.Holding]:
        return [h for h in self.holdings if h.comp]

    def as_api(self) -> dict:
        return {"status": "allocated", "units": [h.as_api() for h in self.units],
                "comps": [h.as_api() for h in self.comps], "notes": self.notes}


# ---------------------------------------------------------------- public services


def allocate_booking(*, booking_id, actor, units: list[str] | None = None, preferred_area: str | int | None = None,
                     source: str = "console") -> Outcome:
    """Reserve stock for a confirmed booking by its package and the event's rules, or the units named.

    Raises StateConflict (409) when the stock cannot cover the booking; the shortage is kept as a note.
    """
    authorize(actor, "allocate_stock")
    booking = queries.booking(booking_id)
    refuse_unless_allocatable(booking)
    area = resolve_area(booking, preferred_area)
    labels = clean_labels(units)
    # Reads that do not depend on free stock happen before the event lock, to keep it short.
    owed = owed_comps(booking)
    layout = None if labels else _Layout.of(booking)
    try:
        with transaction.atomic():
            locking.lock_event(booking.event_id)
            _refresh_status(booking)
            if _holds_stock(booking.pk):
                current = queries.holdings(booking.pk)
                if labels:
                    raise StateConflict(
                        f"{booking.reference} already holds {', '.join(h.label for h in current)}; release it "
                        "before naming other units."
                    )
                return Outcome(booking, current, [f"{booking.reference} already holds its stock; nothing changed."],
                               changed=False)
            if labels:
                plan = named_plan(booking, labels, require_cover=True)
                apply_takes(booking, plan.takes, booking.package)
                notes = plan.notes + apply_comp_rules(booking, near_area=_area_of(plan), owed=owed)
            else:
                notes = _package_plan_and_apply(booking, area, layout, owed)
            messages = add_notes(booking, notes, actor)
            record_request(booking, outcome="reserved", message=messages[0] if messages else "", source=source,
                           preferred_area=area, requested_units=labels)
            held = queries.holdings(booking.pk)
            audit.record(actor, "allocation.reserved",
                         f"{booking.reference}: reserved {', '.join(h.label for h in held)}",
                         target=booking, data={"units": [h.label for h in held], "source": source})
            return Outcome(booking, held, messages)
    except rules.Shortage as exc:
        message = f"{booking.reference} stays unallocated. {exc.message}"
        with transaction.atomic():
            add_notes(booking, [("shortage", message)], actor)
            record_request(booking, outcome="short", message=message, source=source, preferred_area=area,
                           requested_units=labels)
            audit.record(actor, "allocation.short", message, target=booking)
        raise StateConflict(message) from exc


def reserve_units(*, booking_id, actor, labels: list[str], source: str = "map") -> Outcome:
    """Add named units to what a booking holds (inventory map clicks); the manifest comes at confirm."""
    authorize(actor, "allocate_stock")
    booking = queries.booking(booking_id)
    if booking.status != BookingStatus.CONFIRMED and booking.status not in AMENDABLE:
        refuse_unless_allocatable(booking)
    labels = clean_labels(labels)
    if not labels:
        raise ValidationFailed("Choose at least one unit.", field="units")
    with transaction.atomic():
        locking.lock_event(booking.event_id)
        _refresh_status(booking)
        held = queries.holdings(booking.pk)
        seated = paid_seats(booking, held)
        if seated >= booking.headcount:
            raise StateConflict(f"{booking.reference} already has room for all {booking.headcount} guests; "
                                "release a unit before adding another.")
        plan = named_plan(booking, labels, require_cover=False, passes_held=seated)
        apply_takes(booking, plan.takes, booking.package)
        messages = add_notes(booking, plan.notes, actor)
        record_request(booking, outcome="reserved", message=messages[0], source=source,
                       requested_units=[h.label for h in held] + labels)
        audit.record(actor, "allocation.reserved", f"{booking.reference}: reserved {', '.join(labels)}",
                     target=booking, data={"units": labels, "source": source})
        return Outcome(booking, queries.holdings(booking.pk), messages)


def release_units(*, booking_id, actor, labels: list[str] | None = None, allow_locked: bool = False) -> list[str]:
    """Give back units a booking holds (all unconfirmed ones when `labels` is None). Returns released labels.

    Units in a confirmed manifest are released only through an amendment (`allow_locked`).
    """
    authorize(actor, "allocate_stock")
    booking = queries.booking(booking_id)
    with transaction.atomic():
        locking.lock_event(booking.event_id)
        released = free_stock(booking, labels, allow_locked=allow_locked)
        if not released:
            return []
        message = f"Released {', '.join(released)}."
        add_notes(booking, [("released", message)], actor)
        if not queries.holdings(booking.pk):
            record_request(booking, outcome="waiting", message=message)
        audit.record(actor, "allocation.released", f"{booking.reference}: {message}", target=booking,
                     data={"units": released})
        return released


def grant_comp(*, booking_id, actor, quantity: int, reason: str, package_code: str = "",
               units: list[str] | None = None) -> Outcome:
    """A staff member gives comps (zero-price units) with a reason; the planner picks them unless named."""
    authorize(actor, "allocate_stock")
    booking = queries.booking(booking_id)
    if booking.status != BookingStatus.CONFIRMED and booking.status not in AMENDABLE:
        refuse_unless_allocatable(booking)
    errors = []
    reason = (reason or "").strip()
    if not reason:
        errors.append({"field": "reason", "message": "say why the comp is given (it is shown to finance)"})
    labels = clean_labels(units)
    if not labels and (not isinstance(quantity, int) or quantity < 1):
        errors.append({"field": "quantity", "message": "must be a whole number of at least 1"})
    package = booking.package
    if package_code and package_code != package.code:
        package = Package.objects.filter(event_id=booking.event_id, code=package_code).first()
        if package is None:
            errors.append({"field": "package", "message": f"{booking.event.code} has no package {package_code!r}"})
    if errors:
        raise ValidationFailed.from_list(errors)
    with transaction.atomic():
        locking.lock_event(booking.event_id)
        if labels:
            plan = named_plan(booking, labels, require_cover=False, package=package, comp=True,
                              comp_passes=quantity if isinstance(quantity, int) and quantity > 0 else 1)
            quantity = sum(t.quantity for t in plan.takes)
        else:
            demand = rules.Demand(kind=package.inventory_kind, units=quantity,
                                  guests=quantity * package.seats_per_unit, seats_per_unit=package.seats_per_unit,
                                  comp=True)
            try:
                plan = _plan(booking.event_id, demand, near_area=_held_area(booking))
            except rules.Shortage as exc:
                raise StateConflict(f"No stock for the comp: {exc.message}") from exc
        apply_takes(booking, plan.takes, package, comp_note=reason)
        CompGrant.objects.create(booking=booking, package=package, quantity=quantity, reason=reason,
                                 granted_by=actor if getattr(actor, "pk", None) else None)
        what = ", ".join(t.slot.label for t in plan.takes)
        messages = add_notes(booking, [("comp", f"{rules.noun(package.inventory_kind, quantity)} {package.code} "
                                                f"given as comp: {reason} ({what}).")], actor)
        audit.record(actor, "allocation.comp_granted", f"{booking.reference}: {messages[0]}", target=booking,
                     data={"package": package.code, "quantity": quantity, "reason": reason})
        return Outcome(booking, queries.holdings(booking.pk), messages)


# ---------------------------------------------------------------- shared by the manifest services


def resolve_area(booking: Booking, preferred: str | int | None) -> Area | None:
    if preferred in (None, ""):
        return None
    area = queries.find_area(booking.event.venue_id, preferred)
    if area is None:
        names = ", ".join(queries.areas_of(booking.event.venue_id).values_list("name", flat=True)) or "none yet"
        raise ValidationFailed(f"{booking.event.venue} has no area {preferred!r}; its areas are: {names}.",
                               field="preferred_area")
    return area


def clean_labels(units) -> list[str]:
    if not units:
        return []
    if isinstance(units, str):
        units = units.replace(";", ",").replace("\n", ",").split(",")
    labels = []
    for unit in units:
        label = str(unit).strip().upper()
        if label and label not in labels:
            labels.append(label)
    return labels


def paid_seats(booking: Booking, held: list[queries.Holding]) -> int:
    return sum(h.seats for h in held if not h.comp and h.package_id == booking.package_id)


def apply_takes(booking: Booking, takes: list[rules.Take], package: Package, comp_note: str = "") -> None:
    """Write a plan. The guarded updates fail loudly if any unit was taken meanwhile."""
    units = [t for t in takes if t.slot.kind != InventoryKind.PASS]
    for comp in (False, True):
        ids = [t.slot.stock_id for t in units if t.comp == comp]
        if not ids:
            continue
        moved = locking.claim(ids, expected=[StockState.AVAILABLE],
                              state=StockState.COMP if comp else StockState.RESERVED,
                              booking=booking, package=package, note=comp_note if comp else "")
        if moved != len(ids):
            raise StateConflict("Another booking took some of these units a moment ago; try again.")
    for take in takes:
        if take.slot.kind != InventoryKind.PASS:
            continue
        if not locking.take_from_pool(take.slot.stock_id, take.quantity):
            raise StateConflict(f"Pool {take.slot.label} has fewer than {take.quantity} passes left.")
        PoolShare.objects.create(pool_id=take.slot.stock_id, booking=booking, package=package,
                                 quantity=take.quantity, comp=take.comp, note=comp_note if take.comp else "")


def owed_comps(booking: Booking) -> list[tuple[CompRule, int]]:
    """Comps the event's active rules give this booking that it has not been given yet."""
    rule_rows = list(CompRule.objects.filter(event_id=booking.event_id, package_id=booking.package_id, active=True)
                     .select_related("package", "comp_package"))
    if not rule_rows:
        return []
    paid_units = rules.units_for(booking.package.inventory_kind, booking.headcount, booking.package.seats_per_unit)
    granted: dict[int, int] = {}
    for grant in CompGrant.objects.filter(booking=booking, rule__in=rule_rows, released_at__isnull=True):
        granted[grant.rule_id] = granted.get(grant.rule_id, 0) + grant.quantity
    by_id = {rule.pk: rule for rule in rule_rows}
    earned = rules.comps_earned(paid_units, [_rule_view(rule) for rule in rule_rows])
    return [(by_id[view.id], count - granted.get(view.id, 0)) for view, count in earned
            if count > granted.get(view.id, 0)]


def _rule_view(rule: CompRule) -> rules.CompRuleView:
    return rules.CompRuleView(id=rule.pk, every=rule.every, quantity=rule.quantity, package_code=rule.package.code,
                              comp_package_code=rule.granted_package.code)


def apply_comp_rules(booking: Booking, *, near_area: int | None, given: dict[int, int] | None = None,
                     owed: list[tuple[CompRule, int]] | None = None) -> list[tuple]:
    """Reserve comps owed by rules (minus `given`, already placed with the party). Returns notes."""
    notes = []
    for rule, count in owed_comps(booking) if owed is None else owed:
        package = rule.granted_package
        placed = (given or {}).get(rule.pk, 0)
        if placed:
            count -= placed
        if count > 0:
            demand = rules.Demand(kind=package.inventory_kind, units=count, guests=count * package.seats_per_unit,
                                  seats_per_unit=package.seats_per_unit, comp=True)
            try:
                plan = _plan(booking.event_id, demand, near_area=near_area)
            except rules.Shortage as exc:
                notes.append(("comp", f"Rule '{_rule_text(rule)}' earns {rules.noun(package.inventory_kind, count)} "
                                      f"but none could be placed: {exc.message} Grant it later by hand."))
                count = 0
            else:
                apply_takes(booking, plan.takes, package, comp_note=_rule_text(rule))
                notes.append(("comp", f"Rule '{_rule_text(rule)}': {rules.noun(package.inventory_kind, count)} "
                                      f"{package.code} comp ({', '.join(t.slot.label for t in plan.takes)})."))
        if placed + count:
            CompGrant.objects.create(booking=booking, package=package, quantity=placed + count,
                                     reason=_rule_text(rule), rule=rule)
    return notes


def _rule_text(rule: CompRule) -> str:
    return _rule_view(rule).describe()


def named_plan(booking: Booking, labels: list[str], *, require_cover: bool, package: Package | None = None,
               comp: bool = False, comp_passes: int = 1, passes_held: int = 0) -> rules.Plan:
    """Check named units can be given to this booking (kind, state, seats inside tables) under row locks."""
    package = package or booking.package
    kind = package.inventory_kind
    rows = {
        row.unit.label: row
        for row in EventUnit.objects.filter(event_id=booking.event_id, unit__label__in=labels)
        .select_related("unit__parent", "unit__area")
    }
    missing = [{"field": f"units.{i}", "message": f"{booking.event.venue} has no unit {label!r} for {booking.event.code}"}
               for i, label in enumerate(labels) if label not in rows]
    if missing:
        raise ValidationFailed.from_list(missing)
    related = EventUnit.objects.filter(event_id=booking.event_id).filter(
        unit__parent_id__in=[r.unit_id for r in rows.values()]
    ).values_list("pk", flat=True)
    parents = EventUnit.objects.filter(
        event_id=booking.event_id, unit_id__in=[r.unit.parent_id for r in rows.values() if r.unit.parent_id]
    ).values_list("pk", flat=True)
    locked = locking.lock_rows([r.pk for r in rows.values()] + list(related) + list(parents))
    by_unit = {row.unit_id: row for row in locked.values()}

    takes, wrong_kind = [], []
    passes_left = rules.units_for(kind, booking.headcount, package.seats_per_unit) - passes_held
    for i, label in enumerate(labels):
        row = locked[rows[label].pk]
        unit = row.unit
        if unit.kind == InventoryKind.PASS and kind == InventoryKind.PASS:
            quantity = comp_passes if comp else passes_left
            if quantity < 1:
                raise ValidationFailed(f"{booking.reference} needs no more passes than already named.",
                                       field=f"units.{i}")
            if row.pool_free < quantity:
                raise StateConflict(f"Pool {label} has {row.pool_free} passes free; {booking.reference} needs "
                                    f"{quantity}.")
            passes_left -= quantity
            takes.append(rules.Take(slot=_slot(row), seats=quantity, quantity=quantity, comp=comp))
            continue
        parent = by_unit.get(unit.parent_id) if unit.parent_id else None
        if unit.parent_id is None and unit.kind == kind:
            _refuse_if_taken(row, booking)
            busy = [r.unit.label for r in locked.values()
                    if r.unit.parent_id == unit.pk and r.state != StockState.AVAILABLE]
            if busy:
                raise StateConflict(f"{label} has seats already taken ({', '.join(busy)}); reserve its free seats "
                                    "one by one instead.")
            seats = 1 if kind == InventoryKind.SEAT else unit.capacity
            takes.append(rules.Take(slot=_slot(row), seats=seats, comp=comp))
        elif parent is not None and parent.unit.kind == kind:
            if parent.state != StockState.AVAILABLE:
                raise StateConflict(f"{label} is part of {parent.unit.label}, which is "
                                    f"{_taken_text(parent, booking)}.")
            _refuse_if_taken(row, booking)
            takes.append(rules.Take(slot=_slot(row), seats=1, comp=comp, split=True))
        else:
            wrong_kind.append({"field": f"units.{i}",
                               "message": f"{label} is a {unit.get_kind_display().lower()}"
                                          f"{' inside ' + parent.unit.label if parent else ''}; {package.code} "
                                          f"needs {rules.KIND_NOUNS[kind][1]}"})
    if wrong_kind:
        raise ValidationFailed.from_list(wrong_kind)
    if require_cover:
        _check_cover(booking, takes)
    return rules.Plan(takes=takes, notes=[("reserved", f"Reserved as named{' (comp)' if comp else ''}: "
                                                       f"{rules.describe([t.slot for t in takes])}.")])


# ---------------------------------------------------------------- internals


def _refresh_status(booking: Booking) -> None:
    booking.status = Booking.objects.values_list("status", flat=True).get(pk=booking.pk)


@dataclass(frozen=True)
class _Layout:
    """The areas holding a package's kind and the event's overflow order: read before the lock."""

    areas: list[rules.AreaRef]
    fallbacks: dict[int, list[int]]

    @classmethod
    def of(cls, booking: Booking) -> "_Layout":
        return cls(areas=queries.kind_areas(booking.event_id, booking.package.inventory_kind),
                   fallbacks=queries.fallbacks(booking.event_id))


def _holds_stock(booking_id: int) -> bool:
    return (EventUnit.objects.filter(booking_id=booking_id).exists()
            or PoolShare.objects.filter(booking_id=booking_id).exists())


def _package_plan_and_apply(booking: Booking, area: Area | None, layout: _Layout,
                            owed: list[tuple[CompRule, int]]) -> list[tuple[str, str]]:
    package = booking.package
    kind = package.inventory_kind
    units = rules.units_for(kind, booking.headcount, package.seats_per_unit)
    demand = rules.Demand(kind=kind, units=units, guests=booking.headcount, seats_per_unit=package.seats_per_unit)
    candidates = queries.candidates(booking.event_id, kind, areas=layout.areas)
    order, restricted = rules.area_order(candidates.areas, area.pk if area else None, layout.fallbacks)
    notes: list[tuple[str, str]] = []
    if area is not None and area.pk not in {a.id for a in candidates.areas}:
        notes.append(("overflow", f"{area.name} has no {rules.KIND_NOUNS[kind][1]}; searched every area instead."))

    # Same-package seat comps sit with the party when a block fits everyone.
    owed_here = [(r, n) for r, n in owed if r.granted_package.pk == package.pk and kind == InventoryKind.SEAT]
    given: dict[int, int] = {}
    plan = None
    if owed_here:
        extra = sum(n for _, n in owed_here)
        combined = rules.Demand(kind=kind, units=units + extra, guests=booking.headcount + extra)
        try:
            attempt = rules.plan_units(combined, candidates.wholes, [], order)
        except rules.Shortage:
            attempt = None
        if attempt and all(kind_ != "split" for kind_, _ in attempt.notes):
            takes = attempt.takes
            plan = rules.Plan(takes=[*takes[:units]], notes=attempt.notes)
            cursor = units
            for rule, n in owed_here:
                plan.takes += [rules.Take(slot=t.slot, seats=1, comp=True) for t in takes[cursor:cursor + n]]
                cursor += n
                given[rule.pk] = n
    if plan is None:
        try:
            if kind == InventoryKind.PASS:
                plan = rules.plan_passes(demand, candidates.pools, order)
            else:
                plan = rules.plan_units(demand, candidates.wholes, candidates.split_seats, order,
                                        candidates.split_tables)
        except rules.Shortage as exc:
            if not EventUnit.objects.filter(event_id=booking.event_id).exists():
                raise rules.Shortage(f"{booking.event.code} has no stock yet: a stock manager creates it from "
                                     f"{booking.event.venue}'s layout on the inventory map.") from exc
            raise rules.Shortage(exc.message + _shortage_hints(booking, kind, order, restricted, area)) from exc
    notes += _hold_notes(booking, kind, plan, order)
    notes += plan.notes
    paid = [t for t in plan.takes if not t.comp]
    comps_with_party = [t for t in plan.takes if t.comp]
    apply_takes(booking, paid, package)
    for rule, n in owed_here:
        if rule.pk in given:
            placed, comps_with_party = comps_with_party[:n], comps_with_party[n:]
            apply_takes(booking, placed, package, comp_note=_rule_text(rule))
            notes.append(("comp", f"Rule '{_rule_text(rule)}': {rules.noun(kind, n)} comp beside the party "
                                  f"({', '.join(t.slot.label for t in placed)})."))
    return notes + apply_comp_rules(booking, near_area=_area_of(plan), given=given, owed=owed)


def _plan(event_id: int, demand: rules.Demand, *, near_area: int | None) -> rules.Plan:
    candidates = queries.candidates(event_id, demand.kind)
    order, _ = rules.area_order(candidates.areas, None, {})
    if near_area is not None:
        order.sort(key=lambda a: a.id != near_area)
    if demand.kind == InventoryKind.PASS:
        return rules.plan_passes(demand, candidates.pools, order)
    return rules.plan_units(demand, candidates.wholes, candidates.split_seats, order, candidates.split_tables)


def _area_of(plan: rules.Plan) -> int | None:
    return plan.takes[0].slot.area_id if plan.takes else None


def _held_area(booking: Booking) -> int | None:
    return EventUnit.objects.filter(booking=booking).values_list("unit__area_id", flat=True).first()


def _hold_notes(booking: Booking, kind: str, plan: rules.Plan, order: list[rules.AreaRef]) -> list[tuple[str, str]]:
    """Say so when held stock sat in an area the party was moved away from."""
    chosen = _area_of(plan)
    skipped = []
    for area in order:
        if area.id == chosen:
            break
        skipped.append(area.id)
    return [("hold", _held_text(area_name, n, kind, hold, booking.event.tz))
            for area_name, n, hold in queries.held_summary(booking.event_id, kind, skipped)]


def _until(hold, tz) -> str:
    """' until 14 Dec 2026 18:00 AEDT' in the venue's zone, or nothing for a hold without expiry."""
    return f" until {hold.expires_at.astimezone(tz):%d %b %Y %H:%M %Z}" if hold.expires_at else ""


def _held_text(area_name: str, n: int, kind: str, hold, tz) -> str:
    until = _until(hold, tz)
    return f"{rules.noun(kind, n)} in {area_name} held for '{hold.name}' ({hold.owner}){until} were not offered."


def _shortage_hints(booking, kind, order, restricted, area) -> str:
    hints = [" " + _held_text(a, n, kind, hold, booking.event.tz) for a, n, hold in
             queries.held_summary(booking.event_id, kind, [a.id for a in order])]
    if restricted and area is not None and len(order) == 1:
        hints.append(f" {area.name} has no overflow area set for {booking.event.code}; add one under Rules.")
    return "".join(hints)


def _slot(row: EventUnit) -> rules.Slot:
    unit = row.unit
    return rules.Slot(stock_id=row.pk, label=unit.label, kind=unit.kind, area_id=unit.area_id, row=unit.row,
                      number=unit.number, position=unit.position, capacity=unit.capacity,
                      pool_free=row.pool_size - row.pool_taken)


def _taken_text(row: EventUnit, booking: Booking) -> str:
    if row.state in (StockState.RESERVED, StockState.ALLOCATED, StockState.COMP):
        whose = "this booking" if row.booking_id == booking.pk else f"BK-{row.booking_id:05d}"
        return f"already taken by {whose}"
    if row.state == StockState.HELD and row.hold_id:
        hold = row.hold
        until = _until(hold, booking.event.tz)
        return f"held for '{hold.name}' ({hold.owner}){until}; release the hold first"
    if row.state == StockState.BLOCKED:
        return f"blocked{': ' + row.note if row.note else ''}"
    return row.state


def _refuse_if_taken(row: EventUnit, booking: Booking) -> None:
    if row.state != StockState.AVAILABLE:
        raise StateConflict(f"{row.unit.label} is {_taken_text(row, booking)}.")


def _check_cover(booking: Booking, takes: list[rules.Take]) -> None:
    seats = sum(t.seats for t in takes)
    if seats < booking.headcount:
        raise ValidationFailed(f"The units named seat {seats} but {booking.reference} has {booking.headcount} "
                               "guests; name units for all of them.", field="units")
    unit_takes = [t for t in takes if t.slot.kind != InventoryKind.PASS]
    if len(unit_takes) > 1 and seats - min(t.seats for t in unit_takes) >= booking.headcount:
        raise ValidationFailed(f"The units named seat {seats}, more than {booking.reference}'s {booking.headcount} "
                               "guests need; leave out the extra ones.", field="units")


def free_stock(booking: Booking, labels: list[str] | None, *, allow_locked: bool) -> list[str]:
    rows = locking.lock_booking_rows(booking.pk)
    shares = list(PoolShare.objects.select_for_update().filter(booking=booking).select_related("pool__unit"))
    wanted = set(clean_labels(labels)) if labels is not None else None
    if wanted is not None:
        known = {r.unit.label for r in rows} | {s.pool.unit.label for s in shares}
        unknown = sorted(wanted - known)
        if unknown:
            raise ValidationFailed(f"{booking.reference} does not hold {', '.join(unknown)}.", field="units")
    rows = [r for r in rows if wanted is None or r.unit.label in wanted]
    shares = [s for s in shares if wanted is None or s.pool.unit.label in wanted]
    locked = [r.unit.label for r in rows if r.locked_at] + [s.pool.unit.label for s in shares if s.locked_at]
    if locked and not allow_locked:
        if labels is None:
            rows = [r for r in rows if not r.locked_at]
            shares = [s for s in shares if not s.locked_at]
        else:
            raise StateConflict(f"{', '.join(locked)} {'is' if len(locked) == 1 else 'are'} in a confirmed manifest; "
                                "amend the allocation to remove them.")
    locking.claim([r.pk for r in rows], expected=[StockState.RESERVED, StockState.ALLOCATED, StockState.COMP],
                  state=StockState.AVAILABLE, booking=None, package=None, locked_at=None, note="")
    for share in shares:
        locking.return_to_pool(share.pool_id, share.quantity)
        share.delete()
    return [r.unit.label for r in rows] + [f"{s.quantity} × {s.pool.unit.label}" for s in shares]
