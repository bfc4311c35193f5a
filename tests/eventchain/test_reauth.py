"""Sensitive actions ask for the password (and code) again once the sign-in is older than ten minutes."""

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.test import Client

from eventchain.models import AuditEntry
from finance.models import LedgerBackend
from tests.conftest import PASSWORD
from tests.eventchain.signin_helpers import code_for, enrolled
from tests.fakes import oidc

LEDGER = "http://testserver/console/finance/ledger/"


@pytest.fixture
def stale_finance(make_staff, time_machine):
    """A finance Client whose sign-in is eleven minutes old, and its user."""
    time_machine.move_to("2026-03-01 09:00:00+00:00", tick=True)
    user = make_staff("finance")
    client = Client()
    client.force_login(user)
    time_machine.move_to("2026-03-01 09:11:00+00:00", tick=True)
    return client, user


def use_local_ledger(client, **headers):
    return client.post("/console/finance/ledger/use/", {"backend": LedgerBackend.LOCAL}, HTTP_REFERER=LEDGER,
                       **headers)


@pytest.mark.django_db
def test_a_fresh_sign_in_is_not_asked_again(staff_client):
    assert use_local_ledger(staff_client("finance"))["Location"] == "/console/finance/ledger/"


@pytest.mark.django_db
def test_ledger_change_redirects_to_reauth_and_back(stale_finance):
    client, user = stale_finance
    response = use_local_ledger(client)
    location = urlsplit(response["Location"])
    assert location.path == "/reauth/" and parse_qs(location.query)["next"] == [LEDGER]
    assert not AuditEntry.objects.filter(action__startswith="finance.ledger").exists()
    assert client.post("/reauth/", {"password": "wrong", "next": LEDGER}).status_code == 200
    done = client.post("/reauth/", {"password": PASSWORD, "next": LEDGER})
    assert done["Location"] == LEDGER
    assert use_local_ledger(client)["Location"] == "/console/finance/ledger/"
    assert AuditEntry.objects.filter(action="eventchain.reauthenticated", actor=user).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/console/finance/ledger/disconnect/", "/console/finance/ledger/xero/custom-connection/"])
def test_other_credential_changes_also_ask(stale_finance, path):
    client, _ = stale_finance
    assert urlsplit(client.post(path, {"backend": "xero"})["Location"]).path == "/reauth/"
    assert urlsplit(client.get("/console/finance/ledger/xero/connect/")["Location"]).path == "/reauth/"


@pytest.mark.django_db
def test_htmx_requests_get_hx_redirect(stale_finance):
    client, _ = stale_finance
    response = use_local_ledger(client, HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL=LEDGER)
    assert response.status_code == 204 and response["HX-Redirect"].startswith("/reauth/?next=")


@pytest.mark.django_db
def test_a_user_with_two_factor_also_gives_a_code(stale_finance):
    client, user = stale_finance
    device = enrolled(user)
    page = client.get(f"/reauth/?next={LEDGER}").content.decode()
    assert "Authentication code" in page
    assert client.post("/reauth/", {"password": PASSWORD, "next": LEDGER}).status_code == 200
    done = client.post("/reauth/", {"password": PASSWORD, "code": code_for(device), "next": LEDGER})
    assert done["Location"] == LEDGER


@pytest.mark.django_db
def test_rotating_a_signing_key_asks_again(make_staff, catalogue, time_machine):
    time_machine.move_to("2026-03-01 09:00:00+00:00", tick=True)
    client = Client()
    client.force_login(make_staff("ticketing"))
    time_machine.move_to("2026-03-01 09:11:00+00:00", tick=True)
    design = "http://testserver/console/tickets/designs/GF2026/"
    response = client.post("/console/tickets/designs/GF2026/rotate-key/", HTTP_REFERER=design)
    assert urlsplit(response["Location"]).path == "/reauth/"
    assert not AuditEntry.objects.filter(action__contains="key").exists()
    client.post("/reauth/", {"password": PASSWORD, "next": design})
    rotated = client.post("/console/tickets/designs/GF2026/rotate-key/", HTTP_REFERER=design)
    assert rotated["Location"] == "/console/tickets/designs/GF2026/"


@pytest.mark.django_db
def test_sso_users_confirm_through_the_provider_with_prompt_login(client, settings):
    server, provider = oidc.start()
    try:
        for name, value in oidc.settings_for(server, provider, "ledger-team=finance").items():
            setattr(settings, name, value)
        settings.EVENTCHAIN_REAUTH_MAX_AGE = 0
        provider.sign_in_as("fin@contoso.example", ["ledger-team"])

        def through_provider(response):
            at_provider = httpx.get(response["Location"], follow_redirects=False)
            back = urlsplit(at_provider.headers["location"])
            return client.get(f"{back.path}?{back.query}")

        assert through_provider(client.get("/sso/login/?next=/console/"))["Location"] == "/console/"
        asked = use_local_ledger(client)
        start = client.get(asked["Location"])
        assert urlsplit(start["Location"]).path == "/sso/login/"
        to_provider = client.get(start["Location"])
        params = parse_qs(urlsplit(to_provider["Location"]).query)
        assert params["prompt"] == ["login"] and params["max_age"] == ["0"]
        settings.EVENTCHAIN_REAUTH_MAX_AGE = 600
        assert through_provider(to_provider)["Location"] == LEDGER
        assert use_local_ledger(client)["Location"] == "/console/finance/ledger/"

        # A provider that skips the fresh password is not accepted as re-authentication.
        settings.EVENTCHAIN_REAUTH_MAX_AGE = 0
        provider.reuse_old_auth_time = True
        to_provider = client.get(client.get(use_local_ledger(client)["Location"])["Location"])
        assert through_provider(to_provider)["Location"] == "/login/"
    finally:
        server.stop()
