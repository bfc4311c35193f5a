"""Confirming into immutable, versioned manifests; amendments with a diff; cancellation releases everything."""

from decimal import Decimal

import pytest

from allocation import services, signals
from allocation.models import AllocationRequest, EventUnit, Manifest, PoolShare, StockState
from buyers import services as buyer_services
from eventchain.errors import StateConflict, ValidationFailed
from eventchain.lifecycle import BookingStatus


@pytest.fixture
def published():
    """Collects what manifest_published and allocation_cancelled carry."""
    sent = {"published": [], "cancelled": []}

    def on_published(sender, manifest, previous, actor, **kwargs):
        sent["published"].append((manifest, previous, actor))

    def on_cancelled(sender, booking, manifest, actor, **kwargs):
        sent["cancelled"].append((booking, manifest, actor))

    signals.manifest_published.connect(on_published, dispatch_uid="test-published")
    signals.allocation_cancelled.connect(on_cancelled, dispatch_uid="test-cancelled")
    yield sent
    signals.manifest_published.disconnect(dispatch_uid="test-published")
    signals.allocation_cancelled.disconnect(dispatch_uid="test-cancelled")


def test_confirm_locks_stock_into_manifest_v1_and_publishes_it(stock, make_booking, fulfilment, published):
    booking = make_booking(stock, "TABLE-10", 14)
    services.allocate_booking(booking_id=booking.pk, actor=fulfilment, units=[
        "TABLE-01", "TABLE-02-S1", "TABLE-02-S2", "TABLE-02-S3", "TABLE-02-S4"])

    confirmed = services.confirm_allocation(booking_id=booking.pk, actor=fulfilment)

    manifest = confirmed.manifest
    assert manifest.version == 1 and confirmed.invoice_id is None
    lines = [(ln.label, ln.seats, ln.quantity, ln.package.code, ln.unit_price, ln.comp) for ln in manifest.lines.all()]
    assert lines[0] == ("TABLE-01", 10, 1, "TABLE-10", Decimal("9500.00"), False)
    assert lines[1] == ("TABLE-02-S1", 1, 1, "TABLE-10", Decimal("950.00"), False)  # a seat at a split table
    assert len(lines) == 5
    assert set(EventUnit.objects.filter(booking=booking).values_list("state", flat=True)) == {StockState.ALLOCATED}
    booking.refresh_from_db()
    assert booking.status == BookingStatus.ALLOCATED
    assert published["published"] == [(manifest, None, fulfilment)]
    assert AllocationRequest.objects.get(booking=booking).outcome == "confirmed"
    payload = confirmed.as_api()
    assert payload["invoice"] is None and payload["manifest"]["version"] == 1
    assert payload["manifest"]["lines"][0] == {
        "unit_id": str(manifest.lines.first().unit_id), "unit": "TABLE-01", "kind": "table", "area": "Dining Room",
        "seats": 10, "quantity": 1, "package": "TABLE-10", "unit_price": "9500.00", "comp": False}


def test_confirm_needs_stock_for_every_guest(stock, make_booking, fulfilment):
    booking = make_booking(stock, "CLUB-SEAT", 3)
    with pytest.raises(StateConflict, match="holds no stock yet"):
        services.confirm_allocation(booking_id=booking.pk, actor=fulfilment)
    services.reserve_units(booking_id=booking.pk, actor=fulfilment, labels=["CN-A1", "CN-A2"])
    with pytest.raises(StateConflict, match="room for 2 of its 3 guests; reserve 1 more"):
        services.confirm_allocation(booking_id=booking.pk, actor=fulfilment)


def test_invoice_id_comes_from_finance_through_the_signal(stock, make_booking, fulfilment):
    def raise_invoice(sender, manifest, previous, actor, **kwargs):
        return f"INV-{manifest.booking_id}"

    signals.manifest_published.connect(raise_invoice, dispatch_uid="test-invoice")
    try:
        booking = make_booking(stock, "BOX-8", 8)
        services.allocate_booking(booking_id=booking.pk, actor=fulfilment)
        assert services.confirm_allocation(booking_id=booking.pk, actor=fulfilment).invoice_id == f"INV-{booking.pk}"
    finally:
        signals.manifest_published.disconnect(dispatch_uid="test-invoice")

    def set_attribute(sender, manifest, **kwargs):
        manifest.invoice_id = 77

    signals.manifest_published.connect(set_attribute, dispatch_uid="test-invoice-attr")
    try:
        other = make_booking(stock, "BOX-8", 8)
        services.allocate_booking(booking_id=other.pk, actor=fulfilment)
        assert services.confirm_allocation(booking_id=other.pk, actor=fulfilment).invoice_id == "77"
    finally:
        signals.manifest_published.disconnect(dispatch_uid="test-invoice-attr")


def test_a_refusing_receiver_rolls_the_confirmation_back(stock, make_booking, fulfilment):
    def refuse(sender, **kwargs):
        raise StateConflict("Finance: the billing entity has no tax number.")

    booking = make_booking(stock, "BOX-8", 8)
    services.allocate_booking(booking_id=booking.pk, actor=fulfilment)
    signals.manifest_published.connect(refuse, dispatch_uid="test-refuse")
    try:
        with pytest.raises(StateConflict, match="no tax number"):
            services.confirm_allocation(booking_id=booking.pk, actor=fulfilment)
    finally:
        signals.manifest_published.disconnect(dispatch_uid="test-refuse")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED and not Manifest.objects.exists()
    assert EventUnit.objects.get(booking=booking).state == StockState.RESERVED


