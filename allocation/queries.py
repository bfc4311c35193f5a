"""Reads reused by services, views and the API: bookings in the queue, candidates for the planner,
a booking's holdings, the inventory map and manifest diffs."""

import re
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum

from buyers.models import Booking
from eventchain.errors import NotFound
from eventchain.lifecycle import BookingStatus
from eventchain.models import Event, InventoryKind

from . import rules
from .models import (
    BOOKED_STATES,
    AllocationNote,
    Area,
    EventUnit,
    Hold,
    Manifest,
    ManifestLine,
    PoolShare,
    StockState,
)

REFERENCE = re.compile(r"^\s*(?:BK-?)?0*(\d+)\s*$", re.IGNORECASE)


def booking_id_from(text: str | int) -> int | None:
    """12, '12', 'BK-00012' and 'bk-12' all name booking 12."""
    match = REFERENCE.match(str(text))
    return int(match.group(1)) if match else None


def booking(booking_id: int | str) -> Booking:
    pk = booking_id_from(booking_id)
    found = (
        Booking.objects.select_related("buyer", "event__venue", "package").filter(pk=pk).first()
        if pk is not None else None
    )
    if found is None:
        raise NotFound(f"No booking {booking_id!r}; use its id or reference such as BK-00012.")
    return found


def areas_of(venue_id: int) -> QuerySet[Area]:
    return Area.objects.filter(venue_id=venue_id).order_by("position", "name")


def find_area(venue_id: int, name_or_id: str | int) -> Area | None:
    text = str(name_or_id).strip()
    areas = areas_of(venue_id)
    return areas.filter(name__iexact=text).first() or (areas.filter(pk=int(text)).first() if text.isdigit() else None)


def fallbacks(event_id: int) -> dict[int, list[int]]:
    from .models import OverflowRule

    order: dict[int, list[int]] = {}
    for area_id, fallback_id in OverflowRule.objects.filter(event_id=event_id).order_by("position", "id").values_list(
        "area_id", "fallback_id"
    ):
        order.setdefault(area_id, []).append(fallback_id)
    return order


# ---------------------------------------------------------------- planner input


@dataclass
class Candidates:
    """Free stock of one kind for one event, shaped for `rules.plan_units`/`plan_passes`."""

    areas: list[rules.AreaRef] = field(default_factory=list)
    wholes: list[rules.Slot] = field(default_factory=list)
    split_seats: list[rules.Slot] = field(default_factory=list)
    split_tables: frozenset[int] = frozenset()
    pools: list[rules.Slot] = field(default_factory=list)


_SLOT_FIELDS = (
    "id", "state", "pool_size", "pool_taken", "unit_id", "unit__label", "unit__kind", "unit__area_id",
    "unit__area__name", "unit__area__position", "unit__row", "unit__number", "unit__position",
    "unit__capacity", "unit__parent_id",
)


def _slot(row: dict, parent_stock_id: int | None = None) -> rules.Slot:
    return rules.Slot(
        stock_id=row["id"], label=row["unit__label"], kind=row["unit__kind"], area_id=row["unit__area_id"],
        row=row["unit__row"], number=row["unit__number"], position=row["unit__position"],
        capacity=row["unit__capacity"], parent_id=parent_stock_id,
        pool_free=row["pool_size"] - row["pool_taken"],
    )


def kind_areas(event_id: int, kind: str) -> list[rules.AreaRef]:
    """Areas of the event's venue laid out with this kind, in layout order (full or not)."""
    return [
        rules.AreaRef(id=a.pk, name=a.name)
        for a in Area.objects.filter(venue__events__id=event_id, units__kind=kind, units__parent__isnull=True)
        .distinct().order_by("position", "name")
    ]


