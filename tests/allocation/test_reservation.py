"""Reservation by package (parties kept together, whole tables first, passes by quantity), named units, shortage."""

import pytest

from allocation import services
from allocation.models import AllocationNote, AllocationRequest, EventUnit, PoolShare, StockState
from eventchain.errors import StateConflict, ValidationFailed
from eventchain.lifecycle import BookingStatus

from .conftest import labels


def take(event, *unit_labels, booking):
    """Mark units as another booking's, the way a previous reservation would have."""
    EventUnit.objects.filter(event=event, unit__label__in=unit_labels).update(
        state=StockState.RESERVED, booking=booking, package=booking.package)


def test_party_of_seats_sits_together_in_one_row(stock, make_booking, fulfilment):
    other = make_booking(stock, "CLUB-SEAT", 1)
    take(stock, "CN-A3", booking=other)  # row A now has blocks of 2 and 3; row B a block of 6
    booking = make_booking(stock, "CLUB-SEAT", 4)

    outcome = services.allocate_booking(booking_id=booking.pk, actor=fulfilment)

    assert labels(outcome) == ["CN-B1", "CN-B2", "CN-B3", "CN-B4"]
    assert "side by side in Club North" in outcome.notes[0]
    assert AllocationNote.objects.filter(booking=booking, kind="together").exists()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED  # reserved, not yet confirmed into a manifest


def test_a_party_does_not_strand_a_single_seat(stock, make_booking, fulfilment):
    other = make_booking(stock, "CLUB-SEAT", 1)
    take(stock, "CN-A4", booking=other)  # row A: block of 3 (A1–A3) and 2 (A5–A6)
    booking = make_booking(stock, "CLUB-SEAT", 2)
    outcome = services.allocate_booking(booking_id=booking.pk, actor=fulfilment)
    assert labels(outcome) == ["CN-A5", "CN-A6"]


def test_party_too_big_for_any_row_is_split_with_a_note(stock, make_booking, fulfilment):
    booking = make_booking(stock, "CLUB-SEAT", 9)
    outcome = services.allocate_booking(booking_id=booking.pk, actor=fulfilment)
    assert len(outcome.units) == 9
    assert {h.area for h in outcome.units} == {"Club North"}
    assert any("split into 2 blocks" in note for note in outcome.notes)


def test_whole_tables_before_seats_at_split_tables(stock, make_booking, fulfilment):
    booking = make_booking(stock, "TABLE-10", 14)
    outcome = services.allocate_booking(booking_id=booking.pk, actor=fulfilment)
    assert labels(outcome) == ["TABLE-01", "TABLE-02"]  # two whole tables, side by side

    # With one whole table left and one already split, the next party of 14 takes the whole table,
    # then seats at the split one rather than breaking another.
    EventUnit.objects.filter(event=stock, unit__label="TABLE-01").update(state=StockState.AVAILABLE, booking=None,
                                                                          package=None)
    other = make_booking(stock, "TABLE-10", 2)
    take(stock, "TABLE-01-S1", "TABLE-01-S2", booking=other)
    party = make_booking(stock, "TABLE-10", 14)
    outcome = services.allocate_booking(booking_id=party.pk, actor=fulfilment)
    assert sorted(labels(outcome)) == ["TABLE-01-S3", "TABLE-01-S4", "TABLE-01-S5", "TABLE-01-S6", "TABLE-03"]
    assert any("split" in note for note in outcome.notes)


def test_passes_come_from_a_pool_in_one_update(stock, make_booking, fulfilment):
    booking = make_booking(stock, "PARKING", 6)
    outcome = services.allocate_booking(booking_id=booking.pk, actor=fulfilment)
    assert [(h.label, h.seats) for h in outcome.units] == [("PARKING-C", 6)]
    pool = EventUnit.objects.get(event=stock, unit__label="PARKING-C")
    assert (pool.pool_size, pool.pool_taken) == (20, 6)
    assert PoolShare.objects.get(booking=booking).quantity == 6


def test_named_units_are_reserved_exactly(stock, make_booking, fulfilment):
    booking = make_booking(stock, "BOX-8", 8)
    outcome = services.allocate_booking(booking_id=booking.pk, actor=fulfilment, units=["box-02"])
    assert labels(outcome) == ["BOX-02"]
    assert outcome.notes == ["Reserved as named: BOX-02."]


