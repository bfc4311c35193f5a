"""The CRM handoff service: store each delivery raw, check its signature, then create or match.

`receive` is what the webhook calls; `replay` re-processes a stored delivery after its cause is fixed.
Both answer a HandoffResult the API turns into a response, and both leave the CrmHandoff row
with its outcome, whatever happened.
"""

import hashlib
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction

from eventchain import audit, locks
from eventchain.errors import DomainError, NotFound, StateConflict, ValidationFailed

from . import handoff_payload, services, webhook
from .models import BillingEntity, Booking, Buyer, ConsentSource, Contact, CrmHandoff
from .queries import sales_agent_by_email

log = logging.getLogger(__name__)

ACTOR = "crm-webhook"
KEPT_HEADERS = ("Content-Type", "User-Agent", webhook.TIMESTAMP_HEADER, webhook.SIGNATURE_HEADER, "Idempotency-Key")
REPLAYABLE = (CrmHandoff.Outcome.INVALID, CrmHandoff.Outcome.FAILED)

# Service argument names → the payload paths an integrator sees.
BILLING_PATHS = {
    "legal_name": "billing_entity.legal_name", "tax_number": "billing_entity.tax_number",
    "email": "billing_entity.email", "address_line1": "billing_entity.address.line1",
    "address_line2": "billing_entity.address.line2", "city": "billing_entity.address.city",
    "region": "billing_entity.address.region", "postcode": "billing_entity.address.postcode",
    "country": "billing_entity.address.country",
}
# open_account names a billing error `billing_entity.<argument>` and a contact's `contacts.<n>.<field>`.
ACCOUNT_PATHS = {
    "name": "account.name", "crm_account_id": "account.crm_account_id", "contacts": "contacts",
    "billing_entity": "billing_entity", **{f"billing_entity.{arg}": path for arg, path in BILLING_PATHS.items()},
}
BOOKING_PATHS = {
    "event": "booking.event_code", "package": "booking.package_code", "headcount": "booking.headcount",
    "special_requirements": "booking.special_requirements", "po_number": "booking.po_number",
    "installments": "booking.payment_schedule", "crm_deal_id": "deal_id",
}


@dataclass(frozen=True)
class HandoffResult:
    status_code: int
    body: dict
    handoff: CrmHandoff


def _errors_body(errors: list[dict]) -> dict:
    return {"errors": [{"field": e.get("field"), "message": e["message"]} for e in errors]}


def receive(*, raw_body: bytes, headers) -> HandoffResult:
    """Handle one webhook delivery. The raw row, with whether its signature checked out (a computation that
    cannot fail), is committed before anything is processed."""
    try:
        webhook.verify(
            secret=settings.EVENTCHAIN_CRM_WEBHOOK_SECRET,
            timestamp=headers.get(webhook.TIMESTAMP_HEADER),
            signature_header=headers.get(webhook.SIGNATURE_HEADER),
            body=raw_body,
        )
        rejected = None
    except webhook.SignatureRejected as exc:
        rejected = exc
    except Exception as exc:  # noqa: BLE001 — whatever went wrong, the delivery is stored (refused) below
        log.exception("Checking a CRM handoff signature failed")
        rejected = webhook.SignatureRejected(f"The signature could not be checked ({type(exc).__name__}).")
    handoff = CrmHandoff.objects.create(
        raw_body=raw_body,
        headers={name: headers[name] for name in KEPT_HEADERS if name in headers},
        body_hash=hashlib.sha256(raw_body).hexdigest(),
        deal_id=handoff_payload.deal_id_of(raw_body),
        signature_valid=rejected is None,
    )
    if rejected is not None:
        return _finish(handoff, CrmHandoff.Outcome.UNAUTHORIZED, 401, _errors_body([{"field": None,
                                                                                      "message": str(rejected)}]))
    return _process(handoff)


def replay(*, actor, handoff_id: int) -> HandoffResult:
    """Process a stored delivery again as a new row linked by replay_of (no timestamp window: the
    signature was checked when it arrived). Only signed deliveries that were refused or failed qualify."""
    original = CrmHandoff.objects.filter(pk=handoff_id).first()
    if original is None:
        raise NotFound(f"CRM handoff delivery {handoff_id} does not exist.")
    if not original.signature_valid:
        raise StateConflict("This delivery's signature did not check out, so it cannot be replayed; "
                            "ask the CRM to send it again.")
    if original.outcome not in REPLAYABLE:
        raise StateConflict(f"Only refused or failed deliveries are replayed; this one is "
                            f"{original.get_outcome_display().lower()}.")
    again = CrmHandoff.objects.create(
        raw_body=bytes(original.raw_body), headers=original.headers, body_hash=original.body_hash,
        deal_id=original.deal_id, signature_valid=True, replay_of=original,
    )
    result = _process(again)
    audit.record(actor, "crm_handoff.replayed",
                 f"CRM handoff {original.deal_id or original.pk} replayed: {result.handoff.get_outcome_display()}",
                 target=again, data={"replay_of": original.pk, "outcome": result.handoff.outcome,
                                     "status_code": result.status_code})
    return result


