"""Single sign-on against a loopback OpenID Connect provider that signs real RS256 ID tokens."""

import time
from urllib.parse import urlsplit

import httpx
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from eventchain.models import AuditEntry
from tests.fakes import oidc

FINANCE_GROUP = "5b1c3e0a-finance-object-id"
ADMIN_GROUP = "ops-admins"


@pytest.fixture
def provider(settings):
    server, fake = oidc.start()
    for name, value in oidc.settings_for(server, fake, f"{FINANCE_GROUP}=finance,{ADMIN_GROUP}=admin").items():
        setattr(settings, name, value)
    yield fake
    server.stop()


def sso_sign_in(client, next_path="/console/", start="/sso/login/"):
    """Start at EventChain, let the fake provider redirect back, finish at the callback; return the last response."""
    response = client.get(f"{start}?next={next_path}")
    assert response.status_code == 302, response.content
    at_provider = httpx.get(response["Location"], follow_redirects=False)
    assert at_provider.status_code == 302, at_provider.text
    back = urlsplit(at_provider.headers["location"])
    assert back.path == "/sso/callback/"
    return client.get(f"{back.path}?{back.query}")


@pytest.mark.django_db
def test_login_page_offers_sso_only_when_configured(client, settings, provider):
    settings.EVENTCHAIN_OIDC_LABEL = "Sign in with Contoso"
    assert "Sign in with Contoso" in client.get("/login/").content.decode()
    settings.OIDC_RP_CLIENT_ID = ""
    assert "Sign in with Contoso" not in client.get("/login/").content.decode()
    assert client.get("/sso/login/")["Location"] == "/login/"


@pytest.mark.django_db
def test_full_flow_creates_the_user_with_roles_from_groups(client, provider):
    provider.sign_in_as("fiona@contoso.example", [FINANCE_GROUP, "unrelated-group"])
    response = sso_sign_in(client)
    assert response.status_code == 302 and response["Location"] == "/console/"
    assert client.get("/console/").status_code == 200
    user = get_user_model().objects.get(email="fiona@contoso.example")
    assert set(user.groups.values_list("name", flat=True)) == {"finance"}
    assert not user.has_usable_password()
    authorize = provider.authorize_requests[-1]
    assert authorize["nonce"] and authorize["state"] and "prompt" not in authorize
    actions = set(AuditEntry.objects.filter(object_id=str(user.pk)).values_list("action", flat=True))
    assert {"eventchain.sso_user_created", "eventchain.sso_sign_in", "eventchain.sso_roles_changed"} <= actions


@pytest.mark.django_db
def test_roles_are_resynced_at_every_sign_in(client, provider, make_staff):
    existing = make_staff("sales", email="sam@contoso.example")
    provider.sign_in_as("SAM@contoso.example", [ADMIN_GROUP])
    assert sso_sign_in(client)["Location"] == "/console/"
    existing.refresh_from_db()
    assert set(existing.groups.values_list("name", flat=True)) == {"admin"}
    change = AuditEntry.objects.filter(action="eventchain.sso_roles_changed", object_id=str(existing.pk)).get()
    assert change.data == {"added": ["admin"], "removed": ["sales"]}
    assert existing.has_usable_password()  # SSO links by email; it does not take the password away


@pytest.mark.django_db
def test_a_person_in_no_mapped_group_is_refused_with_a_reason(client, provider):
    provider.sign_in_as("nobody@contoso.example", ["some-other-group"])
    response = sso_sign_in(client)
    assert response["Location"] == "/login/"
    page = client.get("/login/").content.decode()
    assert "none of its groups is mapped" in page
    assert not get_user_model().objects.filter(email="nobody@contoso.example").exists()
    assert client.get("/console/").status_code == 302
    assert AuditEntry.objects.filter(action="eventchain.sso_refused").exists()


@pytest.mark.django_db
def test_a_user_whose_groups_were_removed_loses_access(client, provider, make_staff):
    make_staff("finance", email="gone@contoso.example")
    provider.sign_in_as("gone@contoso.example", [])
    assert sso_sign_in(client)["Location"] == "/login/"
    assert client.get("/console/").status_code == 302


@pytest.mark.django_db
@pytest.mark.parametrize("breakage", ["stranger_key", "wrong_audience", "expired", "wrong_issuer", "wrong_nonce"])
def test_tokens_that_do_not_verify_are_refused(client, provider, breakage):
    provider.sign_in_as("eve@contoso.example", [ADMIN_GROUP])
    if breakage == "stranger_key":
        provider.sign_with_stranger_key = True
    elif breakage == "wrong_audience":
        provider.tamper(aud="someone-elses-app")
    elif breakage == "expired":
        provider.tamper(exp=int(time.time()) - 3600, iat=int(time.time()) - 7200)
    elif breakage == "wrong_issuer":
        provider.tamper(iss="https://login.example.net/other-tenant/v2.0")
    else:
        provider.tamper(nonce="replayed-nonce")
    response = sso_sign_in(client)
    assert response["Location"] == "/login/"
    assert client.get("/console/").status_code == 302
    assert not get_user_model().objects.filter(email="eve@contoso.example").exists()


@pytest.mark.django_db
def test_sso_sign_in_does_not_ask_for_local_two_factor(client, provider):
    provider.sign_in_as("ada@contoso.example", [ADMIN_GROUP])
    assert sso_sign_in(client)["Location"] == "/console/"
    user = get_user_model().objects.get(email="ada@contoso.example")
    assert user.groups.filter(name="admin").exists()
    assert Group.objects.get(name="admin").user_set.filter(pk=user.pk).exists()
