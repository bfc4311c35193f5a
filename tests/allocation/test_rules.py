"""Rules applied automatically: comp ratios, staff comps with a reason, holds and their expiry, overflow."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from allocation import services, tasks
from allocation.models import AllocationNote, CompGrant, EventUnit, Hold, PoolShare, StockState
from eventchain.errors import StateConflict, ValidationFailed
from eventchain.models import Package

from .conftest import labels


def area(event, name):
    return event.venue.areas.get(name=name)


# ---------------------------------------------------------------- comps


def test_comp_ratio_gives_a_seat_beside_the_party(stock, make_booking, fulfilment, make_staff):
    club = Package.objects.get(event=stock, code="CLUB-SEAT")
    services.save_comp_rule(event_id=stock.pk, package_id=club.pk, every=5, quantity=1, actor=make_staff("admin"))
    booking = make_booking(stock, "CLUB-SEAT", 5)

    outcome = services.allocate_booking(booking_id=booking.pk, actor=fulfilment)

    assert labels(outcome.units) == ["CN-A1", "CN-A2", "CN-A3", "CN-A4", "CN-A5"]
    assert labels(outcome.comps) == ["CN-A6"]  # counted apart from the paid seats
    assert "Rule '1 CLUB-SEAT comp per 5 paid CLUB-SEAT'" in outcome.notes[-1]
    assert EventUnit.objects.get(event=stock, unit__label="CN-A6").state == StockState.COMP
    assert CompGrant.objects.get(booking=booking).rule is not None


def test_comp_ratio_below_threshold_gives_nothing(stock, make_booking, fulfilment, make_staff):
    club = Package.objects.get(event=stock, code="CLUB-SEAT")
    services.save_comp_rule(event_id=stock.pk, package_id=club.pk, every=10, quantity=1, actor=make_staff("admin"))
    booking = make_booking(stock, "CLUB-SEAT", 9)
    outcome = services.allocate_booking(booking_id=booking.pk, actor=fulfilment)
    assert outcome.comps == []


def test_comp_of_another_package_comes_from_its_stock(stock, make_booking, fulfilment, make_staff):
    box, parking = (Package.objects.get(event=stock, code=c) for c in ("BOX-8", "PARKING"))
    services.save_comp_rule(event_id=stock.pk, package_id=box.pk, every=1, quantity=2, comp_package_id=parking.pk,
                            actor=make_staff("admin"))
    booking = make_booking(stock, "BOX-8", 16)  # two boxes → four comp passes

    outcome = services.allocate_booking(booking_id=booking.pk, actor=fulfilment)

    assert [(h.label, h.seats) for h in outcome.comps] == [("PARKING-C", 4)]
    share = PoolShare.objects.get(booking=booking)
    assert share.comp and share.package == parking
    manifest = services.confirm_allocation(booking_id=booking.pk, actor=fulfilment).manifest
    comp_line = manifest.lines.get(comp=True)
    assert (comp_line.quantity, comp_line.unit_price) == (4, 0)


def test_comp_that_cannot_be_placed_is_noted_not_fatal(stock, make_booking, fulfilment, make_staff):
    box = Package.objects.get(event=stock, code="BOX-8")
    services.save_comp_rule(event_id=stock.pk, package_id=box.pk, every=1, quantity=1, actor=make_staff("admin"))
    booking = make_booking(stock, "BOX-8", 24)  # all three boxes paid, no box left for the comp
    outcome = services.allocate_booking(booking_id=booking.pk, actor=fulfilment)
    assert len(outcome.units) == 3 and outcome.comps == []
    assert "none could be placed" in outcome.notes[-1]


def test_staff_comp_needs_a_reason_and_is_kept_with_it(stock, make_booking, fulfilment):
    booking = make_booking(stock, "CLUB-SEAT", 2)
    services.allocate_booking(booking_id=booking.pk, actor=fulfilment)
    with pytest.raises(ValidationFailed) as refused:
        services.grant_comp(booking_id=booking.pk, actor=fulfilment, quantity=1, reason=" ")
    assert refused.value.errors[0]["field"] == "reason"

    outcome = services.grant_comp(booking_id=booking.pk, actor=fulfilment, quantity=1,
                                  reason="CEO guest, approved by Dana")
    assert len(outcome.comps) == 1 and outcome.comps[0].note == "CEO guest, approved by Dana"
    assert outcome.comps[0].as_api()["reason"] == "CEO guest, approved by Dana"
    grant = CompGrant.objects.get(booking=booking)
    assert (grant.reason, grant.rule, grant.granted_by) == ("CEO guest, approved by Dana", None, fulfilment)
    note = AllocationNote.objects.filter(booking=booking, kind="comp").get()
    assert "CEO guest, approved by Dana" in note.message


# ---------------------------------------------------------------- holds


def test_held_units_are_not_offered_and_named_ones_are_refused(stock, make_booking, fulfilment, make_staff):
    hold = services.create_hold(event_id=stock.pk, name="Sponsor block", owner="Sponsor: Acme", actor=make_staff(),
                                units=["BOX-01", "BOX-02"], passes={"PARKING-C": 15})
    assert EventUnit.objects.filter(hold=hold, state=StockState.HELD).count() == 2
    booking = make_booking(stock, "BOX-8", 8)
    outcome = services.allocate_booking(booking_id=booking.pk, actor=fulfilment)
    assert labels(outcome) == ["BOX-03"]

    other = make_booking(stock, "BOX-8", 8)
    with pytest.raises(StateConflict, match="BOX-01 is held for 'Sponsor block' \\(Sponsor: Acme\\)"):
        services.allocate_booking(booking_id=other.pk, actor=fulfilment, units=["BOX-01"])
    parking = make_booking(stock, "PARKING", 6)  # 20 − 15 held leaves 5
    with pytest.raises(StateConflict, match="Needs 6 passes; free: PARKING-C 5"):
        services.allocate_booking(booking_id=parking.pk, actor=fulfilment)


def test_shortage_message_names_the_hold_in_the_way(stock, make_booking, fulfilment, make_staff):
    services.create_hold(event_id=stock.pk, name="House", owner="Stadium", actor=make_staff(),
                         units=["BOX-01", "BOX-02"])
    booking = make_booking(stock, "BOX-8", 16)
    with pytest.raises(StateConflict, match="2 boxes in Private Boxes held for 'House' \\(Stadium\\)"):
        services.allocate_booking(booking_id=booking.pk, actor=fulfilment)


def test_expired_hold_is_released_by_the_periodic_task(stock, make_staff):
    expires = timezone.now() + timedelta(hours=2)
    hold = services.create_hold(event_id=stock.pk, name="Media", owner="Channel 9", actor=make_staff(),
                                units=["CS-A1", "CS-A2"], passes={"PARKING-C": 3}, expires_at=expires)
    keeper = services.create_hold(event_id=stock.pk, name="House", owner="Stadium", actor=make_staff(),
                                  units=["CS-A3"])

    assert tasks.release_expired_holds() == 0  # not expired yet
    with time_machine.travel(expires + timedelta(minutes=1)):
        assert tasks.release_expired_holds.delay() is not None  # eager without Redis, as in production's beat

    hold.refresh_from_db()
    assert hold.released_at is not None
    assert set(EventUnit.objects.filter(unit__label__in=["CS-A1", "CS-A2"]).values_list("state", flat=True)) == {
        StockState.AVAILABLE}
    assert EventUnit.objects.get(unit__label="PARKING-C").pool_taken == 0
    assert Hold.objects.get(pk=keeper.pk).released_at is None
    assert EventUnit.objects.get(unit__label="CS-A3").state == StockState.HELD


def test_hold_refuses_stock_that_is_taken(stock, make_booking, fulfilment, make_staff):
    booking = make_booking(stock, "BOX-8", 8)
    services.allocate_booking(booking_id=booking.pk, actor=fulfilment, units=["BOX-01"])
    with pytest.raises(StateConflict, match="BOX-01 \\(reserved\\)"):
        services.create_hold(event_id=stock.pk, name="x", owner="y", actor=make_staff(), units=["BOX-01", "BOX-02"])
    assert not Hold.objects.exists()


# ---------------------------------------------------------------- overflow


def test_overflow_to_fallback_area_when_preferred_cannot_seat_the_party(stock, make_booking, fulfilment, make_staff):
    services.add_overflow(event_id=stock.pk, area_id=area(stock, "Club South").pk,
                          fallback_id=area(stock, "Club North").pk, actor=make_staff())
    booking = make_booking(stock, "CLUB-SEAT", 5)  # Club South has 4 seats

    outcome = services.allocate_booking(booking_id=booking.pk, actor=fulfilment, preferred_area="Club South")

    assert {h.area for h in outcome.units} == {"Club North"}
    assert outcome.notes[0] == "Club South could not take 5 seats side by side; overflowed to Club North."
    assert AllocationNote.objects.filter(booking=booking, kind="overflow").exists()


def test_without_a_fallback_the_shortage_says_what_is_short(stock, make_booking, fulfilment):
    booking = make_booking(stock, "CLUB-SEAT", 5)
    with pytest.raises(StateConflict) as refused:
        services.allocate_booking(booking_id=booking.pk, actor=fulfilment, preferred_area="Club South")
    message = refused.value.message
    assert "Needs 5 seats in one area for 5 guests; Club South has 4 seats free (largest block 4)." in message
    assert "Short by 1 seat." in message
    assert "Club South has no overflow area set for GF2026" in message


def test_unknown_preferred_area_is_a_validation_error(stock, make_booking, fulfilment):
    booking = make_booking(stock, "CLUB-SEAT", 2)
    with pytest.raises(ValidationFailed) as refused:
        services.allocate_booking(booking_id=booking.pk, actor=fulfilment, preferred_area="Mezzanine")
    assert refused.value.errors[0]["field"] == "preferred_area"


def test_a_table_with_a_seat_sold_cannot_be_held_or_blocked(stock, make_booking, fulfilment, make_staff):
    booking = make_booking(stock, "TABLE-10", 1)
    services.reserve_units(booking_id=booking.pk, actor=fulfilment, labels=["TABLE-03-S4"])
    with pytest.raises(StateConflict, match="TABLE-03-S4 \\(reserved"):
        services.create_hold(event_id=stock.pk, name="x", owner="y", actor=make_staff(), units=["TABLE-03"])
    with pytest.raises(StateConflict, match="Only free units can be blocked"):
        services.block_units(event_id=stock.pk, units=["TABLE-03"], reason="Broken", actor=make_staff())
    assert EventUnit.objects.get(unit__label="TABLE-03").state == StockState.AVAILABLE
