"""Allocation decisions as pure functions: which free units seat a party, which comps a booking earns.

Nothing here touches the database. Services load the candidates under the event lock, ask for a
`Plan`, and write it. Every decision comes back with a sentence a person can read (`Plan.notes`).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

KIND_NOUNS = {
    "seat": ("seat", "seats"),
    "table": ("table", "tables"),
    "suite": ("suite", "suites"),
    "box": ("box", "boxes"),
    "room": ("room", "rooms"),
    "pass": ("pass", "passes"),
}


def noun(kind: str, count: int) -> str:
    singular, plural = KIND_NOUNS.get(kind, (kind, f"{kind}s"))
    return f"{count} {singular if count == 1 else plural}"


@dataclass(frozen=True)
class Slot:
    """One event-unit row as the planner sees it."""

    stock_id: int
    label: str
    kind: str
    area_id: int
    row: str = ""
    number: int | None = None
    position: int = 0
    capacity: int = 1
    parent_id: int | None = None  # the parent's *stock* id, for seats inside a table/suite/box
    pool_free: int = 0

    @property
    def seq(self) -> int:
        return self.number if self.number is not None else self.position


@dataclass(frozen=True)
class AreaRef:
    id: int
    name: str


@dataclass(frozen=True)
class Take:
    slot: Slot
    seats: int
    quantity: int = 1
    comp: bool = False
    split: bool = False  # a seat inside a table/suite/box rather than the whole unit


@dataclass
class Plan:
    takes: list[Take] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)

    def extend(self, other: "Plan") -> None:
        self.takes.extend(other.takes)
        self.notes.extend(other.notes)


class Shortage(Exception):
    """No placement fits; the message says what is short, area by area."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Demand:
    kind: str
    units: int  # seats, whole units, or passes wanted
    guests: int  # people those units must seat (used when whole units run out and seats are split)
    seats_per_unit: int = 1
    comp: bool = False


# ---------------------------------------------------------------- runs of adjacent units


def runs(slots: Iterable[Slot]) -> list[list[Slot]]:
    """Blocks of side-by-side units: same area and row, consecutive numbers. Layout order."""
    ordered = sorted(slots, key=lambda s: (s.area_id, s.row, s.seq))
    blocks: list[list[Slot]] = []
    for slot in ordered:
        last = blocks[-1][-1] if blocks else None
        if last and last.area_id == slot.area_id and last.row == slot.row and slot.seq == last.seq + 1:
            blocks[-1].append(slot)
        else:
            blocks.append([slot])
    return blocks


def pick_adjacent(slots: Sequence[Slot], count: int) -> list[Slot] | None:
    """`count` side-by-side units from the first block (front rows first) the party fills without
    stranding a single seat beside it; failing that, from the first block that fits at all."""
    fitting = [block for block in runs(slots) if len(block) >= count]
    if not fitting:
        return None
    # A lone leftover seat is all but unsellable to a group; a leftover of 0 or 2+ is fine.
    tidy = [block for block in fitting if len(block) - count != 1]
    return (tidy or fitting)[0][:count]


def pick_fewest_blocks(slots: Sequence[Slot], count: int) -> list[Slot] | None:
    """`count` units in as few blocks as possible (largest first), or None when there are too few."""
    if len(slots) < count:
        return None
    chosen: list[Slot] = []
    for block in sorted(runs(slots), key=len, reverse=True):
        chosen.extend(block[: count - len(chosen)])
        if len(chosen) == count:
            break
    return chosen


def largest_block(slots: Sequence[Slot]) -> int:
    return max((len(block) for block in runs(slots)), default=0)


def describe(slots: Sequence[Slot]) -> str:
    """'CN-C4–CN-C9 (row C)' per block, joined; long lists of units are shortened."""
    parts = []
    for block in runs(slots):
        text = block[0].label if len(block) == 1 else f"{block[0].label}–{block[-1].label}"
        if block[0].row and block[0].kind == "seat":
            text += f" (row {block[0].row})"
        parts.append(text)
    if len(parts) > 6:
        return ", ".join(parts[:5]) + f" and {len(parts) - 5} more"
    return ", ".join(parts)


# ---------------------------------------------------------------- planning a party


