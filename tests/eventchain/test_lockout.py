"""Failed sign-ins lock an address (existing or not) and throttle an IP; admins see and unlock."""

import re

import pytest
from django.utils import timezone

from eventchain.models import AuditEntry, SignInThrottle
from tests.conftest import PASSWORD
from tests.eventchain.signin_helpers import code_for, enrolled, password_step, wrong_code


def fail(client, email, times):
    for _ in range(times):
        password_step(client, email, password="not-the-password")


@pytest.mark.django_db
def test_five_failures_lock_the_account_and_the_message_gives_a_time(client, make_staff):
    user = make_staff("sales")
    fail(client, user.email, 4)
    locked = password_step(client, user.email, password="wrong again")
    body = locked.content.decode()
    assert "Too many failed sign-in attempts" in body and "Try again after" in body
    right_password = password_step(client, user.email)
    assert right_password.status_code == 429 and "Try again after" in right_password.content.decode()
    assert client.get("/console/").status_code == 302
    row = SignInThrottle.objects.get(scope="account", key=user.email)
    assert row.locked_until > timezone.now() + timezone.timedelta(minutes=14)


@pytest.mark.django_db
def test_an_unknown_address_locks_the_same_way(client, make_staff, time_machine):
    time_machine.move_to("2026-03-01 09:00:00+00:00", tick=False)
    fail(client, "nobody@staff.example", 5)
    user = make_staff("sales")
    fail(client, user.email, 5)
    unknown = password_step(client, "nobody@staff.example", password="x")
    known = password_step(client, user.email, password="x")
    assert unknown.status_code == known.status_code == 429
    notice = lambda response: re.search(r'role="alert">([^<]*)<', response.content.decode()).group(1)  # noqa: E731
    assert notice(unknown) == notice(known) and "Try again after" in notice(known)


@pytest.mark.django_db
def test_the_lock_expires_after_fifteen_minutes(client, make_staff, time_machine):
    user = make_staff("sales")
    time_machine.move_to("2026-03-01 09:00:00+00:00", tick=False)
    fail(client, user.email, 5)
    time_machine.move_to("2026-03-01 09:16:00+00:00", tick=False)
    assert password_step(client, user.email)["Location"] == "/console/"


@pytest.mark.django_db
def test_wrong_codes_count_toward_the_lock(client, make_staff, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # django-otp's own back-off is not what this test is about
    user = make_staff("finance")
    device = enrolled(user)
    for attempt in range(5):
        assert password_step(client, user.email)["Location"] == "/login/verify/", attempt
        response = client.post("/login/verify/", {"code": wrong_code(device)})
    assert response.status_code == 429 and "Try again after" in response.content.decode()
    assert password_step(client, user.email).status_code == 429
    assert client.post("/login/verify/", {"code": code_for(device)})["Location"] == "/login/"


@pytest.mark.django_db
def test_an_ip_is_throttled_after_twenty_failures(client, make_staff, settings):
    settings.EVENTCHAIN_LOCKOUT_IP_FAILURES = 20
    for n in range(20):
        password_step(client, f"guess{n}@staff.example", password="x")
    user = make_staff("sales")
    response = password_step(client, user.email)
    assert response.status_code == 429
    other = client.__class__(REMOTE_ADDR="10.9.8.7")
    assert password_step(other, user.email)["Location"] == "/console/"


@pytest.mark.django_db
def test_admin_sees_locked_accounts_and_unlocks(client, make_staff, staff_client):
    user = make_staff("sales")
    fail(client, user.email, 5)
    admin = staff_client("admin")
    page = admin.get("/console/admin/security/").content.decode()
    assert user.email in page and "Unlock" in page
    row = SignInThrottle.objects.get(scope="account", key=user.email)
    admin.post(f"/console/admin/security/locks/{row.pk}/unlock/")
    row.refresh_from_db()
    assert row.locked_until is None
    assert AuditEntry.objects.filter(action="eventchain.signin_unlocked", object_id=str(row.pk)).exists()
    assert AuditEntry.objects.filter(action="eventchain.signin_locked").exists()
    assert client.post("/login/", {"username": user.email, "password": PASSWORD})["Location"] == "/console/"