def candidates(event_id: int, kind: str, *, areas: list[rules.AreaRef] | None = None) -> Candidates:
    """One query (two without `areas`). Seats inside tables never count as club seats; a unit with a
    seat taken is not whole."""
    stock = EventUnit.objects.filter(event_id=event_id)
    if kind == InventoryKind.SEAT:
        stock = stock.filter(unit__kind=kind, unit__parent__isnull=True, state=StockState.AVAILABLE)
    elif kind == InventoryKind.PASS:
        stock = stock.filter(unit__kind=kind, state=StockState.AVAILABLE)
    else:
        stock = stock.filter(Q(unit__kind=kind, unit__parent__isnull=True) | Q(unit__parent__kind=kind))
    rows = list(stock.order_by("unit__area__position", "unit__position", "id").values(*_SLOT_FIELDS))
    # Areas come from the layout, not from free stock: a full preferred area must still count as preferred.
    result = Candidates(areas=kind_areas(event_id, kind) if areas is None else areas)
    if kind == InventoryKind.PASS:
        result.pools = [_slot(r) for r in rows]
        return result
    if kind == InventoryKind.SEAT:
        result.wholes = [_slot(r) for r in rows]
        return result

    parents = {r["unit_id"]: r for r in rows if r["unit__parent_id"] is None}
    children: dict[int, list[dict]] = {}
    for r in rows:
        if r["unit__parent_id"] is not None:
            children.setdefault(r["unit__parent_id"], []).append(r)
    split_tables = set()
    for unit_id, parent in parents.items():
        if parent["state"] != StockState.AVAILABLE:
            continue
        kids = children.get(unit_id, [])
        free_kids = [k for k in kids if k["state"] == StockState.AVAILABLE]
        if len(free_kids) == len(kids):
            result.wholes.append(_slot(parent))
        else:
            split_tables.add(parent["id"])
        result.split_seats.extend(_slot(k, parent_stock_id=parent["id"]) for k in free_kids)
    result.split_tables = frozenset(split_tables)
    return result


def held_summary(event_id: int, kind: str, area_ids: list[int]) -> list[tuple[str, int, Hold]]:
    """[(area name, units held, hold)] for held stock of `kind` in those areas: why the planner skipped it."""
    rows = (
        EventUnit.objects.filter(event_id=event_id, state=StockState.HELD, unit__kind=kind, unit__area_id__in=area_ids)
        .values_list("unit__area__name", "hold_id")
    )
    counts = Counter(rows)
    holds = Hold.objects.in_bulk({hold_id for _, hold_id in counts})
    return [(area, n, holds[hold_id]) for (area, hold_id), n in sorted(counts.items(), key=lambda kv: kv[0][0])]


# ---------------------------------------------------------------- a booking's stock


@dataclass(frozen=True)
class Holding:
    """One thing a booking holds, in the API's shape."""

    stock_id: int
    unit_id: int
    label: str
    kind: str
    area: str
    seats: int
    quantity: int
    package_id: int
    package_code: str
    comp: bool
    locked: bool
    split: bool
    note: str = ""

    def as_api(self) -> dict:
        payload = {"id": str(self.unit_id), "label": self.label, "kind": self.kind, "area": self.area,
                   "seats": self.seats}
        if self.comp:
            payload["reason"] = self.note
        return payload


def holdings(booking_id: int) -> list[Holding]:
    """Units and pass shares the booking holds, paid first, in layout order. Two queries."""
    units = (
        EventUnit.objects.filter(booking_id=booking_id, state__in=BOOKED_STATES)
        .select_related("unit__area", "unit__parent", "package")
        .order_by("unit__area__position", "unit__position", "id")
    )
    result = [
        Holding(
            stock_id=row.pk, unit_id=row.unit_id, label=row.unit.label, kind=row.unit.kind, area=row.unit.area.name,
            seats=1 if row.unit.kind == InventoryKind.SEAT else row.unit.capacity, quantity=1,
            package_id=row.package_id, package_code=row.package.code, comp=row.state == StockState.COMP,
            locked=row.locked_at is not None, split=row.unit.parent_id is not None, note=row.note,
        )
        for row in units
    ]
    shares = PoolShare.objects.filter(booking_id=booking_id).select_related("pool__unit__area", "package")
    result += [
        Holding(
            stock_id=share.pool_id, unit_id=share.pool.unit_id, label=share.pool.unit.label, kind=InventoryKind.PASS,
            area=share.pool.unit.area.name, seats=share.quantity, quantity=share.quantity,
            package_id=share.package_id, package_code=share.package.code, comp=share.comp,
            locked=share.locked_at is not None, split=False, note=share.note,
        )
        for share in shares.order_by("id")
    ]
    return sorted(result, key=lambda h: h.comp)