def _finish(handoff: CrmHandoff, outcome: str, status_code: int, body: dict,
            booking: Booking | None = None) -> HandoffResult:
    handoff.outcome = outcome
    handoff.status_code = status_code
    handoff.errors = body.get("errors", [])
    handoff.booking = booking
    handoff.save(update_fields=["outcome", "status_code", "errors", "booking", "deal_id", "payload_hash"])
    return HandoffResult(status_code, body, handoff)


def _process(handoff: CrmHandoff) -> HandoffResult:
    try:
        payload = handoff_payload.parse(bytes(handoff.raw_body))
        handoff.deal_id = payload.deal_id
        handoff.payload_hash = handoff_payload.payload_hash(payload)
        return _accept(handoff, payload)
    except ValidationFailed as exc:
        return _finish(handoff, CrmHandoff.Outcome.INVALID, 422, _errors_body(exc.errors))
    except StateConflict as exc:
        return _finish(handoff, CrmHandoff.Outcome.CONFLICT, 409, _errors_body(exc.errors))
    except DomainError as exc:
        return _finish(handoff, CrmHandoff.Outcome.INVALID, 422, _errors_body(exc.errors))
    except Exception as exc:  # stored with the delivery so staff can fix the cause and replay it
        log.exception("CRM handoff %s failed", handoff.pk)
        return _finish(handoff, CrmHandoff.Outcome.FAILED, 500, _errors_body(
            [{"field": None, "message": f"Processing failed on our side ({type(exc).__name__}); it is stored and "
                                        "will be replayed once fixed."}]))


def _accept(handoff: CrmHandoff, payload: handoff_payload.HandoffIn) -> HandoffResult:
    for attempt in range(2):
        try:
            with transaction.atomic():
                # One deal at a time: a concurrent identical delivery waits here, then sees the booking. The
                # account's lock, always second, keeps two deals of one new account from both creating it.
                locks.advisory_xact_lock(("crm-deal", payload.deal_id),
                                         ("crm-account", payload.account.crm_account_id))
                existing = Booking.objects.filter(crm_deal_id=payload.deal_id).select_related("buyer").first()
                if existing is not None:
                    return _repeat(handoff, existing)
                booking = _create(payload)
                audit.record(ACTOR, "crm_handoff.accepted",
                             f"CRM deal {payload.deal_id} handed over as {booking.reference}", target=handoff,
                             data={"booking": booking.pk, "buyer": booking.buyer_id})
                return _finish(handoff, CrmHandoff.Outcome.CREATED, 201,
                               {"buyer": str(booking.buyer_id), "booking": str(booking.pk), "status": "created"},
                               booking)
        except IntegrityError:
            # Without advisory locks (not Postgres) the unique deal id is the backstop: look again.
            if attempt:
                raise
    raise AssertionError("unreachable")


def _repeat(handoff: CrmHandoff, existing: Booking) -> HandoffResult:
    first = (CrmHandoff.objects.filter(booking=existing, outcome=CrmHandoff.Outcome.CREATED)
             .order_by("received_at", "pk").first())
    if first is None or first.payload_hash != handoff.payload_hash:
        origin = "a different handoff body" if first else "a booking made in EventChain"
        raise StateConflict(
            f"Deal {existing.crm_deal_id} is already booking {existing.reference}, from {origin}. "
            "Change the booking in EventChain, or send a new deal id.",
            field="deal_id",
        )
    return _finish(handoff, CrmHandoff.Outcome.DUPLICATE, 200,
                   {"buyer": str(existing.buyer_id), "booking": str(existing.pk), "status": "duplicate"}, existing)


def _at(paths: dict[str, str], exc: ValidationFailed, prefix: str = "") -> ValidationFailed:
    """Re-address a service's errors (named by its arguments) to the payload's paths: a field named in `paths`
    whole, else by its first part (the rest kept: "contacts.0.email")."""
    errors = []
    for error in exc.errors:
        field = error.get("field")
        if field in paths:
            errors.append({"field": paths[field], "message": error["message"]})
            continue
        head, _, rest = (field or "").partition(".")
        mapped = paths.get(head, f"{prefix}{head}" if head else prefix.rstrip(".") or None)
        errors.append({"field": f"{mapped}.{rest}" if rest and mapped else mapped, "message": error["message"]})
    return ValidationFailed.from_list(errors)


