"""Replaying a stored delivery once its cause is fixed, from the service and the console."""

import pytest

from buyers import handoff
from buyers.models import Booking, CrmHandoff
from eventchain.errors import StateConflict
from eventchain.models import AuditEntry, InventoryKind, Package

from .conftest import HANDOFF_URL, encode, stale_timestamp


@pytest.fixture
def failed_for_missing_package(deliver, catalogue, handoff_body):
    handoff_body["booking"]["package_code"] = "MARQUEE-20"
    response = deliver(handoff_body)
    assert response.status_code == 422
    return CrmHandoff.objects.get()


def _create_marquee(event):
    return Package.objects.create(event=event, code="MARQUEE-20", name="Marquee for 20",
                                  inventory_kind=InventoryKind.SUITE, seats_per_unit=20, unit_price="20000.00")


def test_replay_after_the_missing_package_is_created(failed_for_missing_package, catalogue, make_staff):
    _create_marquee(catalogue["GF2026"])
    staff = make_staff("admin")
    result = handoff.replay(actor=staff, handoff_id=failed_for_missing_package.pk)
    assert result.status_code == 201
    booking = Booking.objects.get()
    assert booking.package.code == "MARQUEE-20" and booking.status == "confirmed"
    again = result.handoff
    assert again.replay_of == failed_for_missing_package and again.outcome == CrmHandoff.Outcome.CREATED
    failed_for_missing_package.refresh_from_db()
    assert failed_for_missing_package.outcome == CrmHandoff.Outcome.INVALID  # the original stays as it was
    entry = AuditEntry.objects.get(action="crm_handoff.replayed")
    assert entry.actor == staff and entry.data["replay_of"] == failed_for_missing_package.pk


def test_replay_ignores_the_timestamp_window(failed_for_missing_package, catalogue, make_staff, time_machine):
    _create_marquee(catalogue["GF2026"])
    time_machine.move_to("2030-01-01")  # long after the 300 s window
    assert handoff.replay(actor=make_staff(), handoff_id=failed_for_missing_package.pk).status_code == 201


def test_replay_while_the_cause_remains_records_another_invalid_delivery(failed_for_missing_package, make_staff):
    result = handoff.replay(actor=make_staff(), handoff_id=failed_for_missing_package.pk)
    assert result.status_code == 422 and result.handoff.outcome == CrmHandoff.Outcome.INVALID
    assert CrmHandoff.objects.count() == 2 and not Booking.objects.exists()


def test_unsigned_and_successful_deliveries_cannot_be_replayed(client, deliver, catalogue, handoff_body, make_staff):
    client.post(HANDOFF_URL, data=encode(handoff_body), content_type="application/json")
    unsigned = CrmHandoff.objects.get()
    with pytest.raises(StateConflict, match="signature"):
        handoff.replay(actor=make_staff(), handoff_id=unsigned.pk)
    deliver(handoff_body, timestamp=stale_timestamp())
    deliver(handoff_body)
    created = CrmHandoff.objects.get(outcome=CrmHandoff.Outcome.CREATED)
    with pytest.raises(StateConflict, match="refused or failed"):
        handoff.replay(actor=make_staff(), handoff_id=created.pk)
