"""DSAR: find everything about an email, export it as a ZIP, erase it everywhere except legal holds."""

import csv
import io
import json
import zipfile

import pytest

from buyers.models import BillingEntity, Contact
from distribution.models import AddressBookEntry, DeliveryMessage, TicketTransfer
from eventchain import privacy
from eventchain.errors import StateConflict, ValidationFailed
from eventchain.models import AuditEntry, OutboxMessage
from reporting.privacy import people
from reporting.privacy.erase import erase_person, reference_for
from reporting.privacy.export import export_person
from tickets.models import Guest, Ticket, TicketStatus

from .privacy_dataset import OTHER, PERSON, search_database

pytestmark = pytest.mark.django_db


def test_find_person_covers_every_classified_column(data):
    person = people.find_person(PERSON.email.upper())
    assert PERSON.name in person.names
    uncovered = []
    for model, rules in privacy.registry().items():
        for name, rule in rules.items():
            if rule.strategy in (privacy.Strategy.HASHED, privacy.Strategy.ENCRYPTED,
                                 privacy.Strategy.PLAINTEXT_SECRET):
                continue
            if model._meta.label in ("finance.LedgerWebhook", "finance.UnmatchedReceipt", "buyers.BillingEntity"):
                continue  # ledger deliveries and billing entities carry company, not personal, data in this set
            values = model.objects.filter(pk__in=person.pks(model)).values_list(name, flat=True)
            if not any(value not in (None, "", b"", {}, []) for value in values):
                uncovered.append(f"{model._meta.label}.{name}")
    assert uncovered == []
    assert person.pks(Ticket) == [data.person_ticket.pk]


def test_export_zip_has_json_and_a_csv_per_table(data):
    name, content = export_person(PERSON.email)
    assert name.startswith("dsar-") and name.endswith(".zip") and PERSON.email not in name
    archive = zipfile.ZipFile(io.BytesIO(content))
    document = json.loads(archive.read("person.json"))
    person = people.find_person(PERSON.email)
    labels = {model._meta.label for model in person.rows}
    assert {f"{label}.csv" for label in labels} | {"person.json"} == set(archive.namelist())
    assert set(document["counts"]) == labels
    contacts = document["data"]["buyers"]["buyers.Contact"]
    assert [row["email"] for row in contacts if row["found_as"] == "subject"] == [PERSON.email]
    guests = list(csv.DictReader(io.StringIO(archive.read("tickets.Guest.csv").decode())))
    assert [(row["name"], row["email"]) for row in guests] == [(PERSON.name, PERSON.email)]
    assert OTHER.email not in archive.read("tickets.Guest.csv").decode()
    # Secrets never leave: the ticket's Apple auth token is classified as a secret.
    assert "apple_auth_token" not in archive.read("tickets.Ticket.csv").decode()


def test_erase_refuses_a_guest_with_a_live_ticket_unless_forced(data, admin):
    with pytest.raises(StateConflict, match="live ticket"):
        erase_person(email=PERSON.email, actor=admin, reason="Request by email")
    with pytest.raises(ValidationFailed):
        erase_person(email=PERSON.email, actor=admin, reason=" ", force=True)
    assert Guest.objects.filter(email=PERSON.email).exists()


def test_erase_leaves_the_email_and_name_nowhere_but_held_invoices(data, admin):
    other_before = {
        "contact": Contact.objects.filter(email=OTHER.email).values().get(),
        "guest": Guest.objects.filter(email=OTHER.email).values().get(),
        "book": AddressBookEntry.objects.filter(email=OTHER.email).values().get(),
        "message": DeliveryMessage.objects.filter(recipient_email=OTHER.email).values().get(),
    }
    audit_count = AuditEntry.objects.count()
    assert search_database(PERSON.email) and search_database(PERSON.name)

    result = erase_person(email=PERSON.email, actor=admin, reason="Erasure request 3 March", force=True)

    held = {("finance_invoice", data.invoice.pk)}
    for term in (PERSON.email, PERSON.name, PERSON.phone):
        leftovers = {(table, pk) for table, _column, pk in search_database(term)}
        assert leftovers <= held, f"{term!r} still in {sorted(leftovers - held)}"
    # The held invoice is untouched and reported with its reason.
    data.invoice.refresh_from_db()
    assert (data.invoice.bill_to_email, data.invoice.bill_to_name) == (PERSON.email, PERSON.name)
    assert [(h["model"], h["id"]) for h in result.held] == [("finance.Invoice", data.invoice.pk)]
    assert "tax" in result.held[0]["reason"]
    # Audit entries are masked, not deleted; the erasure's own entry names nobody.
    assert AuditEntry.objects.count() > audit_count
    masked = AuditEntry.objects.get(action="distribution.portal_signed_in",
                                    actor_label=f"contact:{privacy.pseudonym_email(PERSON.email)}")
    assert PERSON.name not in masked.summary and masked.data["email"] == privacy.pseudonym_email(PERSON.email)
    entry = AuditEntry.objects.get(action="reporting.dsar_erased")
    assert entry.object_id == reference_for(PERSON.email) == result.reference
    assert OutboxMessage.objects.filter(kind="privacy.test").count() == 2
    # The person's live ticket was revoked first (the event is still to come).
    assert Ticket.objects.get(pk=data.person_ticket.pk).status == TicketStatus.REVOKED
    assert result.revoked_tickets == 1
    # The other person is untouched, including their side of the transfer.
    assert Contact.objects.filter(email=OTHER.email).values().get() == other_before["contact"]
    assert Guest.objects.filter(email=OTHER.email).values().get() == other_before["guest"]
    assert AddressBookEntry.objects.filter(email=OTHER.email).values().get() == other_before["book"]
    assert DeliveryMessage.objects.filter(recipient_email=OTHER.email).values().get() == other_before["message"]
    transfer = TicketTransfer.objects.get()
    assert (transfer.to_name, transfer.to_email) == (OTHER.name, OTHER.email)
    assert transfer.from_email == privacy.pseudonym_email(PERSON.email)
    assert search_database(OTHER.email) and search_database(OTHER.name)
    # Erasing again finds only the held invoice and changes nothing.
    again = erase_person(email=PERSON.email, actor=admin, reason="Repeat request", force=True)
    assert again.counts == {} and again.revoked_tickets == 0


def test_billing_entity_with_a_recent_invoice_is_held(data, admin):
    entity = data.invoice.billing_entity
    BillingEntity.objects.filter(pk=entity.pk).update(email=PERSON.email)
    result = erase_person(email=PERSON.email, actor=admin, reason="Erasure request", force=True)
    assert ("buyers.BillingEntity", entity.pk) in [(h["model"], h["id"]) for h in result.held]
    assert BillingEntity.objects.get(pk=entity.pk).email == PERSON.email


def test_erase_needs_manage_privacy(data, make_staff):
    from eventchain.errors import PermissionRefused

    with pytest.raises(PermissionRefused):
        erase_person(email=PERSON.email, actor=make_staff("sales"), reason="x", force=True)