def test_manifest_rows_cannot_be_changed(stock, make_booking, fulfilment):
    booking = make_booking(stock, "BOX-8", 8)
    services.allocate_booking(booking_id=booking.pk, actor=fulfilment)
    manifest = services.confirm_allocation(booking_id=booking.pk, actor=fulfilment).manifest
    manifest.reason = "edited"
    with pytest.raises(ValueError, match="cannot be changed"):
        manifest.save()


def test_amending_writes_version_2_with_a_diff_and_moves_stock(stock, make_booking, fulfilment, published,
                                                               staff_client):
    booking = make_booking(stock, "CLUB-SEAT", 2)
    services.allocate_booking(booking_id=booking.pk, actor=fulfilment)
    v1 = services.confirm_allocation(booking_id=booking.pk, actor=fulfilment).manifest
    with pytest.raises(StateConflict, match="Nothing changed since manifest v1"):
        services.confirm_allocation(booking_id=booking.pk, actor=fulfilment)

    confirmed = services.amend_allocation(booking_id=booking.pk, actor=fulfilment, add=["CN-B1"], remove=["CN-A2"],
                                          reason="Guest moved to row B")

    v2 = confirmed.manifest
    assert (v2.version, v2.reason, confirmed.previous) == (2, "Guest moved to row B", v1)
    assert sorted(v2.lines.values_list("label", flat=True)) == ["CN-A1", "CN-B1"]
    assert sorted(v1.lines.values_list("label", flat=True)) == ["CN-A1", "CN-A2"]  # v1 is untouched
    assert EventUnit.objects.get(unit__label="CN-A2").state == StockState.AVAILABLE
    assert EventUnit.objects.get(unit__label="CN-B1").state == StockState.ALLOCATED
    assert published["published"][-1] == (v2, v1, fulfilment)

    page = staff_client("fulfilment").get(f"/console/allocation/bookings/{booking.pk}/manifests/2/")
    html = page.content.decode()
    assert page.status_code == 200 and "Changes from v1" in html
    assert 'class="diff-added"' in html and "+ Added" in html and "CN-B1" in html
    assert 'class="diff-removed"' in html and "− Removed" in html and "CN-A2" in html


def test_amend_needs_a_change(stock, make_booking, fulfilment):
    booking = make_booking(stock, "BOX-8", 8)
    services.allocate_booking(booking_id=booking.pk, actor=fulfilment)
    services.confirm_allocation(booking_id=booking.pk, actor=fulfilment)
    with pytest.raises(ValidationFailed):
        services.amend_allocation(booking_id=booking.pk, actor=fulfilment)


def test_cancelling_releases_everything_and_tells_finance(stock, make_booking, fulfilment, published, make_staff):
    box = stock.packages.get(code="BOX-8")
    parking = stock.packages.get(code="PARKING")
    services.save_comp_rule(event_id=stock.pk, package_id=box.pk, every=1, quantity=2, comp_package_id=parking.pk,
                            actor=make_staff())
    booking = make_booking(stock, "BOX-8", 8)
    services.allocate_booking(booking_id=booking.pk, actor=fulfilment)
    manifest = services.confirm_allocation(booking_id=booking.pk, actor=fulfilment).manifest

    released = services.cancel_allocation(booking_id=booking.pk, actor=fulfilment, reason="Client withdrew")

    assert released == ["BOX-01", "2 × PARKING-C"]
    assert not EventUnit.objects.filter(booking=booking).exists() and not PoolShare.objects.exists()
    assert EventUnit.objects.get(unit__label="PARKING-C").pool_taken == 0
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED  # back in the queue
    assert published["cancelled"] == [(booking, manifest, fulfilment)]

    # Allocating again starts afresh: comps are earned again and the manifest number moves on.
    services.allocate_booking(booking_id=booking.pk, actor=fulfilment)
    again = services.confirm_allocation(booking_id=booking.pk, actor=fulfilment)
    assert again.manifest.version == 2 and again.previous is None
    assert again.manifest.lines.filter(comp=True).count() == 1


def test_cancelling_the_booking_in_buyers_releases_its_stock(stock, make_booking, fulfilment, published):
    booking = make_booking(stock, "CLUB-SEAT", 2)
    services.allocate_booking(booking_id=booking.pk, actor=fulfilment)
    buyer_services.transition(booking_id=booking.pk, to_status=BookingStatus.CANCELLED, actor=fulfilment)
    assert not EventUnit.objects.filter(booking=booking).exists()
    assert published["cancelled"][0][0] == booking


def test_cancel_with_booking_cancels_it(stock, make_booking, fulfilment, published):
    booking = make_booking(stock, "BOX-8", 8)
    services.allocate_booking(booking_id=booking.pk, actor=fulfilment)
    services.cancel_allocation(booking_id=booking.pk, actor=fulfilment, reason="Lost deal", cancel_booking=True)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert len(published["cancelled"]) == 1  # the receiver found nothing left to release
