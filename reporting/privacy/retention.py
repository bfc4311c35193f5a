"""The retention schedule: per event, what personal data is due for erasure, and erasing it.

Clocks start when the event ends (reporting.RetentionPolicy, defaults EVENTCHAIN_RETENTION_*):
- guest contact details (guests, emails sent, transfers, claim links, tracking, wallet registrations,
  raw guest uploads and CRM bodies, booking requirements) after `guest_contact_days_after_event`;
  address book entries once every event the person was invited to is past that point;
- gate scans (codes, device ids, the holder name shown) after `scans_days_after_event`;
- financial records (invoice addressee) are kept for `financial_years`, then anonymised.
Portal sign-in links are not tied to an event: their IP is erased after the default guest-contact days.

`report()` is the dry run; `run()` applies the same plan. Both are idempotent (erased values stay erased),
and the audit entry carries counts only.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from buyers.models import Booking, CrmHandoff
from distribution.models import (
    AddressBookEntry,
    ClaimLink,
    DeliveryMessage,
    EventMessageSent,
    GuestUpload,
    PortalLoginLink,
    TicketTransfer,
    TrackingEvent,
)
from eventchain import audit, privacy
from eventchain.models import Event
from eventchain.roles import authorize
from finance.models import Invoice
from reporting.models import RetentionPolicy, Scan, ScanImport
from tickets import files
from tickets.models import AppleRegistration, Guest, Ticket

R = privacy.Retention
# How each model's rows reach their event; the registry says which columns each clock erases.
EVENT_PATHS = {
    Guest: "booking__event", Ticket: "event", AppleRegistration: "ticket__event",
    DeliveryMessage: "booking__event", TrackingEvent: "booking__event", TicketTransfer: "ticket__event",
    GuestUpload: "booking__event", ClaimLink: "ticket__event", EventMessageSent: "booking__event",
    Booking: "event", CrmHandoff: "booking__event", Scan: "event", ScanImport: "event", Invoice: "booking__event",
}
CLOCKS = {
    R.GUEST_CONTACT: "Guest contact details",
    R.SCANS: "Gate scans",
    R.FINANCIAL: "Financial records (tax invoices)",
}
HOLD_REASON = "Tax invoices are kept for the tax period (5 years under Australian law; policy adds margin)."


def policy_for(event: Event) -> RetentionPolicy:
    """The event's saved policy, or an unsaved one holding the settings' defaults."""
    return RetentionPolicy.objects.filter(event=event).first() or RetentionPolicy(event=event)


def due_dates(event: Event, policy: RetentionPolicy) -> dict[str, datetime]:
    ends = event.ends_at
    try:
        financial = ends.replace(year=ends.year + policy.financial_years)
    except ValueError:
        financial = ends.replace(year=ends.year + policy.financial_years, day=28)
    return {R.GUEST_CONTACT: ends + timedelta(days=policy.guest_contact_days_after_event),
            R.SCANS: ends + timedelta(days=policy.scans_days_after_event), R.FINANCIAL: financial}


def _columns(model, clock: str) -> dict:
    return {name: rule for name, rule in privacy.rules_for(model).items()
            if rule.retention == clock and rule.strategy not in (privacy.Strategy.HASHED, privacy.Strategy.ENCRYPTED,
                                                                 privacy.Strategy.PLAINTEXT_SECRET)}


def _erasure(row, columns: dict) -> dict:
    """The columns that still hold data (a retention run erases outright: there is no one person to mask)."""
    changes = {}
    for name, rule in columns.items():
        current = getattr(row, name)
        if isinstance(current, memoryview):
            current = bytes(current)
        value = privacy.erased_value(row._meta.get_field(name), rule, current)
        if value != current:
            changes[name] = value
    return changes


@dataclass
class Section:
    clock: str
    what: str
    due_on: datetime
    due: bool
    rows: dict[str, int] = field(default_factory=dict)
    kept_because: str = ""

    @property
    def total(self) -> int:
        return sum(self.rows.values())


@dataclass
class EventPlan:
    event: Event
    policy: RetentionPolicy
    sections: list[Section]
    # (model, pk, changes) to apply; empty for a section not yet due.
    work: list[tuple] = field(default_factory=list, repr=False)

    @property
    def total(self) -> int:
        return sum(section.total for section in self.sections if section.due)


def _address_book_due(event: Event, now) -> list[AddressBookEntry]:
    """Entries invited to this event and to no event whose guest-contact clock is still running."""
    due = []
    for entry in AddressBookEntry.objects.filter(invitations__booking__event=event).distinct():
        invited_to = Event.objects.filter(pk__in=entry.invitations.values("booking__event"))
        if all(due_dates(other, policy_for(other))[R.GUEST_CONTACT] <= now for other in invited_to):
            due.append(entry)
    return due


def plan_event(event: Event, now=None) -> EventPlan:
    now = now or timezone.now()
    policy = policy_for(event)
    dates = due_dates(event, policy)
    plan = EventPlan(event=event, policy=policy, sections=[])
    for clock, what in CLOCKS.items():
        section = Section(clock=clock, what=what, due_on=dates[clock], due=dates[clock] <= now)
        if clock == R.FINANCIAL and not section.due:
            section.kept_because = HOLD_REASON
        plan.sections.append(section)
        rows = []
        for model, path in EVENT_PATHS.items():
            columns = _columns(model, clock)
            if columns:
                rows += [(row, columns) for row in model.objects.filter(**{path: event})]
        if clock == R.GUEST_CONTACT:
            columns = _columns(AddressBookEntry, clock)
            candidates = _address_book_due(event, now) if section.due else \
                list(AddressBookEntry.objects.filter(invitations__booking__event=event).distinct())
            rows += [(entry, columns) for entry in candidates]
        for row, columns in rows:
            changes = _erasure(row, columns)
            if changes:
                section.rows[row._meta.label] = section.rows.get(row._meta.label, 0) + 1
                if section.due:
                    plan.work.append((type(row), row.pk, changes))
    return plan


def _portal_links(now) -> list[tuple]:
    cutoff = now - timedelta(days=settings.EVENTCHAIN_RETENTION_GUEST_CONTACT_DAYS)
    return [(PortalLoginLink, pk, {"requested_ip": None}) for pk in PortalLoginLink.objects.filter(
        created_at__lt=cutoff, requested_ip__isnull=False).values_list("pk", flat=True)]


def report(*, events=None, now=None) -> dict:
    """The dry run: every event that has ended, what each clock would erase now, and what is kept."""
    now = now or timezone.now()
    events = events if events is not None else Event.objects.filter(ends_at__lt=now).order_by("ends_at")
    plans = [plan_event(event, now) for event in events]
    return {"now": now, "plans": plans, "portal_links": len(_portal_links(now)),
            "total": sum(plan.total for plan in plans) + len(_portal_links(now))}


def run(*, actor, events=None, now=None) -> dict:
    """Erase what is due (the dry run's plan), event by event; returns the report of what was erased."""
    authorize(actor, "manage_privacy")
    now = now or timezone.now()
    result = report(events=events, now=now)
    for plan in result["plans"]:
        if not plan.work:
            continue
        counts = {section.clock: section.rows for section in plan.sections if section.due and section.rows}
        with transaction.atomic():
            for model, pk, changes in plan.work:
                model.objects.filter(pk=pk).update(**changes)
            RetentionPolicy.objects.update_or_create(event=plan.event, defaults={
                "last_run_at": now, "last_run_counts": counts,
                "guest_contact_days_after_event": plan.policy.guest_contact_days_after_event,
                "scans_days_after_event": plan.policy.scans_days_after_event,
                "financial_years": plan.policy.financial_years})
            audit.record(actor, "reporting.retention_run", f"Retention schedule erased data of {plan.event.code}",
                         target=plan.event, data={"rows": counts})
            event_id = plan.event.pk
            transaction.on_commit(lambda event_id=event_id: files.invalidate_event(event_id))
    links = _portal_links(now)
    if links:
        with transaction.atomic():
            PortalLoginLink.objects.filter(pk__in=[pk for _, pk, _ in links]).update(requested_ip=None)
            audit.record(actor, "reporting.retention_run", "Retention schedule erased portal sign-in IPs",
                         data={"rows": {"distribution.PortalLoginLink": len(links)}})
    return result



def save_policy(*, actor, event_id: int, guest_contact_days_after_event, scans_days_after_event,
                financial_years) -> RetentionPolicy:
    """Set an event's retention clocks (validated: financial records at least the 5-year tax period)."""
    from django.core.exceptions import ValidationError

    from eventchain.errors import NotFound, ValidationFailed

    authorize(actor, "manage_privacy")
    with transaction.atomic():
        event = Event.objects.filter(pk=event_id).first()
        if event is None:
            raise NotFound("That event does not exist.")
        policy = policy_for(event)
        values = {"guest_contact_days_after_event": guest_contact_days_after_event,
                  "scans_days_after_event": scans_days_after_event, "financial_years": financial_years}
        for name, value in values.items():
            try:
                setattr(policy, name, int(value))
            except (TypeError, ValueError):
                raise ValidationFailed("Enter a whole number.", field=name) from None
        try:
            policy.full_clean(exclude=["event", "updated_by"])
        except ValidationError as exc:
            raise ValidationFailed.from_list([{"field": field, "message": " ".join(messages)}
                                              for field, messages in exc.message_dict.items()]) from exc
        policy.updated_by = actor if getattr(actor, "is_authenticated", False) else None
        policy.save()
        audit.record(actor, "reporting.retention_policy_saved", f"Retention policy of {event.code} saved",
                     target=event, data=values)
    return policy
