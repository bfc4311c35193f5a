"""Services check the staff actor's capability themselves, whatever page, token or script calls them.

The issue's four examples (sales cannot record payments; finance cannot reissue tickets; ticketing cannot
change prices; reporting is read-only) plus a sample in every lane: a user lacking the capability gets
PermissionRefused and nothing is written. System channels (labels, None) pass.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command

from eventchain import roles
from eventchain.errors import DomainError, PermissionRefused
from eventchain.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db, django_capture_on_commit_callbacks):
    from buyers.models import Booking

    with django_capture_on_commit_callbacks(execute=True):  # issuance runs after commit
        call_command("seed_demo", verbosity=0)
    return Booking.objects.filter(tickets__isnull=False).select_related("buyer", "event", "package").distinct().get()


def row_counts() -> dict[str, int]:
    return {m._meta.label: m.objects.count() for m in apps.get_models() if m._meta.managed and not m._meta.proxy}


def _cases(booking):
    """(role lacking the capability, capability, what is attempted, the call)."""
    from allocation import services as allocation
    from buyers import services as buyers
    from distribution.guestlists import services as guestlists
    from distribution.services import sending
    from eventchain import outbox, tokens
    from eventchain.catalogue import services as catalogue
    from eventchain.models import OutboxMessage
    from finance import services as finance
    from finance.models import Invoice
    from finance.services import connections
    from reporting import attendance
    from reporting.gate import devices, imports
    from reporting.gate.scans import ScanInput, record_scan
    from tickets import services as tickets

    invoice = Invoice.objects.filter(booking=booking).order_by("pk").first()
    ticket = booking.tickets.order_by("pk").first()
    event, package = booking.event, booking.package
    message = OutboxMessage.objects.order_by("pk").first()
    pay = dict(invoice_id=invoice.pk, amount=Decimal("1.00"), received_on=date.today(), reference="x")
    return [
        # the examples
        ("sales", "record_payments", "record a payment", lambda a: finance.record_payment(actor=a, **pay)),
        ("sales", "record_payments", "record a bank receipt",
         lambda a: finance.record_receipt(reference=invoice.number, amount=Decimal("1.00"), received_on=None, actor=a)),
        ("finance", "reissue_tickets", "reissue a ticket", lambda a: tickets.reissue_ticket(ticket_id=ticket.pk, actor=a)),
        ("finance", "reissue_tickets", "revoke a ticket", lambda a: tickets.revoke_ticket(ticket_id=ticket.pk, actor=a)),
        ("ticketing", "manage_catalogue", "change a package price",
         lambda a: catalogue.save_package(actor=a, package=package, unit_price=package.unit_price + 1)),
        ("ticketing", "manage_buyers", "amend a booking's headcount (its price)",
         lambda a: buyers.amend_booking(actor=a, booking_id=booking.pk, headcount=booking.headcount + 1, reason="x")),
        ("ticketing", "manage_buyers", "change deposit terms",
         lambda a: buyers.set_deposit_terms(actor=a, booking_id=booking.pk, installments=[], po_number="x")),
        ("ticketing", "allocate_stock", "grant a comp",
         lambda a: allocation.grant_comp(booking_id=booking.pk, actor=a, quantity=1, reason="x")),
        ("ticketing", "manage_invoices", "retry an invoice's ledger sync",
         lambda a: finance.retry_sync(actor=a, invoice_id=invoice.pk)),
        ("reporting", "manage_catalogue", "edit an event", lambda a: catalogue.save_event(actor=a, event=event, name="x")),
        ("reporting", "manage_buyers", "create a buyer", lambda a: buyers.create_buyer(actor=a, name="Reporting Co")),
        ("reporting", "allocate_stock", "allocate stock", lambda a: allocation.allocate_booking(booking_id=booking.pk,
                                                                                               actor=a)),
        ("reporting", "record_payments", "record a payment", lambda a: finance.record_payment(actor=a, **pay)),
        ("reporting", "issue_tickets", "replace the guest list",
         lambda a: tickets.set_guest_list(booking_id=booking.pk, guests=[], actor=a)),
        ("reporting", "distribute_tickets", "send tickets",
         lambda a: sending.start_distribution(booking_id=booking.pk, mode="bundle", actor=a)),
        ("reporting", "manage_gate", "create a scanner token",
         lambda a: devices.create_gate_device(actor=a, event_code=event.code, gate="Gate A")),
        ("reporting", "manage_api_tokens", "create an API token",
         lambda a: tokens.create_api_token(actor=a, user_email="admin@example.com", name="x")),
        # a sample in every lane
        ("fulfilment", "manage_buyers", "create a booking",
         lambda a: buyers.create_booking(actor=a, buyer_id=booking.buyer_id, event=event, package=package, headcount=2)),
        ("finance", "assign_agents", "assign an agent",
         lambda a: buyers.assign_agent(actor=a, buyer_id=booking.buyer_id, agent=a)),
        ("sales", "allocate_stock", "confirm an allocation",
         lambda a: allocation.confirm_allocation(booking_id=booking.pk, actor=a)),
        ("ticketing", "manage_stock", "create a hold",
         lambda a: allocation.create_hold(event_id=event.pk, name="x", owner="x", actor=a)),
        ("fulfilment", "manage_ledger", "switch the ledger", lambda a: connections.use_ledger(actor=a, backend="local")),
        ("sales", "issue_tickets", "issue tickets", lambda a: tickets.start_issuance(booking_id=booking.pk, actor=a)),
        ("finance", "manage_ticket_design", "rotate the signing key",
         lambda a: tickets.rotate_signing_key(event_id=event.pk, actor=a)),
        ("finance", "distribute_tickets", "resend a ticket", lambda a: sending.resend_ticket(ticket_id=ticket.pk, actor=a)),
        ("finance", "manage_buyers", "set the guest-name deadline",
         lambda a: guestlists.set_event_policy(event=event, names_due_at=event.starts_at, cutoff_at=event.starts_at,
                                               actor=a)),
        ("fulfilment", "manage_gate", "close attendance",
         lambda a: attendance.close_event_attendance(actor=a, event_id=event.pk)),
        ("sales", "manage_gate", "import gate scans",
         lambda a: imports.import_scans(actor=a, event_id=event.pk, file_name="x.csv", content=b"code\n")),
        ("sales", "manage_gate", "check a code at the exception desk",
         lambda a: record_scan(event=event, source="desk", staff=a, scan=ScanInput(code="EC1:x", gate="Desk",
                                                                                   scanned_at=event.starts_at))),
        ("ticketing", "manage_outbox", "re-queue an outbound message",
         lambda a: outbox.requeue(actor=a, message_id=message.pk if message else 1)),
    ]


def test_services_refuse_staff_without_the_capability_and_write_nothing(demo, make_staff):
    users = {role: make_staff(role) for role in roles.ROLE_NAMES}
    before_rows, before_audit = row_counts(), AuditEntry.objects.count()
    cases = _cases(demo)
    for role, capability, attempt, call in cases:
        assert not roles.has_capability(users[role], capability), f"{role} holds {capability}: bad case"
        with pytest.raises(PermissionRefused) as refused:
            call(users[role])
        assert "Your role does not allow this" in refused.value.message, attempt
    after_rows = row_counts()
    assert AuditEntry.objects.count() == before_audit
    assert {k: (v, after_rows[k]) for k, v in before_rows.items() if after_rows[k] != v} == {}
    assert {c[0] for c in cases} == set(roles.ROLE_NAMES) - {"admin"}


def test_holders_and_system_channels_pass_the_check(demo, make_staff):
    """Refusals other than PermissionRefused (state, validation) prove the capability check let them through."""
    cases = _cases(demo)
    admin = make_staff("admin")
    for actor in (admin, None, "ledger-sync", "contact:morgan.ellis@harbourbank.example", "crm-webhook"):
        for _, _, attempt, call in cases[:4]:
            try:
                call(actor)
            except PermissionRefused:  # pragma: no cover - the failure this test looks for
                pytest.fail(f"{actor!r} was refused: {attempt}")
            except DomainError:
                pass


def test_authorize_checks_users_only_and_costs_no_query_once_permissions_are_cached(
        make_staff, django_assert_num_queries):
    finance = make_staff("finance")
    roles.authorize(finance, "record_payments")
    with django_assert_num_queries(0):
        for _ in range(20):
            roles.authorize(finance, "record_payments")
            roles.authorize("scanner:Gate A", "manage_gate")
            roles.authorize(None, "record_payments")
    with pytest.raises(PermissionRefused):
        roles.authorize(finance, "reissue_tickets")
    with pytest.raises(PermissionRefused):
        roles.authorize(AnonymousUser(), "view_console")
    with pytest.raises(ValueError):
        roles.authorize(None, "launch_rockets")


def test_finance_retry_sync_needs_manage_invoices_not_manage_outbox(make_staff):
    """An outer action implies the inner one: finance re-queues its ledger messages without manage_outbox."""
    from eventchain import outbox
    from eventchain.models import OutboxMessage

    message = OutboxMessage.objects.create(kind="finance.post_invoice", payload={}, idempotency_key="k",
                                           status=OutboxMessage.Status.DEAD)
    finance = make_staff("finance")
    with pytest.raises(PermissionRefused):
        outbox.requeue(actor=finance, message_id=message.pk)
    requeued = outbox.requeue(actor=finance, message_id=message.pk, capability="manage_invoices")
    assert requeued.status == OutboxMessage.Status.PENDING
    assert AuditEntry.objects.get(action="outbox.requeued").actor == finance
