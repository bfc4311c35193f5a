"""Demo stock for Riverside Stadium: a realistic layout, event stock for GF2026/SF2026, rules and holds.

Idempotent: the layout is written once (bulk inserts), everything else is get-or-create.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from eventchain.models import Event, InventoryKind, Package, Venue

from .importers import LayoutRow
from .models import Area, CompRule, Hold, OverflowRule, Unit
from .services import block_units, create_hold, ensure_event_stock
from .services.setup import write_layout

VENUE = "Riverside Stadium"
EVENTS = ("GF2026", "SF2026")
CLUB_ROWS = "ABCDEFGHJKLMNPQRSTUV"  # 20 rows, no I or O (they read as 1 and 0)
CLUB_SEATS_PER_ROW = 50
SEEDER = "demo-seed"


def layout_rows() -> list[LayoutRow]:
    """20 suites of 12, 10 boxes of 8, 40 tables of 10 (with seats), 2,000 club seats, 300 passes, 30 rooms."""
    rows: list[LayoutRow] = []

    def add(area, kind, label, capacity, row="", number=None, parent=""):
        rows.append(LayoutRow(line=len(rows) + 2, area=area, kind=kind, label=label, capacity=capacity, row=row,
                              number=number, parent=parent))

    for n in range(1, 21):
        add("Level 3 Suites" if n <= 10 else "Level 4 Suites", InventoryKind.SUITE, f"SUITE-{n:02d}", 12,
            row="L3" if n <= 10 else "L4", number=n)
    for n in range(1, 11):
        add("Private Boxes", InventoryKind.BOX, f"BOX-{n:02d}", 8, row="B", number=n)
    for n in range(1, 41):
        table = f"TABLE-{n:02d}"
        add("Dining Room", InventoryKind.TABLE, table, 10, row="ABCD"[(n - 1) // 10], number=(n - 1) % 10 + 1)
        for seat in range(1, 11):
            add("Dining Room", InventoryKind.SEAT, f"{table}-S{seat}", 1, row=f"T{n:02d}", number=seat, parent=table)
    for area, prefix in (("Members' Club North", "CN"), ("Members' Club South", "CS")):
        for row in CLUB_ROWS:
            for seat in range(1, CLUB_SEATS_PER_ROW + 1):
                add(area, InventoryKind.SEAT, f"{prefix}-{row}{seat}", 1, row=row, number=seat)
    add("Gate C Car Park", InventoryKind.PASS, "PARKING-C", 300)
    for floor in (1, 2):
        for n in range(1, 16):
            add("Riverside Hotel", InventoryKind.ROOM, f"ROOM-{floor}{n:02d}", 2, row=str(floor), number=n)
    return rows


@transaction.atomic
def seed() -> dict:
    venue = Venue.objects.filter(name=VENUE).first()
    if venue is None:  # the kernel seeder makes it; nothing to add stock to otherwise
        return {"units_created": 0}
    created = 0
    if not Unit.objects.filter(venue=venue).exists():
        created = write_layout(venue, layout_rows())["units"]
    stock_rows = 0
    for event in Event.objects.filter(venue=venue, code__in=EVENTS):
        stock_rows += ensure_event_stock(event=event)
        _seed_rules(event)
        _seed_holds(event)
    return {"units_created": created, "stock_rows_created": stock_rows}


def _seed_rules(event: Event) -> None:
    packages = {p.code: p for p in Package.objects.filter(event=event)}
    if {"SUITE-12", "PARKING", "CLUB-SEAT"} <= packages.keys():
        # The suite package promises two parking passes; club members get a comp seat per ten paid.
        CompRule.objects.get_or_create(event=event, package=packages["SUITE-12"],
                                       comp_package=packages["PARKING"], defaults={"every": 1, "quantity": 2})
        CompRule.objects.get_or_create(event=event, package=packages["CLUB-SEAT"], comp_package=None,
                                       defaults={"every": 10, "quantity": 1})
    areas = {a.name: a for a in Area.objects.filter(venue=event.venue)}
    for area, fallback in [
        ("Level 3 Suites", "Level 4 Suites"),
        ("Level 4 Suites", "Level 3 Suites"),
        ("Members' Club North", "Members' Club South"),
        ("Members' Club South", "Members' Club North"),
    ]:
        if area in areas and fallback in areas:
            OverflowRule.objects.get_or_create(event=event, area=areas[area], fallback=areas[fallback],
                                               defaults={"position": 1})


def _seed_holds(event: Event) -> None:
    if event.code != "GF2026" or Hold.objects.filter(event=event).exists():
        return
    create_hold(event_id=event.pk, name="Sponsor block", owner="Sponsor: Riverside Energy", actor=SEEDER,
                units=["TABLE-01", "TABLE-02", "SUITE-20"], passes={"PARKING-C": 10},
                expires_at=timezone.now() + timedelta(days=21))
    create_hold(event_id=event.pk, name="House seats", owner="Stadium management", actor=SEEDER,
                units=[f"CN-A{n}" for n in range(21, 31)])
    block_units(event_id=event.pk, units=["CS-V1", "CS-V2", "CS-V3", "CS-V4"], reason="Camera platform",
                actor=SEEDER)