def _in_area(slots: Iterable[Slot], area: AreaRef) -> list[Slot]:
    return [s for s in slots if s.area_id == area.id]


def _joined(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def plan_units(demand: Demand, wholes: Sequence[Slot], split_seats: Sequence[Slot], areas: Sequence[AreaRef],
               split_tables: frozenset[int] = frozenset()) -> Plan:
    """Seat a party on whole units of one area, trying areas in order; split only when nothing else fits.

    1. side by side in one area (first area that can), 2. in one area but not side by side,
    3. (kinds with seats inside) the whole units an area has, then seats at tables already split,
    then seats at whole ones. Raises Shortage naming what each area lacks.
    """
    if not areas:
        raise Shortage(f"The venue has no {KIND_NOUNS.get(demand.kind, (demand.kind,) * 2)[1]} at all.")
    want = noun(demand.kind, demand.units)
    comp = " (comp)" if demand.comp else ""
    tried: list[str] = []
    for area in areas:
        chosen = pick_adjacent(_in_area(wholes, area), demand.units)
        if chosen:
            plan = Plan(takes=[_whole(s, demand) for s in chosen])
            if tried:
                plan.notes.append(("overflow", f"{_joined(tried)} could not take {want} side by side; "
                                               f"overflowed to {area.name}."))
            plan.notes.append(("together", f"{want}{comp} side by side in {area.name}: {describe(chosen)}."))
            return plan
        tried.append(area.name)
    for area in areas:
        chosen = pick_fewest_blocks(_in_area(wholes, area), demand.units)
        if chosen:
            plan = Plan(takes=[_whole(s, demand) for s in chosen])
            if area.id != areas[0].id:
                plan.notes.append(("overflow", f"{areas[0].name} could not take {want}; overflowed to {area.name}."))
            plan.notes.append(("split", f"No {demand.units} {KIND_NOUNS[demand.kind][1]} were free side by side in "
                                        f"any area tried; {want}{comp} split into {len(runs(chosen))} blocks in "
                                        f"{area.name}: {describe(chosen)}."))
            return plan
    if split_seats:
        for area in areas:
            plan = _plan_with_split_seats(demand, _in_area(wholes, area), _in_area(split_seats, area), area,
                                          split_tables)
            if plan:
                if area.id != areas[0].id:
                    plan.notes.insert(0, ("overflow", f"{areas[0].name} could not take {want}; "
                                                      f"overflowed to {area.name}."))
                return plan
    raise Shortage(_shortage_message(demand, wholes, split_seats, areas))


def _whole(slot: Slot, demand: Demand) -> Take:
    seats = 1 if demand.kind == "seat" else slot.capacity
    return Take(slot=slot, seats=seats, comp=demand.comp)


def _plan_with_split_seats(demand: Demand, wholes: list[Slot], seats: list[Slot], area: AreaRef,
                           split_tables: frozenset[int]) -> Plan | None:
    whole_count = min(len(wholes), demand.units)
    guests_left = demand.guests - whole_count * demand.seats_per_unit
    if guests_left <= 0 or len(seats) < guests_left:
        return None
    chosen_whole = pick_fewest_blocks(wholes, whole_count) or []
    taken_parents = {s.stock_id for s in chosen_whole}
    free_seats = [s for s in seats if s.parent_id not in taken_parents]
    by_parent: dict[int, list[Slot]] = {}
    for seat in free_seats:
        by_parent.setdefault(seat.parent_id, []).append(seat)
    # Seats at tables already split first ("whole tables before split ones"); among those, a table that
    # takes all remaining guests (the snuggest), else the emptiest.
    def preference(item):
        parent, table_seats = item
        fits = len(table_seats) >= guests_left
        return (parent not in split_tables, not fits, len(table_seats) if fits else -len(table_seats))

    chosen_seats: list[Slot] = []
    for _, table_seats in sorted(by_parent.items(), key=preference):
        wanted = min(guests_left - len(chosen_seats), len(table_seats))
        chosen_seats.extend(pick_fewest_blocks(table_seats, wanted) or [])
        if len(chosen_seats) == guests_left:
            break
    if len(chosen_seats) < guests_left:
        return None
    plan = Plan(takes=[_whole(s, demand) for s in chosen_whole]
                + [Take(slot=s, seats=1, comp=demand.comp, split=True) for s in chosen_seats])
    wholes_text = (f"{noun(demand.kind, whole_count)} ({describe(chosen_whole)}) and " if chosen_whole else "")
    plan.notes.append(("split", f"Only {noun(demand.kind, len(wholes))} free whole in {area.name}; seated "
                                f"{wholes_text}{guests_left} guests on seats at split {KIND_NOUNS[demand.kind][1]}: "
                                f"{describe(chosen_seats)}."))
    return plan


def _shortage_message(demand: Demand, wholes: Sequence[Slot], split_seats: Sequence[Slot],
                      areas: Sequence[AreaRef]) -> str:
    parts = []
    for area in areas:
        free = _in_area(wholes, area)
        text = f"{area.name} has {noun(demand.kind, len(free))} free"
        if demand.kind == "seat" and free:
            text += f" (largest block {largest_block(free)})"
        seats = _in_area(split_seats, area)
        if seats:
            text += f" and {len(seats)} loose seats"
        parts.append(text)
    most = max((len(_in_area(wholes, a)) for a in areas), default=0)
    short_by = demand.units - most
    return (f"Needs {noun(demand.kind, demand.units)} in one area for {demand.guests} guests; "
            f"{'; '.join(parts)}. Short by {noun(demand.kind, short_by) if short_by > 0 else 'a block together'}.")


def plan_passes(demand: Demand, pools: Sequence[Slot], areas: Sequence[AreaRef]) -> Plan:
    """Take `demand.units` passes from one pool if any has enough (areas in order), else across pools."""
    ordered = [p for area in areas for p in _in_area(pools, area) if p.pool_free > 0]
    what = noun("pass", demand.units)
    comp = "comp " if demand.comp else ""
    for pool in ordered:
        if pool.pool_free >= demand.units:
            return Plan(takes=[Take(slot=pool, seats=demand.units, quantity=demand.units, comp=demand.comp)],
                        notes=[("reserved", f"{what} {comp}from pool {pool.label}.")])
    if sum(p.pool_free for p in ordered) >= demand.units:
        takes, left = [], demand.units
        for pool in ordered:
            n = min(left, pool.pool_free)
            takes.append(Take(slot=pool, seats=n, quantity=n, comp=demand.comp))
            left -= n
            if not left:
                break
        pools_text = ", ".join(f"{t.quantity} from {t.slot.label}" for t in takes)
        return Plan(takes=takes, notes=[("split", f"No single pool had {what}; took {pools_text}.")])
    free = ", ".join(f"{p.label} {p.pool_free}" for p in ordered) or "none left in any pool"
    raise Shortage(f"Needs {what}; free: {free}. Short by "
                   f"{noun('pass', demand.units - sum(p.pool_free for p in ordered))}.")


# ---------------------------------------------------------------- comps


@dataclass(frozen=True)
class CompRuleView:
    id: int
    every: int
    quantity: int
    package_code: str
    comp_package_code: str

    def describe(self) -> str:
        return f"{self.quantity} {self.comp_package_code} comp per {self.every} paid {self.package_code}"


def comps_earned(paid_units: int, rules: Iterable[CompRuleView]) -> list[tuple[CompRuleView, int]]:
    """How many comps each active rule gives for `paid_units` of the rule's package."""
    earned = []
    for rule in rules:
        count = (paid_units // rule.every) * rule.quantity
        if count:
            earned.append((rule, count))
    return earned


def units_for(kind: str, headcount: int, seats_per_unit: int) -> int:
    """Units a party needs: one seat per guest, otherwise whole units of the package's size (or passes)."""
    if kind == "seat":
        return headcount
    return -(-headcount // seats_per_unit)


def area_order(areas: Sequence[AreaRef], preferred_id: int | None,
               fallbacks: dict[int, list[int]]) -> tuple[list[AreaRef], bool]:
    """Areas to try: the preferred one and its overflow fallbacks, or every area in layout order.

    Returns (areas, restricted) — restricted when a preference limits the search to its fallbacks.
    """
    by_id = {a.id: a for a in areas}
    if preferred_id is None or preferred_id not in by_id:
        return list(areas), False
    order = [by_id[preferred_id]] + [by_id[a] for a in fallbacks.get(preferred_id, []) if a in by_id]
    return order, True
