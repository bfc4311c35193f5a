"""A demo database plus rows about two people touching every classified column (DSAR and retention tests).

`build()` runs seed_demo, then puts PERSON and OTHER on the Harbour Bank booking (which seed_demo walks to
issued) as contacts, guests with tickets, address book entries, email recipients, a transfer between them,
claim links, portal sign-ins, scans, wallet registrations, uploads, CRM bodies, audit and outbox rows.
PERSON is also the addressee of the booking's tax invoice (a legal hold).
"""

import json
from dataclasses import dataclass
from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

from allocation.models import AllocationNote, Manifest
from buyers import services as buyer_services
from buyers.models import Booking, Buyer, Contact, CrmHandoff
from distribution.models import (
    ClaimLink,
    DeliveryMessage,
    EventMessageSent,
    GuestUpload,
    MessageKind,
    PortalLoginLink,
    TicketTransfer,
    TrackingEvent,
    TrackingKind,
)
from eventchain import audit, outbox
from eventchain.models import IdempotencyRecord, Job, OutboxAttempt, OutboxMessage
from eventchain.models.velocity import Flag, VelocityEvent
from finance.models import Invoice
from reporting.models import BookingActivity, Scan, ScanImport, ScanResult
from tickets import services as ticket_services
from tickets.models import AppleRegistration, Ticket, TicketStatus


@dataclass(frozen=True)
class Someone:
    name: str
    email: str
    phone: str


PERSON = Someone("Perpetua Quillfeather", "perpetua.quill@dsar-person.example", "+61 4 1234 5678")
OTHER = Someone("Octavia Otherwhistle", "octavia.other@dsar-other.example", "+61 4 8765 4321")


@dataclass
class Dataset:
    booking: Booking
    buyer: Buyer
    person_ticket: Ticket
    other_ticket: Ticket
    invoice: Invoice


def _someone_rows(who: Someone, booking: Booking, ticket: Ticket, admin, n: int) -> None:
    buyer = booking.buyer
    contact = buyer_services.add_contact(actor=admin, buyer_id=buyer.pk, name=who.name, email=who.email,
                                         phone=who.phone, role="EA to the CEO")
    PortalLoginLink.objects.create(contact=contact, token_hash=f"{n:064d}", requested_ip=f"203.0.113.{n}",
                                   expires_at=timezone.now() + timedelta(minutes=15))
    message = DeliveryMessage.objects.create(
        booking=booking, kind=MessageKind.GUEST_TICKET, recipient_email=who.email, recipient_name=who.name,
        subject=f"Your ticket, {who.name}", context={"to": who.email, "greeting": f"Dear {who.name}"},
        requested_by=f"contact:{who.email}", last_error=f"450 mailbox of {who.email} busy",
        smtp_response=f"250 accepted for {who.email}")
    message.tickets.add(ticket)
    TrackingEvent.objects.create(booking=booking, ticket=ticket, message=message, kind=TrackingKind.OPENED,
                                 data={"user_agent": f"Mail/{n} ({who.email})"})
    ClaimLink.objects.create(ticket=ticket, token_hash=f"{n + 50:064d}", created_by=f"contact:{who.email}",
                             sent_to=who.email, expires_at=timezone.now() + timedelta(days=3))
    EventMessageSent.objects.create(booking=booking, kind="confirmation", recipient_email=who.email)
    AppleRegistration.objects.create(device_library_id=f"device-{n}-{who.email}", push_token=f"push-{n}", ticket=ticket)
    Scan.objects.create(event=booking.event, code=ticket.code or f"EC1:{n}", ticket=ticket, booking=booking,
                        device_id=f"handset-{n}", scanned_at=timezone.now(), result=ScanResult.INVALID,
                        message="Not yet valid", response={"ticket": {"holder": who.name}})
    audit.record(f"contact:{who.email}", "distribution.portal_signed_in", f"{who.name} <{who.email}> signed in",
                 target=contact, data={"email": who.email, "name": who.name})
    outbox.enqueue("privacy.test", {"to": who.email, "name": who.name}, idempotency_key=f"privacy-test-{n}")
    OutboxMessage.objects.filter(idempotency_key=f"privacy-test-{n}").update(last_error=f"550 {who.email} unknown")
    OutboxAttempt.objects.create(message=OutboxMessage.objects.get(idempotency_key=f"privacy-test-{n}"), number=1,
                                 started_at=timezone.now(), finished_at=timezone.now(), succeeded=False,
                                 error=f"refused {who.email}")
    Job.objects.create(kind="privacy.test", errors=[{"message": f"bounced {who.email}"}])
    IdempotencyRecord.objects.create(scope=f"s{n}", key=f"k{n}", method="POST", path="/api/v1/x", request_hash="h",
                                     response_body=json.dumps({"email": who.email}).encode())
    BookingActivity.objects.create(booking=booking, buyer=buyer, kind=BookingActivity.Kind.DELIVERY,
                                   summary=f"Ticket emailed to {who.name}", data={"email": who.email})
    VelocityEvent.objects.create(rule="transfers", subject_type="ticket", subject_id=str(ticket.pk),
                                 actor_label=f"contact:{who.email}", at=timezone.now())
    Flag.objects.create(rule=f"privacy-{n}", subject_type="ticket", subject_id=str(ticket.pk), subject_label="t",
                        count=3, threshold=2, window_seconds=60, first_at=timezone.now(),
                        note=f"Called {who.name} to check")
    AllocationNote.objects.create(booking=booking, kind=AllocationNote.Kind.choices[0][0],
                                  message="Seat request", actor_label=f"contact:{who.email}")
    CrmHandoff.objects.create(deal_id=f"DSAR-{n}", body_hash="0" * 64, headers={"X-Contact": who.email},
                              raw_body=json.dumps({"contacts": [{"name": who.name, "email": who.email,
                                                                 "phone": who.phone}]}).encode(),
                              errors=[{"field": "contacts.0.email", "message": f"{who.email} is odd"}],
                              booking=booking)
    GuestUpload.objects.create(booking=booking, buyer=buyer, uploaded_by=f"contact:{who.email}",
                               filename=f"guests-{n}.csv", content=f"name,email\n{who.name},{who.email}\n".encode(),
                               errors=[{"row": 2, "message": f"{who.email} twice"}])
    ScanImport.objects.create(event=booking.event, file_name=f"gate-{n}.csv", content_hash=f"{n:064d}",
                              content=f"code,time,gate\n{ticket.code},x,{who.email}\n".encode(),
                              results=[{"row": 1, "message": f"{who.name}"}])


