import pytest
from django.contrib.auth.models import Group

from eventchain import roles
from eventchain.errors import PermissionRefused

pytestmark = pytest.mark.django_db


def test_six_roles_exist_with_their_capabilities():
    assert set(Group.objects.values_list("name", flat=True)) >= set(roles.ROLE_NAMES)
    assert len(roles.ROLE_NAMES) == 6
    for role, (_, capabilities) in roles.ROLES.items():
        held = set(Group.objects.get(name=role).permissions.values_list("codename", flat=True))
        assert held == capabilities


def test_admin_role_holds_every_capability(make_staff):
    admin = make_staff("admin")
    assert all(roles.has_capability(admin, c) for c in roles.CAPABILITIES)


@pytest.mark.parametrize(
    "role, capability, allowed",
    [
        ("sales", "manage_buyers", True),
        ("sales", "record_payments", False),
        ("finance", "record_payments", True),
        ("finance", "reissue_tickets", False),
        ("ticketing", "manage_catalogue", False),
        ("reporting", "manage_buyers", False),
        ("reporting", "view_reports", True),
        ("fulfilment", "allocate_stock", True),
    ],
)
def test_separation_of_duties(make_staff, role, capability, allowed):
    assert roles.has_capability(make_staff(role), capability) is allowed


def test_require_capability_names_the_roles_that_would_allow_it(make_staff):
    with pytest.raises(PermissionRefused) as refused:
        roles.require_capability(make_staff("sales"), "record_payments")
    assert "finance" in refused.value.message and "admin" in refused.value.message


def test_a_user_without_a_role_gets_403_with_a_plain_message(staff_client):
    response = staff_client(None).get("/console/")
    assert response.status_code == 403
    assert "Your role does not allow this" in response.content.decode()


def test_console_page_needing_a_missing_capability_is_403(staff_client):
    response = staff_client("sales").get("/console/audit/")
    assert response.status_code == 403
    assert "reporting" in response.content.decode()


def test_anonymous_users_are_sent_to_sign_in(client):
    response = client.get("/console/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_unknown_capability_is_a_programming_error(make_staff):
    with pytest.raises(ValueError):
        roles.has_capability(make_staff("admin"), "launch_rockets")


def test_roles_resync_when_capabilities_change(monkeypatch):
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType

    monkeypatch.setitem(roles.CAPABILITIES, "export_guest_lists", "Export guest lists")
    monkeypatch.setitem(roles.ROLES, "reporting", ("Reporting", roles.ROLES["reporting"][1] | {"export_guest_lists"}))
    roles.sync_roles(Group, Permission, ContentType)
    assert Group.objects.get(name="reporting").permissions.filter(codename="export_guest_lists").exists()