def notes(booking_id: int) -> QuerySet[AllocationNote]:
    return AllocationNote.objects.filter(booking_id=booking_id).order_by("created_at", "id")


def manifests(booking_id: int) -> QuerySet[Manifest]:
    return Manifest.objects.filter(booking_id=booking_id).order_by("-version")


def latest_manifest(booking_id: int) -> Manifest | None:
    return manifests(booking_id).prefetch_related("lines__package").first()


# ---------------------------------------------------------------- queue


QUEUE_TABS = {
    "awaiting": "Awaiting stock",
    "reserved": "Reserved, to confirm",
    "allocated": "Allocated",
}


def queue(tab: str, *, q: str = "", event_code: str = "") -> QuerySet[Booking]:
    has_units = Exists(EventUnit.objects.filter(booking_id=OuterRef("pk")))
    has_passes = Exists(PoolShare.objects.filter(booking_id=OuterRef("pk")))
    bookings = Booking.objects.select_related("buyer", "event", "package", "allocation_request",
                                              "allocation_request__preferred_area")
    if tab == "allocated":
        bookings = bookings.filter(status=BookingStatus.ALLOCATED)
    elif tab == "reserved":
        bookings = bookings.filter(has_units | has_passes, status=BookingStatus.CONFIRMED)
    else:
        bookings = bookings.filter(~has_units & ~has_passes, status=BookingStatus.CONFIRMED)
    if event_code:
        bookings = bookings.filter(event__code=event_code)
    if q:
        pk = booking_id_from(q)
        bookings = bookings.filter(Q(buyer__name__icontains=q) | Q(po_number__icontains=q) | Q(pk=pk or 0))
    return bookings.order_by("status_changed_at", "id")


def queue_counts() -> dict[str, int]:
    has_units = EventUnit.objects.filter(booking__status=BookingStatus.CONFIRMED).values("booking_id")
    has_passes = PoolShare.objects.filter(booking__status=BookingStatus.CONFIRMED).values("booking_id")
    confirmed = Booking.objects.filter(status=BookingStatus.CONFIRMED)
    reserved = confirmed.filter(Q(pk__in=has_units) | Q(pk__in=has_passes)).count()
    return {
        "awaiting": confirmed.count() - reserved,
        "reserved": reserved,
        "allocated": Booking.objects.filter(status=BookingStatus.ALLOCATED).count(),
    }


def events_with_stock() -> QuerySet[Event]:
    return Event.objects.select_related("venue").filter(stock__isnull=False).distinct().order_by("starts_at")


# ---------------------------------------------------------------- inventory map


