"""Repeated failed scans from one scanner hold it: its scan uploads get 403 (standard error body) until released."""

import json

import pytest
from django.utils import timezone

from eventchain import velocity
from eventchain.models import Flag
from reporting.models import GateDevice

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _rule(settings):
    settings.EVENTCHAIN_VELOCITY_RULES = {"device_failed_scans": {"threshold": 3, "window": 300}}


def post(client, code, nonce, path="/api/v1/gate/scans"):
    body = {"code": code, "gate": "Gate A", "device_id": "handset-1", "nonce": nonce,
            "scanned_at": timezone.now().isoformat()}
    if path.endswith("batch"):
        body = {"scans": [body]}
    return client.post(path, json.dumps(body), content_type="application/json")


def test_failed_scans_trip_at_the_threshold_and_hold_the_device(scanner, tickets, make_staff):
    device = scanner()
    assert post(device, tickets[0].code, "ok-1").json()["result"] == "admitted"  # good scans do not count
    for n in range(2):
        assert post(device, f"EC1:FORGED{n}", f"bad-{n}").json()["result"] == "invalid"
    assert not Flag.objects.exists()
    third = post(device, "EC1:FORGED3", "bad-3")
    assert third.status_code == 200 and third.json()["result"] == "invalid"  # same answer shape as always

    gate_device = GateDevice.objects.get()
    flag = Flag.objects.get(rule="device_failed_scans", subject_type="gate_device", subject_id=str(gate_device.pk))
    assert flag.count == 3 and "Gate A" in flag.subject_label

    for path in ("/api/v1/gate/scans", "/api/v1/gate/scans/batch"):
        held = post(device, tickets[1].code, "after-hold", path)
        assert held.status_code == 403
        [error] = held.json()["errors"]
        assert error["field"] is None and "held for review after 3 failed scans" in error["message"]

    velocity.release_flag(actor=make_staff("admin"), flag_id=flag.pk, note="Steward was scanning a raffle ticket.")
    assert post(device, tickets[1].code, "after-release").json()["result"] == "admitted"


def test_other_scanners_keep_working_while_one_is_held(scanner, tickets):
    bad, good = scanner(gate="Gate A"), scanner(gate="Gate B")
    for n in range(3):
        post(bad, f"EC1:FORGED{n}", f"bad-{n}")
    assert post(bad, tickets[0].code, "held").status_code == 403
    assert post(good, tickets[0].code, "fine").json()["result"] == "admitted"