def _create(payload: handoff_payload.HandoffIn) -> Booking:
    event, package = handoff_payload.resolve_catalogue(payload)
    buyer = Buyer.objects.filter(crm_account_id=payload.account.crm_account_id).first()
    if buyer is None:
        buyer, entity = _open_account(payload)
    else:
        buyer = _update_buyer(buyer, payload)
        _upsert_contacts(buyer, payload)
        entity = _upsert_billing_entity(buyer, payload)
    wanted = payload.booking
    try:
        return services.open_confirmed_booking(
            actor=ACTOR, buyer_id=buyer.pk, event=event, package=package, headcount=wanted.headcount,
            special_requirements=wanted.special_requirements, billing_entity=entity, crm_deal_id=payload.deal_id,
            po_number=wanted.po_number, installments=handoff_payload.installments(payload),
        )
    except ValidationFailed as exc:
        raise _at(BOOKING_PATHS, exc, "booking.") from exc


def _agent(payload: handoff_payload.HandoffIn) -> tuple:
    """The sales agent the CRM named, if EventChain knows them, with the email and name it sent."""
    email = payload.agent.email if payload.agent else ""
    return sales_agent_by_email(email), email, payload.agent.name if payload.agent else ""


def _open_account(payload: handoff_payload.HandoffIn) -> tuple[Buyer, BillingEntity]:
    """A new account: the buyer, its contacts and billing entity in one service call."""
    account, billing = payload.account, payload.billing_entity
    agent, agent_email, agent_name = _agent(payload)
    try:
        return services.open_account(
            actor=ACTOR, name=account.name, crm_account_id=account.crm_account_id, sales_agent=agent,
            unmatched_agent_email="" if agent else agent_email, unmatched_agent_name="" if agent else agent_name,
            contacts=[{"name": c.name, "email": c.email, "phone": c.phone, "role": c.role, "is_primary": c.primary,
                       "marketing_consent": c.marketing_consent} for c in payload.contacts],
            billing_entity={"legal_name": billing.legal_name, **_billing_fields(billing)},
            consent_source=ConsentSource.CRM,
        )
    except ValidationFailed as exc:
        raise _at(ACCOUNT_PATHS, exc, "account.") from exc


def _update_buyer(buyer: Buyer, payload: handoff_payload.HandoffIn) -> Buyer:
    """An account EventChain knows: it keeps an agent staff already chose; only an unowned one takes the CRM's."""
    agent, agent_email, agent_name = _agent(payload)
    if buyer.sales_agent_id is None:
        if agent is not None:
            buyer = services.assign_agent(actor=ACTOR, buyer_id=buyer.pk, agent=agent)
        else:
            buyer = services.flag_unmatched_agent(actor=ACTOR, buyer_id=buyer.pk, email=agent_email,
                                                  name=agent_name)
    return buyer


def _upsert_contacts(buyer: Buyer, payload: handoff_payload.HandoffIn) -> None:
    # Primary last, so promoting it demotes whichever contact was primary before.
    ordered = sorted(enumerate(payload.contacts), key=lambda item: item[1].primary)
    for n, contact in ordered:
        fields = {"name": contact.name, "phone": contact.phone, "role": contact.role}
        existing = Contact.objects.filter(buyer=buyer, email__iexact=contact.email).first()
        try:
            if existing is None:
                saved = services.add_contact(actor=ACTOR, buyer_id=buyer.pk, email=contact.email,
                                             is_primary=contact.primary, **fields)
            else:
                saved = services.update_contact(actor=ACTOR, contact_id=existing.pk,
                                                is_primary=contact.primary or None, **fields)
            if contact.marketing_consent is not None:
                services.set_marketing_consent(actor=ACTOR, contact_id=saved.pk, consent=contact.marketing_consent,
                                               source=ConsentSource.CRM)
        except ValidationFailed as exc:
            raise _at({}, exc, f"contacts.{n}.") from exc


def _billing_fields(billing: handoff_payload.BillingEntityIn) -> dict:
    return {
        "tax_number": billing.tax_number, "email": billing.email, "address_line1": billing.address.line1,
        "address_line2": billing.address.line2, "city": billing.address.city, "region": billing.address.region,
        "postcode": billing.address.postcode, "country": billing.address.country,
    }


def _upsert_billing_entity(buyer: Buyer, payload: handoff_payload.HandoffIn) -> BillingEntity:
    billing = payload.billing_entity
    fields = _billing_fields(billing)
    existing = BillingEntity.objects.filter(buyer=buyer, legal_name__iexact=billing.legal_name).first()
    try:
        if existing is None:
            return services.add_billing_entity(actor=ACTOR, buyer_id=buyer.pk, legal_name=billing.legal_name,
                                               **fields)
        return services.update_billing_entity(actor=ACTOR, billing_entity_id=existing.pk, **fields)
    except ValidationFailed as exc:
        raise _at(BILLING_PATHS, exc, "billing_entity.") from exc
