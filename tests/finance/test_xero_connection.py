"""Connecting Xero from the console (OAuth2 code flow, Custom Connection), token storage and refresh, webhooks."""

import json
import time
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from finance.models import Invoice, LedgerConnection, LedgerWebhook, Payment
from finance.services import connections
from tests.fakes.xero import XeroFake

pytestmark = pytest.mark.django_db
WEBHOOK_URL = "/api/v1/finance/xero/webhook"


@pytest.fixture
def xero_app(settings):
    """Xero reachable and the app's credentials configured, but nothing connected yet."""
    fake = XeroFake(organisations=("Riverside Hospitality", "Riverside Catering")).start()
    settings.XERO_API_BASE_URL = settings.XERO_IDENTITY_URL = settings.XERO_LOGIN_URL = fake.base_url
    settings.XERO_CLIENT_ID, settings.XERO_CLIENT_SECRET = fake.client_id, fake.client_secret
    settings.EVENTCHAIN_BASE_URL = "https://tickets.example.com"
    yield fake
    fake.stop()
    assert fake.contract_violations == []


def test_oauth_connect_stores_an_encrypted_token_and_lets_staff_choose_the_organisation(xero_app, staff_client):
    client = staff_client("finance")

    start = client.get("/console/finance/ledger/xero/connect/")

    assert start.status_code == 302
    target = urlsplit(start["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{xero_app.base_url}/identity/connect/authorize"
    query = {k: v[0] for k, v in parse_qs(target.query).items()}
    assert query["response_type"] == "code" and query["client_id"] == xero_app.client_id
    assert query["redirect_uri"] == "https://tickets.example.com/console/finance/ledger/xero/callback/"
    assert "offline_access" in query["scope"] and "accounting.transactions" in query["scope"]

    code = xero_app.authorize(query["redirect_uri"])  # the user consents at Xero
    done = client.get("/console/finance/ledger/xero/callback/", {"code": code, "state": query["state"]})

    assert done.status_code == 302
    xero = LedgerConnection.objects.get(backend="xero")
    assert xero.auth_mode == "oauth" and xero.tenant_id == ""  # two organisations: staff choose
    assert {t["name"] for t in xero.available_tenants} == {"Riverside Hospitality", "Riverside Catering"}
    token = xero.token_set()
    assert token["refresh_token"] and token["access_token"] not in xero.token_ciphertext  # encrypted at rest
    page = client.get("/console/finance/ledger/")
    assert b"Riverside Catering" in page.content

    catering = next(t for t in xero.available_tenants if t["name"] == "Riverside Catering")
    client.post("/console/finance/ledger/xero/organisation/", {"tenant_id": catering["id"]})
    xero.refresh_from_db()
    assert xero.tenant_name == "Riverside Catering"

    client.post("/console/finance/ledger/test/", {"backend": "xero"})
    xero.refresh_from_db()
    assert xero.last_test_ok and "Riverside Catering" in xero.last_test_message


def test_a_callback_that_did_not_start_here_is_refused(xero_app, staff_client):
    client = staff_client("finance")
    client.get("/console/finance/ledger/xero/connect/")
    code = xero_app.authorize("https://tickets.example.com/console/finance/ledger/xero/callback/")
    response = client.get("/console/finance/ledger/xero/callback/", {"code": code, "state": "forged"}, follow=True)
    assert b"did not start here" in response.content
    assert not LedgerConnection.objects.filter(backend="xero", token_ciphertext__gt="").exists()


def test_connecting_needs_the_manage_ledger_capability(xero_app, staff_client):
    assert staff_client("sales").get("/console/finance/ledger/xero/connect/").status_code == 403
    assert staff_client("fulfilment").get("/console/finance/ledger/").status_code == 403


def test_an_expiring_token_is_refreshed_and_the_rotated_one_stored(xero_app, finance_user, settings):
    redirect = "https://tickets.example.com/console/finance/ledger/xero/callback/"
    connections.connect_xero_oauth(actor=finance_user, code=xero_app.authorize(redirect), redirect_uri=redirect)
    xero = LedgerConnection.objects.get(backend="xero")
    xero = connections.choose_xero_tenant(actor=finance_user, tenant_id=xero.available_tenants[0]["id"])
    old = xero.token_set()
    xero.store_token_set({**old, "expires_at": time.time() - 5})
    xero.save()

    token, tenant = connections.fresh_xero_token()

    assert token["access_token"] != old["access_token"] and token["refresh_token"] != old["refresh_token"]
    xero.refresh_from_db()
    assert xero.token_set()["access_token"] == token["access_token"]
    assert tenant == xero.tenant_id
    assert ("POST", "/connect/token", 200) in xero_app.log


def test_custom_connection_uses_client_credentials(xero_app, staff_client):
    client = staff_client("finance")
    client.post("/console/finance/ledger/xero/custom-connection/")
    xero = LedgerConnection.objects.get(backend="xero")
    assert xero.auth_mode == "client_credentials" and xero.tenant_id == xero_app.tenant_id
    assert "refresh_token" not in xero.token_set()
    client.post("/console/finance/ledger/use/", {"backend": "xero"})
    from finance import ledgers

    assert ledgers.active_backend() == "xero"


# -- webhooks -------------------------------------------------------------------------------------------------
def post_webhook(body: bytes, signature: str | None):
    headers = {"HTTP_X_XERO_SIGNATURE": signature} if signature is not None else {}
    return Client().post(WEBHOOK_URL, data=body, content_type="application/json", **headers)


def test_intent_to_receive_signed_200_tampered_401(xero, settings):
    body, signature = xero.signed_webhook(settings.XERO_WEBHOOK_KEY)

    good = post_webhook(body, signature)
    tampered = post_webhook(body.replace(b'"entropy": "', b'"entropy": "X'), signature)
    wrong_key = post_webhook(body, xero.signed_webhook("another-key")[1])
    unsigned = post_webhook(body, None)

    assert good.status_code == 200 and good.content == b""
    assert [r.status_code for r in (tampered, wrong_key, unsigned)] == [401, 401, 401]
    assert all(r.content == b"" for r in (tampered, wrong_key, unsigned))
    stored = list(LedgerWebhook.objects.order_by("pk"))
    assert [w.signature_valid for w in stored] == [True, False, False, False]  # every delivery kept raw
    assert bytes(stored[1].raw_body) != body


def test_an_invoice_event_is_a_hint_to_refetch_its_payments(xero, make_booking, confirm, drain, settings,
                                                            django_capture_on_commit_callbacks):
    booking = make_booking("TABLE-10", 10)
    invoice = Invoice.objects.get(pk=confirm(booking).invoice_id)
    drain()
    invoice.refresh_from_db()
    xero.receive_payment(invoice.number, "10450.00")
    # The event carries no amounts; EventChain must ask Xero what happened.
    body, signature = xero.signed_webhook(settings.XERO_WEBHOOK_KEY, [xero.invoice_event(invoice.external_id)])

    with django_capture_on_commit_callbacks(execute=True):
        response = post_webhook(body, signature)

    assert response.status_code == 200
    (payment,) = Payment.objects.all()
    assert payment.amount == Decimal("10450.00") and payment.source == "xero"
    booking.refresh_from_db()
    assert booking.status == "released"
    delivery = LedgerWebhook.objects.get()
    assert delivery.processed_at and delivery.event_count == 1

    with django_capture_on_commit_callbacks(execute=True):
        post_webhook(body, signature)  # Xero may deliver twice
    assert Payment.objects.count() == 1


def test_events_for_another_organisation_are_ignored(xero, settings, django_capture_on_commit_callbacks):
    event = {**xero.invoice_event("7b3d9d59-0000-4000-8000-000000000001"),
             "tenantId": "11111111-1111-4111-8111-111111111111"}
    body, signature = xero.signed_webhook(settings.XERO_WEBHOOK_KEY, [event])
    with django_capture_on_commit_callbacks(execute=True):
        assert post_webhook(body, signature).status_code == 200
    assert LedgerWebhook.objects.get().processed_at is not None
    assert not any(path.startswith("/api.xro/2.0/Invoices/") for _, path, _ in xero.log)


def test_webhook_json_is_only_trusted_after_the_signature(xero, settings):
    body = json.dumps({"events": [xero.invoice_event("x")]}).encode()
    assert post_webhook(body, "not-a-signature").status_code == 401
    assert LedgerWebhook.objects.get().event_count == 0