@dataclass
class MapCell:
    stock: EventUnit
    state: str  # as shown: a seat inside a booked table shows the table's state
    children: list["MapCell"] = field(default_factory=list)
    mine: bool = False  # held by the booking chosen on the map
    clickable: bool = False

    @property
    def label(self) -> str:
        return self.stock.unit.label

    @property
    def short(self) -> str:
        unit = self.stock.unit
        return str(unit.number) if unit.number is not None and unit.kind == InventoryKind.SEAT else unit.label

    @property
    def booking_reference(self) -> str:
        return f"BK-{self.stock.booking_id:05d}" if self.stock.booking_id else ""

    @property
    def aisle(self) -> bool:
        """A gap after every tenth seat of a row, as in the stand."""
        number = self.stock.unit.number
        return self.stock.unit.kind == InventoryKind.SEAT and number is not None and number % 10 == 0

    @property
    def split(self) -> bool:
        return any(child.state != StockState.AVAILABLE for child in self.children)

    @property
    def description(self) -> str:
        """What a screen reader (and the tooltip) says: label, state and whose it is."""
        stock, unit = self.stock, self.stock.unit
        text = unit.label
        if unit.kind == InventoryKind.PASS:
            return f"{text}: {stock.pool_free} of {stock.pool_size} passes free"
        if unit.kind != InventoryKind.SEAT:
            text += f", {unit.get_kind_display().lower()} for {unit.capacity}"
        text += f": {StockState(self.state).label.lower()}"
        if self.split and self.state == StockState.AVAILABLE:
            text += f", {sum(1 for c in self.children if c.state != StockState.AVAILABLE)} seats taken"
        if stock.booking_id:
            text += f" for {self.booking_reference} ({stock.booking.buyer.name})"
        if stock.hold_id:
            text += f" — {stock.hold.name} ({stock.hold.owner})"
        if stock.note:
            text += f" — {stock.note}"
        if self.mine:
            text += " — held by the chosen booking" + ("" if stock.locked_at else ", click to release")
        return text

    def mark(self, booking_id: int | None, kind: str = "", parent_kind: str = "") -> None:
        """Decide what a click can do for the chosen booking (reserve a free unit of its kind, or release)."""
        stock, unit = self.stock, self.stock.unit
        self.mine = booking_id is not None and stock.booking_id == booking_id
        fits = bool(kind) and (parent_kind == kind if unit.parent_id else unit.kind == kind)
        if unit.kind == InventoryKind.PASS:
            self.clickable = booking_id is not None and kind == InventoryKind.PASS and stock.pool_free > 0
        elif self.mine:
            self.clickable = stock.locked_at is None
        else:
            self.clickable = bool(booking_id and fits and self.state == StockState.AVAILABLE and not self.split)
        for child in self.children:
            child.mark(booking_id, kind, parent_kind=unit.kind)


@dataclass
class MapArea:
    area: Area
    rows: list[tuple[str, list[MapCell]]]
    counts: Counter

    @property
    def kind(self) -> str:
        return self.rows[0][1][0].stock.unit.kind if self.rows else ""

    @property
    def seating(self) -> bool:
        """Plain seats in rows (drawn as a seating plan) rather than tables, suites, rooms or pools."""
        return self.kind == InventoryKind.SEAT

    @property
    def units(self) -> list[MapCell]:
        return [cell for _, cells in self.rows for cell in cells]

    @property
    def total(self) -> int:
        return sum(n for state, n in self.counts.items() if not state.startswith("pass_"))


def _map_stock(event: Event, *, area_id: int | None = None, kind: str = "") -> QuerySet[EventUnit]:
    stock = (
        EventUnit.objects.filter(event=event)
        .select_related("unit", "unit__area", "hold", "booking__buyer")
        .order_by("unit__area__position", "unit__position", "id")
    )
    if area_id:
        stock = stock.filter(unit__area_id=area_id)
    if kind == InventoryKind.SEAT:
        stock = stock.filter(unit__kind=kind, unit__parent__isnull=True)
    elif kind:
        stock = stock.filter(Q(unit__kind=kind) | Q(unit__parent__kind=kind))
    return stock