def test_named_unit_already_taken_is_a_conflict_naming_the_holder(stock, make_booking, fulfilment):
    first = make_booking(stock, "BOX-8", 8)
    services.allocate_booking(booking_id=first.pk, actor=fulfilment, units=["BOX-02"])
    second = make_booking(stock, "BOX-8", 8)
    with pytest.raises(StateConflict, match=f"BOX-02 is already taken by {first.reference}"):
        services.allocate_booking(booking_id=second.pk, actor=fulfilment, units=["BOX-02"])


def test_named_units_must_exist_fit_the_package_and_cover_the_party(stock, make_booking, fulfilment):
    booking = make_booking(stock, "TABLE-10", 14)
    with pytest.raises(ValidationFailed) as unknown:
        services.allocate_booking(booking_id=booking.pk, actor=fulfilment, units=["TABLE-99"])
    assert unknown.value.errors[0]["field"] == "units.0"
    with pytest.raises(ValidationFailed, match="is a box; TABLE-10 needs tables"):
        services.allocate_booking(booking_id=booking.pk, actor=fulfilment, units=["BOX-01"])
    with pytest.raises(ValidationFailed, match="seat 10 but .* has 14 guests"):
        services.allocate_booking(booking_id=booking.pk, actor=fulfilment, units=["TABLE-01"])
    outcome = services.allocate_booking(booking_id=booking.pk, actor=fulfilment,
                                        units=["TABLE-01", "TABLE-02-S1", "TABLE-02-S2", "TABLE-02-S3",
                                               "TABLE-02-S4"])
    assert [h.seats for h in outcome.units] == [10, 1, 1, 1, 1]
    with pytest.raises(StateConflict, match="TABLE-02 has seats already taken"):
        other = make_booking(stock, "TABLE-10", 10)
        services.allocate_booking(booking_id=other.pk, actor=fulfilment, units=["TABLE-02"])


def test_shortage_leaves_the_booking_unallocated_with_a_note(stock, make_booking, fulfilment):
    booking = make_booking(stock, "BOX-8", 32)  # 4 boxes wanted, the venue has 3
    with pytest.raises(StateConflict) as refused:
        services.allocate_booking(booking_id=booking.pk, actor=fulfilment)
    message = refused.value.message
    assert message.startswith(f"{booking.reference} stays unallocated.")
    assert "Private Boxes has 3 boxes free" in message and "Short by 1 box" in message
    assert not EventUnit.objects.filter(booking=booking).exists()
    assert AllocationNote.objects.get(booking=booking, kind="shortage").message == message
    assert AllocationRequest.objects.get(booking=booking).outcome == "short"


def test_only_confirmed_bookings_take_stock(stock, make_booking, fulfilment):
    draft = make_booking(stock, "BOX-8", 8, status=BookingStatus.DRAFT)
    with pytest.raises(StateConflict, match="still a draft"):
        services.allocate_booking(booking_id=draft.pk, actor=fulfilment)


def test_allocating_twice_changes_nothing(stock, make_booking, fulfilment):
    booking = make_booking(stock, "BOX-8", 8)
    first = services.allocate_booking(booking_id=booking.pk, actor=fulfilment)
    again = services.allocate_booking(booking_id=booking.pk, actor=fulfilment)
    assert labels(again) == labels(first) and again.changed is False


def test_release_gives_unconfirmed_units_back(stock, make_booking, fulfilment):
    booking = make_booking(stock, "CLUB-SEAT", 2)
    services.allocate_booking(booking_id=booking.pk, actor=fulfilment)
    released = services.release_units(booking_id=booking.pk, actor=fulfilment)
    assert released == ["CN-A1", "CN-A2"]
    assert EventUnit.objects.filter(event=stock, state=StockState.AVAILABLE, unit__label="CN-A1").exists()


def test_an_event_without_stock_says_so(catalogue, make_booking, fulfilment):
    from allocation.services.setup import write_layout

    from .conftest import small_layout

    write_layout(catalogue["SF2026"].venue, small_layout())  # layout exists, SF2026's stock not yet created
    booking = make_booking(catalogue["SF2026"], "BOX-8", 8)
    with pytest.raises(StateConflict, match="SF2026 has no stock yet"):
        services.allocate_booking(booking_id=booking.pk, actor=fulfilment)