def build(admin) -> Dataset:
    call_command("seed_demo")
    booking = Booking.objects.get(buyer__name="Harbour Bank", event__code="GF2026")
    if not booking.tickets.exists():  # issuance runs after commit, which a test transaction never reaches
        ticket_services.stage_tickets(booking_id=booking.pk, actor=None)
        Ticket.objects.filter(booking=booking).update(status=TicketStatus.ISSUED)
    existing = [{"name": g.name, "email": g.email, "phone": g.phone, "requirements": g.requirements}
                for g in booking.guests.order_by("position")]
    people = [{"name": who.name, "email": who.email, "phone": who.phone,
               "requirements": f"Vegetarian; {who.name} uses a wheelchair"} for who in (PERSON, OTHER)]
    ticket_services.set_guest_list(booking_id=booking.pk, guests=existing + people, actor=admin)
    person_ticket = Ticket.objects.get(guest__email=PERSON.email)
    other_ticket = Ticket.objects.get(guest__email=OTHER.email)
    Ticket.objects.filter(pk=person_ticket.pk).update(google_save_url=f"https://pay.google.com/save/{PERSON.name}")
    _someone_rows(PERSON, booking, person_ticket, admin, 1)
    _someone_rows(OTHER, booking, other_ticket, admin, 2)
    TicketTransfer.objects.create(ticket=other_ticket, from_name=PERSON.name, from_email=PERSON.email,
                                  from_phone=PERSON.phone, to_name=OTHER.name, to_email=OTHER.email,
                                  from_generation=1, reason=f"{PERSON.name} cannot come", actor_label="staff")
    Booking.objects.filter(pk=booking.pk).update(special_requirements=f"{PERSON.name} needs step-free access")
    Buyer.objects.filter(pk=booking.buyer_id).update(notes=f"Ask {PERSON.name} about next season",
                                                    unmatched_agent_email=PERSON.email,
                                                    unmatched_agent_name=PERSON.name)
    Manifest.objects.filter(booking=booking).update(created_by_label=f"contact:{PERSON.email}")
    invoice = Invoice.objects.filter(booking=booking).order_by("pk").first()
    Invoice.objects.filter(pk=invoice.pk).update(bill_to_name=PERSON.name, bill_to_email=PERSON.email)
    invoice.refresh_from_db()
    Contact.objects.filter(email=OTHER.email).update(marketing_consent=True, consent_source="portal")
    return Dataset(booking=booking, buyer=booking.buyer, person_ticket=person_ticket, other_ticket=other_ticket,
                   invoice=invoice)


TEXT_TYPES = ("character varying", "text", "json", "jsonb", "character")


def search_database(term: str) -> list[tuple[str, str, object]]:
    """Every (table, column, id) in the whole database whose text, JSON or bytea value contains `term`.

    Reads information_schema, not the field registry, so a column nobody classified is searched too.
    """
    from django.db import connection

    hits = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT table_name, column_name, data_type FROM information_schema.columns "
                       "WHERE table_schema = current_schema() AND data_type = ANY(%s) ORDER BY 1, 2",
                       [list(TEXT_TYPES + ("bytea",))])
        columns = cursor.fetchall()
        cursor.execute("SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema() "
                       "AND column_name = 'id'")
        with_id = {row[0] for row in cursor.fetchall()}
        for table, column, kind in columns:
            value = f'encode("{column}", \'escape\')' if kind == "bytea" else f'"{column}"::text'
            key = '"id"' if table in with_id else "NULL"
            cursor.execute(f'SELECT {key} FROM "{table}" WHERE {value} ILIKE %s', [f"%{term}%"])
            hits += [(table, column, row[0]) for row in cursor.fetchall()]
    return hits
