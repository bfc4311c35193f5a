"""Shared fixtures: staff users per role, API tokens, the demo catalogue, and Postgres-only markers."""

import os

os.environ.setdefault("EVENTCHAIN_TESTING", "1")

import pytest  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

PASSWORD = "correct horse battery staple"


@pytest.fixture
def make_staff(db):
    """make_staff("finance") → an active user holding that role (or none for role=None)."""
    counter = {"n": 0}

    def make(role: str | None = "admin", email: str | None = None):
        counter["n"] += 1
        email = email or f"{role or 'norole'}{counter['n']}@staff.example"
        user = get_user_model().objects.create_user(username=email, email=email, password=PASSWORD)
        if role:
            user.groups.add(Group.objects.get(name=role))
        return user

    return make


@pytest.fixture
def staff_client(make_staff):
    """staff_client("sales") → a test Client signed in as a new user with that role."""

    def make(role: str | None = "admin"):
        client = Client()
        client.force_login(make_staff(role))
        return client

    return make


@pytest.fixture
def api_token(make_staff):
    """api_token("finance") → a bearer token string for a new user with that role."""
    from eventchain import tokens

    def make(role: str = "admin"):
        user = make_staff(role)
        _, raw = tokens.create_api_token(actor=None, user_email=user.email, name=f"{role} test token")
        return raw

    return make


@pytest.fixture
def api(api_token):
    """api("ticketing") → a Client whose requests carry that role's bearer token."""

    def make(role: str = "admin"):
        return Client(HTTP_AUTHORIZATION=f"Bearer {api_token(role)}")

    return make


@pytest.fixture
def catalogue(db):
    """The demo venue, events GF2026/SF2026 and their packages."""
    from eventchain import demo
    from eventchain.models import Event

    demo.seed_catalogue()
    return {event.code: event for event in Event.objects.select_related("venue")}


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.fail("This test proves behaviour under Postgres locks; run the suite with DATABASE_URL on Postgres.")


@pytest.fixture(autouse=True)
def _media_in_a_temporary_folder(settings, tmp_path_factory):
    """Uploaded designs and rendered files go to a per-session temporary folder, never the work tree."""
    settings.MEDIA_ROOT = tmp_path_factory.getbasetemp() / "media"
