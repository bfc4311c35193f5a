"""Marketing consent: carried in by the CRM handoff, changed by the contact in the portal, sent back to the CRM."""

import json

import pytest

from buyers.models import Booking, Buyer, ConsentSource, Contact
from eventchain import outbox
from eventchain.models import AuditEntry, OutboxMessage
from tests.buyers.conftest import HANDOFF, HANDOFF_URL, encode, signed

from .test_attendance import attended  # noqa: F401 - the shared closed-event fixture
from .test_outcomes import _close, crm  # noqa: F401

pytestmark = pytest.mark.django_db


def _post(client, body):
    return client.post(HANDOFF_URL, data=encode(body), content_type="application/json", **signed(body))


def test_handoff_stores_consent_and_absent_consent_changes_nothing(client, catalogue):
    body = json.loads(json.dumps(HANDOFF))
    body["contacts"][0]["marketing_consent"] = True
    assert _post(client, body).status_code == 201
    contact = Contact.objects.get(email="pat@acme.example")
    assert (contact.marketing_consent, contact.consent_source) == (True, ConsentSource.CRM)
    assert contact.consent_updated_at is not None
    assert AuditEntry.objects.filter(action="contact.consent_changed", object_id=str(contact.pk)).count() == 1

    second = json.loads(json.dumps(HANDOFF))
    second["deal_id"] = "CRM-DEAL-2000"
    assert _post(client, second).status_code == 201
    assert Contact.objects.get(pk=contact.pk).marketing_consent is True
    bad = json.loads(json.dumps(HANDOFF))
    bad["deal_id"], bad["contacts"][0]["marketing_consent"] = "CRM-DEAL-3000", "perhaps"
    response = _post(client, bad)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "contacts.0.marketing_consent"


def test_contact_sees_and_changes_consent_in_the_portal(catalogue):
    from django.test import Client

    buyer = Buyer.objects.create(name="Acme", crm_account_id="ACC-1")
    contact = Contact.objects.create(buyer=buyer, name="Pat", email="pat@acme.example", is_primary=True)
    client = Client()
    session = client.session
    session["portal_contact_id"] = contact.pk
    session.save()
    page = client.get("/portal/preferences/")
    assert page.status_code == 200 and "not asked yet" in page.content.decode()
    assert client.post("/portal/preferences/", {"marketing_consent": "maybe"}).status_code == 422
    assert client.post("/portal/preferences/", {"marketing_consent": "no"}).status_code == 302
    contact.refresh_from_db()
    assert (contact.marketing_consent, contact.consent_source) == (False, ConsentSource.PORTAL)
    assert "no offers" in client.get("/portal/preferences/").content.decode()
    assert Client().get("/portal/preferences/").status_code == 302  # signed out: to the sign-in page


def test_crm_outcome_carries_each_contacts_consent(attended, crm):  # noqa: F811
    fake, _ = crm
    buyer = attended["a"].buyer
    Contact.objects.create(buyer=buyer, name="Yes Person", email="yes@a.example", is_primary=True,
                           marketing_consent=True, consent_source=ConsentSource.PORTAL)
    Contact.objects.create(buyer=buyer, name="Unknown Person", email="unknown@a.example")
    _close(attended["event"])
    for message in OutboxMessage.objects.filter(kind="reporting.crm_outcome"):
        outbox.process(message.pk)
    bodies = {json.loads(r.body)["buyer"]["crm_account_id"]: json.loads(r.body) for r in fake.received}
    contacts = {c["email"]: c for c in bodies[buyer.crm_account_id]["contacts"]}
    assert contacts["yes@a.example"]["marketing_consent"] is True
    assert contacts["yes@a.example"]["consent_source"] == "portal"
    assert contacts["unknown@a.example"]["marketing_consent"] is None
    assert Booking.objects.filter(buyer=buyer).exists()
