"""The planner's pure decisions, without a database."""

import pytest

from allocation import rules
from allocation.rules import AreaRef, CompRuleView, Demand, Slot

NORTH, SOUTH = AreaRef(1, "North"), AreaRef(2, "South")


def seats(area, row, numbers, start_id=0):
    return [Slot(stock_id=start_id + n, label=f"{row}{n}", kind="seat", area_id=area.id, row=row, number=n)
            for n in numbers]


def test_runs_break_on_gaps_rows_and_areas():
    slots = seats(NORTH, "A", [1, 2, 4, 5, 6]) + seats(NORTH, "B", [7], 100) + seats(SOUTH, "A", [8], 200)
    assert [[s.label for s in block] for block in rules.runs(slots)] == [["A1", "A2"], ["A4", "A5", "A6"], ["B7"],
                                                                          ["A8"]]


def test_adjacent_pick_takes_front_rows_without_stranding_a_single_seat():
    slots = seats(NORTH, "A", [1, 2, 3, 5, 6]) + seats(NORTH, "B", [1, 2, 3, 4, 5, 6], 100)
    assert [s.label for s in rules.pick_adjacent(slots, 2)] == ["A5", "A6"]  # A1–A2 would strand A3
    assert [s.label for s in rules.pick_adjacent(slots, 3)] == ["A1", "A2", "A3"]
    assert [s.label for s in rules.pick_adjacent(slots, 4)] == ["B1", "B2", "B3", "B4"]
    assert [s.label for s in rules.pick_adjacent(slots[:3], 2)] == ["A1", "A2"]  # nothing tidier exists
    assert rules.pick_adjacent(slots, 7) is None
    assert len(rules.pick_fewest_blocks(slots, 7)) == 7


def test_overflow_moves_a_party_to_the_next_area_before_splitting_it():
    slots = seats(NORTH, "A", [1, 2, 4, 5]) + seats(SOUTH, "A", [1, 2, 3], 100)
    plan = rules.plan_units(Demand(kind="seat", units=3, guests=3), slots, [], [NORTH, SOUTH])
    assert [t.slot.label for t in plan.takes] == ["A1", "A2", "A3"] and plan.takes[0].slot.area_id == SOUTH.id
    assert plan.notes[0] == ("overflow", "North could not take 3 seats side by side; overflowed to South.")


def test_shortage_message_lists_each_area():
    slots = seats(NORTH, "A", [1, 2]) + seats(SOUTH, "A", [1], 100)
    with pytest.raises(rules.Shortage) as short:
        rules.plan_units(Demand(kind="seat", units=4, guests=4), slots, [], [NORTH, SOUTH])
    assert short.value.message == ("Needs 4 seats in one area for 4 guests; North has 2 seats free (largest block 2); "
                                   "South has 1 seat free (largest block 1). Short by 2 seats.")


def test_passes_from_one_pool_else_across_pools():
    pools = [Slot(stock_id=1, label="P1", kind="pass", area_id=1, pool_free=3),
             Slot(stock_id=2, label="P2", kind="pass", area_id=1, pool_free=5)]
    plan = rules.plan_passes(Demand(kind="pass", units=4, guests=4), pools, [NORTH])
    assert [(t.slot.label, t.quantity) for t in plan.takes] == [("P2", 4)]
    plan = rules.plan_passes(Demand(kind="pass", units=7, guests=7), pools, [NORTH])
    assert [(t.slot.label, t.quantity) for t in plan.takes] == [("P1", 3), ("P2", 4)]
    with pytest.raises(rules.Shortage, match="Short by 1 pass"):
        rules.plan_passes(Demand(kind="pass", units=9, guests=9), pools, [NORTH])


def test_comps_earned_per_rule():
    per_ten = CompRuleView(id=1, every=10, quantity=1, package_code="CLUB-SEAT", comp_package_code="CLUB-SEAT")
    parking = CompRuleView(id=2, every=1, quantity=2, package_code="SUITE-12", comp_package_code="PARKING")
    assert rules.comps_earned(9, [per_ten]) == []
    assert rules.comps_earned(25, [per_ten, parking]) == [(per_ten, 2), (parking, 50)]


def test_area_order_follows_overflow_rules_for_a_preference():
    areas = [NORTH, SOUTH, AreaRef(3, "East")]
    assert rules.area_order(areas, None, {}) == (areas, False)
    assert rules.area_order(areas, 2, {2: [3, 1]}) == ([SOUTH, AreaRef(3, "East"), NORTH], True)
    assert rules.area_order(areas, 2, {}) == ([SOUTH], True)


def test_units_needed_per_kind():
    assert rules.units_for("seat", 7, 1) == 7
    assert rules.units_for("table", 14, 10) == 2
    assert rules.units_for("pass", 3, 1) == 3