def _cells(rows: list[EventUnit]) -> list[MapCell]:
    """Top-level cells in layout order; seats inside a table become the table's children."""
    by_unit = {row.unit_id: row for row in rows}
    cells: dict[int, MapCell] = {}
    for row in rows:
        parent = by_unit.get(row.unit.parent_id) if row.unit.parent_id else None
        # A seat inside a booked or held table shows the table's state: it is not free on its own.
        shown = parent.state if parent is not None and parent.state != StockState.AVAILABLE else row.state
        cells[row.unit_id] = MapCell(stock=row, state=shown)
    top = []
    for row in rows:
        cell = cells[row.unit_id]
        if row.unit.parent_id and row.unit.parent_id in cells:
            cells[row.unit.parent_id].children.append(cell)
        else:
            top.append(cell)
    return top


def inventory_map(event: Event, *, area_id: int | None = None, kind: str = "") -> tuple[list[MapArea], Counter]:
    """Areas → rows → cells for the map, plus counts per state. One query for every state shown."""
    areas: dict[int, MapArea] = {}
    total: Counter = Counter()
    for cell in _cells(list(_map_stock(event, area_id=area_id, kind=kind))):
        unit = cell.stock.unit
        block = areas.setdefault(unit.area_id, MapArea(area=unit.area, rows=[], counts=Counter()))
        if not block.rows or block.rows[-1][0] != unit.row:
            block.rows.append((unit.row, []))
        block.rows[-1][1].append(cell)
        if unit.kind == InventoryKind.PASS:
            block.counts["pass_free"] += cell.stock.pool_free
            block.counts["pass_taken"] += cell.stock.pool_taken
        else:
            block.counts[cell.state] += 1
            total[cell.state] += 1
    return list(areas.values()), total


def map_cells(event: Event, *, unit_ids: list[int]) -> list[MapCell]:
    """Fresh top-level cells (with their seats) for the units a click changed."""
    rows = _map_stock(event).filter(Q(unit_id__in=unit_ids) | Q(unit__parent_id__in=unit_ids))
    return _cells(list(rows))


def area_counts(event: Event, area: Area) -> Counter:
    """One area's heading on the map: units per state, or passes free and taken for a car park."""
    counts = state_counts(event, area_id=area.pk)
    pools = EventUnit.objects.filter(event=event, unit__area=area, unit__kind=InventoryKind.PASS).aggregate(
        size=Sum("pool_size"), taken=Sum("pool_taken"))
    if pools["size"]:
        counts["pass_free"], counts["pass_taken"] = pools["size"] - pools["taken"], pools["taken"]
    return counts


def state_counts(event: Event, *, area_id: int | None = None, kind: str = "") -> Counter:
    """Units per state as the map counts them (top-level units, passes apart)."""
    stock = _map_stock(event, area_id=area_id, kind=kind).filter(unit__parent__isnull=True).exclude(
        unit__kind=InventoryKind.PASS)
    return Counter(dict(stock.order_by().values_list("state").annotate(n=Count("id")).values_list("state", "n")))


# ---------------------------------------------------------------- manifests


@dataclass(frozen=True)
class DiffLine:
    change: str  # added, removed, changed, same
    label: str
    kind: str
    area: str
    comp: bool
    before: ManifestLine | None
    after: ManifestLine | None


def manifest_diff(before: Manifest | None, after: Manifest) -> list[DiffLine]:
    """Line-by-line comparison keyed by unit and comp flag (a pass pool may appear twice: paid and comp)."""

    def keyed(manifest):
        return {(line.unit_id, line.comp): line for line in manifest.lines.all()} if manifest else {}

    old, new = keyed(before), keyed(after)
    diff = []
    for key in sorted(old.keys() | new.keys(), key=lambda k: (k[1], (new.get(k) or old.get(k)).label)):
        a, b = old.get(key), new.get(key)
        if a is None:
            change = "added"
        elif b is None:
            change = "removed"
        elif (a.seats, a.quantity, a.unit_price, a.package_id) != (b.seats, b.quantity, b.unit_price, b.package_id):
            change = "changed"
        else:
            change = "same"
        line = b or a
        diff.append(DiffLine(change=change, label=line.label, kind=line.kind, area=line.area, comp=line.comp,
                             before=a, after=b))
    return diff
