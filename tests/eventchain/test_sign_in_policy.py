"""The local-password switch (with superuser break-glass) and idle expiry of staff sessions."""

import pytest
from django.contrib.auth.models import Group

from eventchain.models import AuditEntry, SignInPolicy
from tests.conftest import PASSWORD
from tests.eventchain.signin_helpers import password_step
from tests.fakes import oidc


@pytest.fixture
def sso_configured(settings):
    server, fake = oidc.start()
    for name, value in oidc.settings_for(server, fake, "ops-admins=admin").items():
        setattr(settings, name, value)
    yield fake
    server.stop()


@pytest.mark.django_db
def test_switching_local_passwords_off_hides_and_refuses_them(client, staff_client, make_staff, sso_configured):
    admin = staff_client("admin")
    admin.post("/console/admin/security/local-passwords/", {"enabled": "0"})
    assert SignInPolicy.current().local_passwords_enabled is False
    assert AuditEntry.objects.filter(action="eventchain.local_passwords_disabled").exists()
    page = client.get("/login/").content.decode()
    assert 'name="password"' not in page and "Sign in with Microsoft" in page
    user = make_staff("sales")
    response = password_step(client, user.email)
    assert response.status_code == 403 and "switched off" in response.content.decode()
    assert client.get("/console/").status_code == 302
    assert client.post("/password-reset/", {"email": user.email}).status_code == 403


@pytest.mark.django_db
def test_superusers_keep_break_glass_sign_in(client, make_staff, sso_configured):
    SignInPolicy.objects.update_or_create(pk=1, defaults={"local_passwords_enabled": False})
    root = make_staff(None, email="root@staff.example")
    root.is_superuser = True
    root.save()
    assert 'name="password"' in client.get("/login/?break-glass=1").content.decode()
    assert password_step(client, root.email, break_glass="1")["Location"] == "/console/"


@pytest.mark.django_db
def test_local_passwords_cannot_go_off_without_sso(staff_client):
    admin = staff_client("admin")
    response = admin.post("/console/admin/security/local-passwords/", {"enabled": "0"}, follow=True)
    assert "Set up single sign-on" in response.content.decode()
    assert SignInPolicy.current().local_passwords_enabled is True


@pytest.mark.django_db
def test_only_manage_security_sees_the_page(staff_client):
    assert staff_client("finance").get("/console/admin/security/").status_code == 403
    page = staff_client("admin").get("/console/admin/security/").content.decode()
    assert "Not configured" in page and "Local passwords" in page


@pytest.mark.django_db
def test_idle_sessions_end_after_thirty_minutes(client, make_staff, time_machine):
    user = make_staff("sales")
    time_machine.move_to("2026-03-01 09:00:00+00:00", tick=False)
    assert password_step(client, user.email, PASSWORD)["Location"] == "/console/"
    assert client.get("/console/").status_code == 200
    time_machine.move_to("2026-03-01 09:29:00+00:00", tick=False)
    assert client.get("/console/").status_code == 200  # activity moves the idle clock
    time_machine.move_to("2026-03-01 09:58:00+00:00", tick=False)
    assert client.get("/console/").status_code == 200
    time_machine.move_to("2026-03-01 10:29:00+00:00", tick=False)
    response = client.get("/console/buyers/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert "_auth_user_id" not in client.session
    assert Group.objects.filter(name="sales").exists()


@pytest.mark.django_db
def test_the_buyer_portal_is_not_subject_to_staff_idle_expiry(client, make_staff, time_machine):
    time_machine.move_to("2026-03-01 09:00:00+00:00", tick=False)
    client.force_login(make_staff("sales"))
    client.get("/console/")
    time_machine.move_to("2026-03-01 11:00:00+00:00", tick=False)
    client.get("/portal/")
    assert "_auth_user_id" in client.session  # the portal page did not end the staff session
