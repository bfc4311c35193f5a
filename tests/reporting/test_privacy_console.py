"""Privacy console pages and the dsar command: capability, re-authentication, search, export, erase, retention."""

import io
import time
import zipfile

import pytest
from django.core.management import CommandError, call_command

from eventchain.models import AuditEntry, Event
from eventchain.reauth import AUTHENTICATED_AT
from reporting.models import RetentionPolicy
from tickets.models import Guest

from .privacy_dataset import PERSON, build

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(make_staff, client):
    client.force_login(make_staff("admin"))
    return client


def test_privacy_pages_need_manage_privacy(staff_client, catalogue):
    sales = staff_client("sales")
    for url in ("/console/reporting/privacy/", "/console/reporting/privacy/retention/"):
        assert sales.get(url).status_code == 403
    assert sales.post("/console/reporting/privacy/export/", {"email": "a@b.example"}).status_code == 403


def test_search_export_and_erase_through_the_console(admin_client, make_staff, tmp_path):
    build(make_staff("admin"))
    page = admin_client.post("/console/reporting/privacy/", {"email": PERSON.email})
    html = page.content.decode()
    assert page.status_code == 200 and "tickets.Guest" in html and "Export ZIP" in html and PERSON.name in html
    assert PERSON.email not in page.request["QUERY_STRING"]
    export = admin_client.post("/console/reporting/privacy/export/", {"email": PERSON.email})
    assert export["Content-Type"] == "application/zip"
    assert "person.json" in zipfile.ZipFile(io.BytesIO(export.content)).namelist()
    assert AuditEntry.objects.filter(action="reporting.dsar_exported").exists()

    form = {"email": PERSON.email, "confirm_email": PERSON.email, "reason": "Erasure request", "force": "on"}
    wrong = admin_client.post("/console/reporting/privacy/erase/", {**form, "confirm_email": "x@y.example"})
    assert wrong.status_code == 422 and "Type the email address again" in wrong.content.decode()
    # An old sign-in goes through re-authentication first, and nothing is erased.
    session = admin_client.session
    session[AUTHENTICATED_AT] = int(time.time()) - 3600
    session.save()
    stale = admin_client.post("/console/reporting/privacy/erase/", form)
    assert stale.status_code == 302 and "/reauth/" in stale["Location"]
    assert Guest.objects.filter(email=PERSON.email).exists()
    session = admin_client.session
    session[AUTHENTICATED_AT] = int(time.time())
    session.save()
    done = admin_client.post("/console/reporting/privacy/erase/", form)
    assert done.status_code == 200 and "DSAR-" in done.content.decode() and "legal hold" in done.content.decode()
    assert not Guest.objects.filter(email=PERSON.email).exists()


def test_retention_page_edits_a_policy_and_refuses_a_short_tax_period(admin_client, catalogue):
    page = admin_client.get("/console/reporting/privacy/retention/")
    assert page.status_code == 200 and "GF2026" in page.content.decode()
    url = "/console/reporting/privacy/retention/GF2026/"
    values = {"guest_contact_days_after_event": "30", "scans_days_after_event": "60", "financial_years": "7"}
    admin_client.post(url, values)
    policy = RetentionPolicy.objects.get(event=Event.objects.get(code="GF2026"))
    assert (policy.guest_contact_days_after_event, policy.scans_days_after_event) == (30, 60)
    response = admin_client.post(url, {**values, "financial_years": "3"}, follow=True)
    assert "financial_years" in response.content.decode()
    assert RetentionPolicy.objects.get(pk=policy.pk).financial_years == 7


def test_dsar_command_finds_exports_and_erases(make_staff, tmp_path, capsys):
    build(make_staff("admin"))
    call_command("dsar", "find", PERSON.email)
    assert "tickets.Guest: 1" in capsys.readouterr().out
    target = tmp_path / "out.zip"
    call_command("dsar", "export", PERSON.email, "--output", str(target))
    assert zipfile.ZipFile(target).read("person.json")
    with pytest.raises(CommandError, match="live ticket"):
        call_command("dsar", "erase", PERSON.email, "--reason", "Request")
    call_command("dsar", "erase", PERSON.email, "--reason", "Request", "--force")
    out = capsys.readouterr().out
    assert "Held finance.Invoice" in out and "DSAR-" in out
    assert not Guest.objects.filter(email=PERSON.email).exists()
