"""Finding everything about one person (by email) across every lane, from the field classification.

Three kinds of row are about a person:
- *subject* rows: a registered subject column (an email) equals theirs (contacts, guests, address book,
  emails sent, transfers, claim links, invoices);
- *related* rows: hang off a subject row (the guest's tickets, scans, wallet registrations, tracking
  events, a contact's portal links, audit entries about those rows, raw guest uploads of their bookings);
- *mentions*: a free-text or payload column (audit, outbox, raw CRM bodies...) contains their email
  or, for a name of two words or more, their name.
"""

from dataclasses import dataclass, field

from django.db import models
from django.db.models import Q

from buyers.models import Booking, Contact
from distribution.models import AddressBookEntry, DeliveryMessage, GuestUpload, PortalLoginLink, TrackingEvent
from eventchain import privacy
from eventchain.models import AuditEntry
from reporting.models import Attendance, Scan
from tickets.models import AppleRegistration, Guest, Ticket

SUBJECT, RELATED, MENTION = "subject", "related", "mention"
NAME_FIELDS = ("name", "recipient_name", "from_name", "to_name")
PHONE_FIELDS = ("phone", "from_phone")


@dataclass
class Found:
    """One row about the person: why it was found, and (subject rows) which field group is theirs."""

    how: str
    groups: set[str] = field(default_factory=set)


@dataclass
class Person:
    email: str
    names: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)
    rows: dict[type[models.Model], dict[int, Found]] = field(default_factory=dict)

    def add(self, model, pk, how: str, group: str | None = None) -> None:
        found = self.rows.setdefault(model, {}).setdefault(pk, Found(how))
        if how == SUBJECT:
            found.how = SUBJECT
        if group is not None:
            found.groups.add(group)

    def pks(self, model) -> list:
        return sorted(self.rows.get(model, {}))

    def counts(self) -> dict[str, int]:
        return {model._meta.label: len(rows) for model, rows in sorted(self.rows.items(), key=_label) if rows}

    @property
    def empty(self) -> bool:
        return not any(self.rows.values())


def _label(item):
    return item[0]._meta.label


def normalise(email: str) -> str:
    return (email or "").strip().lower()


def _subjects(person: Person) -> None:
    for model, rules in privacy.registry().items():
        for name, rule in rules.items():
            if not rule.subject:
                continue
            names = [key for key in NAME_FIELDS if key in rules and rules[key].group == rule.group]
            phones = [key for key in PHONE_FIELDS if key in rules and rules[key].group == rule.group]
            for row in model.objects.filter(**{f"{name}__iexact": person.email}).values("pk", *names, *phones):
                person.add(model, row["pk"], SUBJECT, rule.group)
                person.names.update(row[key].strip() for key in names if row[key].strip())
                person.phones.update(row[key].strip() for key in phones if row[key].strip())


def _related(person: Person) -> None:
    contacts, guests = person.pks(Contact), person.pks(Guest)
    messages = person.pks(DeliveryMessage)
    tickets = list(Ticket.objects.filter(guest__in=guests).values_list("id", flat=True))
    bookings = set(Guest.objects.filter(pk__in=guests).values_list("booking_id", flat=True))
    for pk in tickets:
        person.add(Ticket, pk, RELATED)
    for model, query in [
        (PortalLoginLink, Q(contact__in=contacts)),
        (AppleRegistration, Q(ticket__in=tickets)),
        (Scan, Q(ticket__in=tickets)),
        (Attendance, Q(ticket__in=tickets)),
        (TrackingEvent, Q(ticket__in=tickets) | Q(message__in=messages)),
        (GuestUpload, Q(booking__in=bookings)),
        (Booking, Q(pk__in=bookings) | Q(buyer__contacts__in=contacts)),
    ]:
        for pk in model.objects.filter(query).values_list("pk", flat=True).distinct():
            person.add(model, pk, RELATED)
    about = Q(pk__in=[])
    for model in (Contact, Guest, AddressBookEntry):
        if person.pks(model):
            about |= Q(object_type=model._meta.label_lower, object_id__in=[str(pk) for pk in person.pks(model)])
    for pk in AuditEntry.objects.filter(about).values_list("pk", flat=True):
        person.add(AuditEntry, pk, RELATED)


def searchable_terms(person: Person) -> list[str]:
    """The email, and names distinctive enough (two words or more) to search every text column for."""
    return [person.email] + sorted(name for name in person.names if len(name.split()) >= 2)


def _mentions(person: Person) -> None:
    terms = searchable_terms(person)
    for model, rules in privacy.registry().items():
        text_q, binary = Q(pk__in=[]), []
        for name, rule in rules.items():
            if rule.strategy not in (privacy.Strategy.MASK, privacy.Strategy.ERASE, privacy.Strategy.ANONYMISE):
                continue
            column = model._meta.get_field(name)
            if isinstance(column, models.BinaryField):
                binary.append(name)
            elif isinstance(column, (models.CharField, models.TextField, models.JSONField)):
                for term in terms:
                    text_q |= Q(**{f"{name}__icontains": term})
        for pk in model.objects.filter(text_q).values_list("pk", flat=True):
            person.add(model, pk, MENTION)
        lowered = [term.lower().encode() for term in terms]
        for name in binary:
            for pk, raw in model.objects.exclude(**{name: b""}).values_list("pk", name).iterator(chunk_size=200):
                if any(term in bytes(raw or b"").lower() for term in lowered):
                    person.add(model, pk, MENTION)


def find_person(email: str) -> Person:
    person = Person(email=normalise(email))
    if "@" not in person.email:
        return person
    _subjects(person)
    _related(person)
    _mentions(person)
    return person
