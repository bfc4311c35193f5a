"""The retention schedule: the dry run reports what is due per event; the run erases exactly that, once."""

from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command

from distribution.models import AddressBookEntry, DeliveryMessage
from eventchain import privacy
from eventchain.models import AuditEntry
from finance.models import Invoice
from reporting.models import RetentionPolicy, Scan
from reporting.privacy import retention
from tickets.models import Guest

from .privacy_dataset import PERSON

pytestmark = pytest.mark.django_db


def _plan(result, code):
    return next(plan for plan in result["plans"] if plan.event.code == code)


def _section(plan, clock):
    return next(section for section in plan.sections if section.clock == clock)


def test_dry_run_reports_and_run_erases_guest_contacts_but_keeps_invoices_and_scans(data, admin):
    event = data.booking.event
    guests = Guest.objects.filter(booking__event=event).exclude(email="").count()
    with time_machine.travel(event.ends_at + timedelta(days=91), tick=False):
        dry = retention.report()
        plan = _plan(dry, event.code)
        contact = _section(plan, privacy.Retention.GUEST_CONTACT)
        assert contact.due and contact.rows["tickets.Guest"] == Guest.objects.filter(booking__event=event).count()
        assert contact.rows["distribution.AddressBookEntry"] >= guests
        assert not _section(plan, privacy.Retention.SCANS).due
        financial = _section(plan, privacy.Retention.FINANCIAL)
        assert not financial.due and "tax" in financial.kept_because
        # The dry run wrote nothing.
        assert Guest.objects.filter(email=PERSON.email).exists()
        assert not AuditEntry.objects.filter(action="reporting.retention_run").exists()

        retention.run(actor=admin)

        assert not Guest.objects.filter(booking__event=event).exclude(email="").exclude(
            email__endswith=f"@{privacy.ERASED_DOMAIN}").exists()
        assert not Guest.objects.filter(name=PERSON.name).exists()
        assert not AddressBookEntry.objects.filter(email=PERSON.email).exists()
        assert not DeliveryMessage.objects.filter(recipient_email=PERSON.email).exists()
        assert Invoice.objects.get(pk=data.invoice.pk).bill_to_email == PERSON.email
        assert Scan.objects.filter(event=event, device_id="handset-1").exists()
        entry = AuditEntry.objects.get(action="reporting.retention_run", object_id=str(event.pk))
        assert entry.data["rows"]["guest_contact"]["tickets.Guest"] == contact.rows["tickets.Guest"]
        assert PERSON.email not in str(entry.data) + entry.summary
        assert RetentionPolicy.objects.get(event=event).last_run_counts == entry.data["rows"]

        # Idempotent: nothing left to do, and a second run writes no audit entry for the event.
        assert _plan(retention.report(), event.code).total == 0
        retention.run(actor=admin)
        assert AuditEntry.objects.filter(action="reporting.retention_run", object_id=str(event.pk)).count() == 1

    with time_machine.travel(event.ends_at + timedelta(days=366), tick=False):
        plan = _plan(retention.report(), event.code)
        assert _section(plan, privacy.Retention.SCANS).rows["reporting.Scan"] >= 2
        retention.run(actor=admin)
        assert not Scan.objects.filter(event=event, device_id="handset-1").exists()


def test_event_policy_overrides_the_default_and_command_prints_the_dry_run(data, admin, capsys):
    event = data.booking.event
    RetentionPolicy.objects.create(event=event, guest_contact_days_after_event=200)
    with time_machine.travel(event.ends_at + timedelta(days=91), tick=False):
        contact = _section(_plan(retention.report(), event.code), privacy.Retention.GUEST_CONTACT)
        assert not contact.due and contact.rows["tickets.Guest"] > 0
        call_command("run_retention", "--dry-run")
        out = capsys.readouterr().out
        assert event.code in out and "dry run" in out.lower() and "not due" in out
        assert Guest.objects.filter(email=PERSON.email).exists()
    with time_machine.travel(event.ends_at + timedelta(days=201), tick=False):
        call_command("run_retention")
        assert not Guest.objects.filter(email=PERSON.email).exists()
        assert "erased" in capsys.readouterr().out.lower()
