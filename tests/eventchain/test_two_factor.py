"""TOTP two-factor: enrolment required for admin/finance, the code step, and no session before both steps."""

import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from eventchain.models import AuditEntry
from eventchain.signin import pending, two_factor
from tests.eventchain.signin_helpers import code_for, enrolled, password_step, wrong_code


def signed_in(client) -> bool:
    return client.get("/console/").status_code == 200


@pytest.mark.django_db
def test_finance_must_enrol_before_the_session_exists(client, make_staff):
    user = make_staff("finance")
    response = password_step(client, user.email)
    assert response["Location"] == "/login/enrol/"
    assert "_auth_user_id" not in client.session
    page = client.get("/login/enrol/").content.decode()
    assert "<svg" in page and "<script>" not in page  # the QR code needs no JavaScript
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert two_factor.secret_text(device) in page
    assert not signed_in(client)
    response = client.post("/login/enrol/", {"code": code_for(device)})
    assert response["Location"] == "/console/"
    device.refresh_from_db()
    assert device.confirmed and signed_in(client)
    assert AuditEntry.objects.filter(action="eventchain.two_factor_enrolled", object_id=str(user.pk)).exists()


@pytest.mark.django_db
def test_sales_without_a_device_signs_in_with_the_password_alone(client, make_staff):
    user = make_staff("sales")
    assert password_step(client, user.email)["Location"] == "/console/"
    assert signed_in(client)


@pytest.mark.django_db
def test_an_enrolled_user_gets_the_code_step(client, make_staff):
    user = make_staff("sales")
    device = enrolled(user)
    assert password_step(client, user.email)["Location"] == "/login/verify/"
    assert not signed_in(client)
    response = client.post("/login/verify/", {"code": wrong_code(device)})
    assert response.status_code == 200 and "not right" in response.content.decode()
    assert not signed_in(client)
    time.sleep(1.1)  # django-otp makes a device wait a second after a wrong code
    assert client.post("/login/verify/", {"code": code_for(device)})["Location"] == "/console/"
    assert signed_in(client)


@pytest.mark.django_db
def test_the_code_step_expires_after_five_minutes(client, make_staff, time_machine):
    user = make_staff("admin")
    device = enrolled(user)
    time_machine.move_to("2026-03-01 09:00:00+00:00", tick=False)
    password_step(client, user.email)
    time_machine.move_to("2026-03-01 09:05:30+00:00", tick=False)
    response = client.post("/login/verify/", {"code": code_for(device)})
    assert response["Location"] == "/login/"
    assert pending.SESSION_KEY not in client.session and not signed_in(client)


@pytest.mark.django_db
def test_a_forged_pending_marker_is_ignored(client, make_staff):
    user = make_staff("admin")
    enrolled(user)
    session = client.session
    session[pending.SESSION_KEY] = f'{{"uid": {user.pk}, "stage": "verify"}}'
    session.save()
    assert client.get("/login/verify/")["Location"] == "/login/"


@pytest.mark.django_db
def test_self_service_enrolment_for_an_optional_role(client, make_staff):
    user = make_staff("reporting")
    client.force_login(user)
    page = client.get("/account/two-factor/")
    assert page.status_code == 200 and "Not set up" in page.content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    client.post("/account/two-factor/", {"code": code_for(device)})
    assert two_factor.confirmed_device(user) is not None
    client.post("/account/two-factor/", {"action": "remove"})
    assert two_factor.confirmed_device(user) is None


@pytest.mark.django_db
def test_an_admin_resets_someone_elses_two_factor(staff_client, make_staff):
    person = make_staff("finance")
    enrolled(person)
    admin = staff_client("admin")
    page = admin.get("/console/admin/security/").content.decode()
    assert person.email in page
    admin.post(f"/console/admin/security/two-factor/{person.pk}/reset/")
    assert not TOTPDevice.objects.filter(user=person).exists()
    assert AuditEntry.objects.filter(action="eventchain.two_factor_reset", object_id=str(person.pk)).exists()
    assert staff_client("finance").post(f"/console/admin/security/two-factor/{person.pk}/reset/").status_code == 403


@pytest.mark.django_db
def test_demo_secret_and_totp_code_only_with_debug(settings, capsys):
    settings.DEBUG = False
    call_command("seed_demo")
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.get(email="admin@example.com")
    assert two_factor.confirmed_device(admin) is None
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("totp_code", "admin@example.com")
    settings.DEBUG = True
    call_command("seed_demo")
    device = two_factor.confirmed_device(admin)
    assert device.key == two_factor.DEMO_TOTP_KEY
    capsys.readouterr()
    call_command("totp_code", "admin@example.com")
    assert capsys.readouterr().out.strip() == two_factor.current_code(device)
