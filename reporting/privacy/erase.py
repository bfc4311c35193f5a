"""DSAR erasure: anonymise or erase every classified field about one person, except under legal hold.

Rows are never deleted (counts, invoices and the audit trail stay whole): contact details become a
stable pseudonym or "[erased]", free text and payloads have the email and names masked. Tax invoices
(and the billing entity they are addressed to) inside the tax period are *held*: kept as issued and
listed in the result with the reason.

Live tickets: a guest with an issued ticket for an event that has not ended yet is refused unless
`force=True`, which revokes those tickets first (the holder's phone pass and QR stop working; the
coordinator names someone else). Erasing a person before their event is then a deliberate act.
"""

from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.utils import timezone

from buyers.models import BillingEntity
from eventchain import audit, privacy
from eventchain.errors import StateConflict, ValidationFailed
from eventchain.roles import authorize
from finance.models import Invoice
from tickets import files
from tickets import services as ticket_services
from tickets.models import Ticket, TicketStatus

from . import retention
from .people import RELATED, SUBJECT, Person, find_person, searchable_terms

S = privacy.Strategy
LIVE = (TicketStatus.ISSUED, TicketStatus.SENT)


@dataclass
class Erasure:
    reference: str
    counts: dict[str, int] = field(default_factory=dict)
    held: list[dict] = field(default_factory=list)
    revoked_tickets: int = 0


def reference_for(email: str) -> str:
    """A DSAR reference that names nobody but is the same for the same email (find it again later)."""
    return f"DSAR-{privacy.pseudonym(email, purpose='dsar')[:10].upper()}"


def _years_ago(today: date, years: int) -> date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def _invoice_hold(invoice: Invoice) -> str | None:
    years = retention.policy_for(invoice.booking.event).financial_years
    if invoice.issue_date >= _years_ago(timezone.localdate(), years):
        return f"tax invoice {invoice.number} issued {invoice.issue_date}: kept {years} years (tax records)"
    return None


def _entity_hold(entity: BillingEntity) -> str | None:
    for invoice in Invoice.objects.filter(billing_entity=entity).select_related("booking__event"):
        reason = _invoice_hold(invoice)
        if reason:
            return f"billing entity of {reason}"
    return None


HOLDS = {Invoice: _invoice_hold, BillingEntity: _entity_hold}


def _contains(value, terms: list[str]) -> bool:
    if isinstance(value, (bytes, memoryview)):
        text = bytes(value).decode("utf-8", "replace")
    elif isinstance(value, (dict, list)):
        text = repr(value)
    else:
        text = str(value or "")
    return any(term.lower() in text.lower() for term in terms)


def _new_values(row, rules, found, person: Person, mask, terms) -> dict:
    changes = {}
    for name, rule in rules.items():
        column = row._meta.get_field(name)
        current = getattr(row, name)
        if rule.strategy == S.MASK:
            value = privacy.mask_value(current, mask)
        elif rule.strategy in (S.ERASE, S.ANONYMISE):
            mine = (found.how == SUBJECT and rule.group in found.groups) or found.how == RELATED
            if not (mine or _contains(current, terms)):
                continue
            value = privacy.erased_value(column, rule, current, seed=person.email)
        else:
            continue
        if isinstance(current, memoryview):
            current = bytes(current)
        if value != current:
            changes[name] = value
    return changes


def _erase_held_candidate(row, rules, person: Person) -> dict:
    return {name: privacy.erased_value(row._meta.get_field(name), rule, getattr(row, name), seed=person.email)
            for name, rule in rules.items() if rule.strategy == S.KEEP_FOR_TAX and getattr(row, name)}


def _live_tickets(person: Person) -> list[Ticket]:
    now = timezone.now()
    return list(Ticket.objects.filter(pk__in=person.pks(Ticket), status__in=LIVE, event__ends_at__gt=now)
                .select_related("event"))


def erase_person(*, email: str, actor, reason: str, force: bool = False) -> Erasure:
    """Erase or anonymise everything about `email` (see the module docstring); returns what was done."""
    authorize(actor, "manage_privacy")
    if not (reason or "").strip():
        raise ValidationFailed("Say why the data is erased, e.g. 'Erasure request received 3 March by email'.",
                               field="reason")
    person = find_person(email)
    if "@" not in person.email:
        raise ValidationFailed("Enter the person's email address.", field="email")
    live = _live_tickets(person)
    if live and not force:
        raise StateConflict(
            f"This person holds {len(live)} live ticket(s) for an event that has not happened yet. Ask the "
            "coordinator to name someone else first, or erase with force to revoke the tickets."
        )
    result = Erasure(reference=reference_for(person.email))
    for ticket in live:
        ticket_services.revoke_ticket(ticket_id=ticket.pk, actor=actor, reason=f"Data erasure {result.reference}")
        result.revoked_tickets += 1
    person = find_person(email)  # revoking wrote audit entries that mention the ticket's guest
    mask = privacy.masker([person.email], sorted(person.names), sorted(person.phones))
    terms = searchable_terms(person) + sorted(person.names) + sorted(person.phones)
    with transaction.atomic():
        for model, rows in person.rows.items():
            rules = privacy.rules_for(model)
            changed = 0
            for pk, found in rows.items():
                row = model.objects.select_for_update().filter(pk=pk).first()
                if row is None:
                    continue
                changes = _new_values(row, rules, found, person, mask, terms)
                if found.how == SUBJECT and model in HOLDS:
                    hold = HOLDS[model](row)
                    if hold:
                        result.held.append({"model": model._meta.label, "id": pk, "reason": hold})
                    else:
                        changes.update(_erase_held_candidate(row, rules, person))
                if changes:
                    model.objects.filter(pk=pk).update(**changes)
                    changed += 1
            if changed:
                result.counts[model._meta.label] = changed
        audit.record(actor, "reporting.dsar_erased", f"Personal data erased for {result.reference}",
                     object_type="privacy.dsar", object_id=result.reference,
                     data={"reference": result.reference, "reason": mask(reason.strip())[:300],
                           "rows": result.counts, "held": [{k: h[k] for k in ("model", "id")} for h in result.held],
                           "revoked_tickets": result.revoked_tickets, "force": force})
        tickets = list(Ticket.objects.filter(pk__in=person.pks(Ticket)).values_list("event_id", "pk", "booking_id"))
        transaction.on_commit(lambda: [files.invalidate_ticket(*row) for row in tickets])
    return result
