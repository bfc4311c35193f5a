"""Closing the loop: each buyer's outcome goes to the CRM as a signed webhook through the outbox."""

import json
from datetime import timedelta

import pytest
import time_machine

from buyers import webhook
from eventchain import outbox
from eventchain.models import OutboxMessage
from reporting.attendance import close_event_attendance
from reporting.models import BuyerOutcome
from tests.fakes.loopback import Fault, LoopbackServer, Response

from .test_attendance import attended  # noqa: F401 - the shared closed-event fixture

pytestmark = pytest.mark.django_db

SECRET = "crm-callback-secret"


class FakeCrm:
    """Records deliveries and checks their signature exactly as a CRM would."""

    def __init__(self):
        self.received = []

    def handle(self, request):
        try:
            webhook.verify(secret=SECRET, timestamp=request.header(webhook.TIMESTAMP_HEADER),
                           signature_header=request.header(webhook.SIGNATURE_HEADER), body=request.body)
        except webhook.SignatureRejected as exc:
            return Response.json(401, {"error": str(exc)})
        self.received.append(request)
        return Response.json(202, {"ok": True})

    def fault_response(self, status, headers):
        return Response.json(status, {"error": "fault"}, headers)


@pytest.fixture
def crm(settings):
    fake = FakeCrm()
    server = LoopbackServer(fake).start()
    settings.EVENTCHAIN_CRM_CALLBACK_URL = f"{server.base_url}/eventchain/outcomes"
    settings.EVENTCHAIN_CRM_CALLBACK_SECRET = SECRET
    yield fake, server
    server.stop()


def _close(event):
    with time_machine.travel(event.ends_at + timedelta(hours=1)):
        close_event_attendance(actor=None, event_id=event.pk)


def test_outcomes_are_sent_signed_with_attendance_spend_and_renewal(attended, crm):  # noqa: F811
    fake, _ = crm
    _close(attended["event"])
    messages = OutboxMessage.objects.filter(kind="reporting.crm_outcome")
    assert messages.count() == 2
    for message in messages:
        outbox.process(message.pk)
    assert set(messages.values_list("status", flat=True)) == {"done"}
    bodies = {json.loads(r.body)["buyer"]["crm_account_id"]: json.loads(r.body) for r in fake.received}
    a = bodies[attended["a"].buyer.crm_account_id]["outcome"]
    b = bodies[attended["b"].buyer.crm_account_id]["outcome"]
    assert (a["tickets"], a["admitted"], a["no_shows"], a["attendance_rate"], a["renewal"]) == (7, 3, 4, "0.4286", False)
    assert (b["tickets"], b["admitted"], b["no_shows"], b["attendance_rate"], b["renewal"]) == (10, 10, 0, "1.0000", True)
    assert a["spend"] == "0.00" and a["currency"] == "AUD" and a["tickets_reissued"] == 0
    request = fake.received[0]
    timestamp = request.header(webhook.TIMESTAMP_HEADER)
    assert request.header(webhook.SIGNATURE_HEADER) == webhook.signature(SECRET, timestamp, request.body)
    assert request.header("Idempotency-Key").startswith("crm-outcome-")
    assert bodies[attended["a"].buyer.crm_account_id]["bookings"][0]["crm_deal_id"] == attended["a"].crm_deal_id


def test_a_crm_outage_is_retried_and_a_refusal_goes_dead(attended, crm):  # noqa: F811
    fake, server = crm
    _close(attended["event"])
    first, second = OutboxMessage.objects.filter(kind="reporting.crm_outcome").order_by("id")
    server.faults.add(Fault("status", status=503, retry_after=30))
    assert outbox.process(first.pk).status == "failed"
    first.refresh_from_db()
    assert "503" in first.last_error and first.next_attempt_at > first.updated_at
    server.faults.add(Fault("status", status=400))
    assert outbox.process(second.pk).status == "dead"
    assert outbox.process(first.pk).status == "done" and len(fake.received) == 1


def test_without_a_callback_url_outcomes_wait_on_the_next_cycle_page(attended, settings, staff_client):  # noqa: F811
    settings.EVENTCHAIN_CRM_CALLBACK_URL = ""
    _close(attended["event"])
    assert not OutboxMessage.objects.filter(kind="reporting.crm_outcome").exists()
    assert BuyerOutcome.objects.count() == 2
    client = staff_client("sales")
    page = client.get("/console/reporting/next-cycle/")
    body = page.content.decode()
    assert page.status_code == 200 and attended["b"].buyer.name in body and "Re-engage" in body
    assert "Not sent (no CRM callback URL)" in body
    only = client.get("/console/reporting/next-cycle/?renewal=yes", HTTP_HX_REQUEST="true").content.decode()
    assert attended["b"].buyer.name in only and attended["a"].buyer.name not in only and "<html" not in only


def test_a_delivery_with_a_wrong_secret_is_refused_by_the_crm(attended, crm, settings):  # noqa: F811
    fake, _ = crm
    _close(attended["event"])
    settings.EVENTCHAIN_CRM_CALLBACK_SECRET = "not-the-crms-secret"
    message = OutboxMessage.objects.filter(kind="reporting.crm_outcome").first()
    assert outbox.process(message.pk).status == "dead"
    assert not fake.received and "401" in OutboxMessage.objects.get(pk=message.pk).last_error
