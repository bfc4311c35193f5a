"""Lane 02 writes: every business action on buyers, contacts, billing entities and bookings.

Each function takes keyword arguments, runs in one transaction, writes an audit entry and raises
an `eventchain.errors` error whose message says what to fix. Field names in errors are the
keyword arguments' names (the CRM handoff maps them onto its payload paths).
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from eventchain import audit
from eventchain.errors import NotFound, StateConflict, ValidationFailed
from eventchain.lifecycle import BookingStatus
from eventchain.models import Event, Package
from eventchain.roles import authorize

from . import lifecycle, rules, signals
from .models import BillingEntity, Booking, Buyer, ConsentSource, Contact, PaymentInstallment
from .queries import is_sales_agent, missing_for_allocation, missing_items

BUYER_FIELDS = ("name", "crm_account_id", "status", "notes")
CONTACT_FIELDS = ("name", "email", "phone", "role")
BILLING_FIELDS = (
    "legal_name", "tax_number", "email", "address_line1", "address_line2", "city", "region", "postcode", "country",
)

# ---------------------------------------------------------------- the lifecycle (used by every lane)


def transition(
    *, booking_id: int, to_status: str, actor, summary: str = "", data: dict | None = None
) -> Booking:
    """Move a booking to `to_status` if the lifecycle allows it; lock, write, audit, signal.

    Later lanes call this for their own moves (allocation: confirmed → allocated, and back on release).
    """
    if to_status not in BookingStatus.values:
        raise StateConflict(f"'{to_status}' is not a booking status; use one of {', '.join(BookingStatus.values)}.")
    with transaction.atomic():
        booking = _locked_booking(booking_id)
        from_status = booking.status
        if not lifecycle.can_move(from_status, to_status):
            allowed = ", ".join(lifecycle.next_statuses(from_status)) or "none (it is final)"
            raise StateConflict(
                f"Booking {booking.reference} is {from_status}; it cannot move to {to_status}. "
                f"Allowed next: {allowed}."
            )
        booking.status = to_status
        booking.status_changed_at = timezone.now()
        booking.save(update_fields=["status", "status_changed_at", "updated_at"])
        audit.record(
            actor,
            f"booking.{to_status}",
            summary or f"Booking {booking.reference} moved from {from_status} to {to_status}",
            target=booking,
            data={"from": from_status, "to": to_status, **(data or {})},
        )
        signals.booking_status_changed.send(
            sender=Booking, booking=booking, from_status=from_status, to_status=to_status, actor=actor
        )
    return booking


# ---------------------------------------------------------------- helpers


def _locked_booking(booking_id: int) -> Booking:
    booking = (
        Booking.objects.select_for_update(of=("self",))
        .select_related("buyer", "event", "package", "billing_entity")
        .filter(pk=booking_id)
        .first()
    )
    if booking is None:
        raise NotFound(f"Booking {booking_id} does not exist.")
    return booking


def _get(model, pk, label: str):
    row = model.objects.filter(pk=pk).first()
    if row is None:
        raise NotFound(f"{label} {pk} does not exist.")
    return row


def _clean(instance, *, exclude: tuple = ()) -> None:
    """Run the model's field validation; errors become ValidationFailed naming each field."""
    try:
        instance.full_clean(exclude=list(exclude), validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise ValidationFailed.from_list(
            [{"field": None if name == "__all__" else name, "message": message}
             for name, messages in exc.message_dict.items() for message in messages]
        ) from exc


def _changes(instance, fields: dict) -> dict:
    """Apply `fields` to `instance`; return {"field": {"from", "to"}} for what actually changed."""
    changed = {}
    for name, value in fields.items():
        before = getattr(instance, name)
        if before != value:
            changed[name] = {"from": _plain(before), "to": _plain(value)}
            setattr(instance, name, value)
    return changed


def _plain(value):
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


def _require_amendable(booking: Booking, action: str) -> None:
    if booking.status not in lifecycle.AMENDABLE_STATUSES:
        raise StateConflict(
            f"Booking {booking.reference} is {booking.get_status_display().lower()}: stock is allocated, so its "
            f"{action} cannot change here. Release the allocation first (Allocation lane), then amend."
        )


# ---------------------------------------------------------------- audit entries (step and composed services)


def _buyer_created(actor, buyer: Buyer):
    return audit.entry(actor, "buyer.created", f"Buyer {buyer} created", target=buyer, data={
        "crm_account_id": buyer.crm_account_id, "sales_agent": buyer.sales_agent.email if buyer.sales_agent else None,
        "unmatched_agent_email": buyer.unmatched_agent_email or None,
    })


def _contact_added(actor, contact: Contact):
    return audit.entry(
        actor, "contact.added", f"{contact} added to {contact.buyer}{' as primary' if contact.is_primary else ''}",
        target=contact, data={"buyer": contact.buyer_id, **{name: getattr(contact, name) for name in CONTACT_FIELDS},
                              "is_primary": contact.is_primary})


def _consent_changed(actor, contact: Contact, before: bool | None):
    return audit.entry(actor, "contact.consent_changed",
                       f"Marketing consent of contact {contact.pk}: {contact.marketing_consent}", target=contact,
                       data={"from": before, "to": contact.marketing_consent, "source": contact.consent_source})


def _billing_entity_added(actor, entity: BillingEntity):
    return audit.entry(actor, "billing_entity.added", f"Billing entity {entity} added to {entity.buyer}",
                       target=entity, data={"buyer": entity.buyer_id,
                                            **{name: getattr(entity, name) for name in BILLING_FIELDS}})


def _booking_created(actor, booking: Booking):
    return audit.entry(
        actor, "booking.created", f"Booking {booking.reference} created for {booking.buyer}: "
                                  f"{booking.package.code} × {booking.headcount} at {booking.event.code}",
        target=booking, data={"buyer": booking.buyer_id, "event": booking.event.code, "package": booking.package.code,
                              "headcount": booking.headcount, "value": str(booking.value),
                              "crm_deal_id": booking.crm_deal_id})


def _details_locked(actor, booking: Booking):
    return audit.entry(
        actor, "booking.details_locked", f"Event details of {booking.reference} confirmed: {booking.package.code} × "
                                         f"{booking.headcount} at {booking.event.code}",
        target=booking, data={"event": booking.event.code, "package": booking.package.code,
                              "headcount": booking.headcount, "units": booking.units_needed,
                              "value": str(booking.value)})


def _deposit_terms_set(actor, booking: Booking, installments: list[rules.Installment]):
    amounts = rules.installment_amounts(installments, booking.value)
    return audit.entry(
        actor, "booking.deposit_terms_set",
        f"Deposit terms of {booking.reference} set: " + ", ".join(
            f"{line.label} {amount} due {line.due_date}" for line, amount in zip(installments, amounts, strict=True)),
        target=booking,
        data={"po_number": booking.po_number, "release_on_deposit": booking.release_on_deposit,
              "installments": [{"label": line.label, "due_date": str(line.due_date), "percent": _plain(line.percent),
                                "amount": _plain(line.amount)} for line in installments]})


def _installment_rows(booking: Booking, installments: list[rules.Installment]) -> list[PaymentInstallment]:
    return PaymentInstallment.objects.bulk_create([
        PaymentInstallment(booking=booking, position=position, label=line.label, due_date=line.due_date,
                           percent=line.percent, amount=line.amount)
        for position, line in enumerate(installments, start=1)
    ])


# ---------------------------------------------------------------- buyers


def _check_agent(agent) -> None:
    if agent is not None and not is_sales_agent(agent):
        raise ValidationFailed(
            f"{agent.email or agent} is not an active sales agent; give them the sales role first.",
            field="sales_agent",
        )


def _check_crm_account(crm_account_id: str | None, buyer_id: int | None) -> None:
    if crm_account_id and Buyer.objects.filter(crm_account_id=crm_account_id).exclude(pk=buyer_id).exists():
        raise ValidationFailed(
            f"CRM account {crm_account_id} already belongs to another buyer; open that buyer instead.",
            field="crm_account_id",
        )


def create_buyer(
    *, actor, name: str, crm_account_id: str = "", sales_agent=None, status: str = Buyer.Status.ACTIVE,
    notes: str = "", unmatched_agent_email: str = "", unmatched_agent_name: str = "",
) -> Buyer:
    authorize(actor, "manage_buyers")
    buyer = Buyer(
        name=(name or "").strip(), crm_account_id=(crm_account_id or "").strip() or None, sales_agent=sales_agent,
        status=status, notes=notes, unmatched_agent_email=unmatched_agent_email,
        unmatched_agent_name=unmatched_agent_name,
    )
    _clean(buyer)
    _check_agent(sales_agent)
    with transaction.atomic():
        _check_crm_account(buyer.crm_account_id, None)
        buyer.save()
        _buyer_created(actor, buyer).save()
    return buyer


def update_buyer(*, actor, buyer_id: int, **fields) -> Buyer:
    """Change name, CRM account id, status or notes (the agent changes through assign_agent)."""
    authorize(actor, "manage_buyers")
    unknown = set(fields) - set(BUYER_FIELDS)
    if unknown:
        raise ValueError(f"update_buyer does not change {', '.join(sorted(unknown))}")
    if "crm_account_id" in fields:
        fields["crm_account_id"] = (fields["crm_account_id"] or "").strip() or None
    if "name" in fields:
        fields["name"] = (fields["name"] or "").strip()
    with transaction.atomic():
        buyer = Buyer.objects.select_for_update().filter(pk=buyer_id).first()
        if buyer is None:
            raise NotFound(f"Buyer {buyer_id} does not exist.")
        changed = _changes(buyer, fields)
        _clean(buyer)
        if not changed:
            return buyer
        _check_crm_account(buyer.crm_account_id, buyer.pk)
        buyer.save()
        audit.record(actor, "buyer.updated", f"Buyer {buyer} updated: {', '.join(changed)}", target=buyer,
                     data=changed)
    return buyer


def assign_agent(*, actor, buyer_id: int, agent) -> Buyer:
    """Give a buyer its sales agent; clears a CRM agent EventChain did not recognise."""
    authorize(actor, "assign_agents")
    if agent is None:
        raise ValidationFailed("Choose the sales agent who owns this buyer.", field="sales_agent")
    _check_agent(agent)
    with transaction.atomic():
        buyer = Buyer.objects.select_for_update().filter(pk=buyer_id).first()
        if buyer is None:
            raise NotFound(f"Buyer {buyer_id} does not exist.")
        previous = buyer.sales_agent.email if buyer.sales_agent_id else None
        unmatched = buyer.unmatched_agent_email
        buyer.sales_agent = agent
        buyer.unmatched_agent_email = ""
        buyer.unmatched_agent_name = ""
        buyer.save(update_fields=["sales_agent", "unmatched_agent_email", "unmatched_agent_name", "updated_at"])
        audit.record(actor, "buyer.agent_assigned", f"{buyer} assigned to {agent.email}", target=buyer,
                     data={"from": previous, "to": agent.email, "crm_agent_email": unmatched or None})
    return buyer


def flag_unmatched_agent(*, actor, buyer_id: int, email: str, name: str = "") -> Buyer:
    """Record an agent the CRM named but EventChain does not know; the buyer joins the assignment queue."""
    authorize(actor, "assign_agents")
    with transaction.atomic():
        buyer = Buyer.objects.select_for_update().filter(pk=buyer_id).first()
        if buyer is None:
            raise NotFound(f"Buyer {buyer_id} does not exist.")
        if buyer.sales_agent_id or (buyer.unmatched_agent_email == email and buyer.unmatched_agent_name == name):
            return buyer
        buyer.unmatched_agent_email, buyer.unmatched_agent_name = email, name
        buyer.save(update_fields=["unmatched_agent_email", "unmatched_agent_name", "updated_at"])
        audit.record(actor, "buyer.agent_unmatched",
                     f"{buyer} needs a sales agent: the CRM named {email or 'nobody'}, who is not a sales agent here",
                     target=buyer, data={"email": email, "name": name})
    return buyer


# ---------------------------------------------------------------- contacts


def _normalise_contact(fields: dict) -> dict:
    clean = {k: (v or "").strip() for k, v in fields.items()}
    if "email" in clean:
        clean["email"] = clean["email"].lower()
    return clean


def _check_contact_email(buyer_id: int, email: str, contact_id: int | None) -> None:
    if Contact.objects.filter(buyer_id=buyer_id, email__iexact=email).exclude(pk=contact_id).exists():
        raise ValidationFailed(f"{email} is already a contact of this buyer; edit that contact instead.",
                               field="email")


def _make_primary(contact: Contact) -> None:
    # One primary per buyer is a database constraint: demote the old one before promoting.
    Contact.objects.filter(buyer_id=contact.buyer_id, is_primary=True).exclude(pk=contact.pk).update(
        is_primary=False
    )


def add_contact(*, actor, buyer_id: int, name: str, email: str, phone: str = "", role: str = "",
                is_primary: bool = False) -> Contact:
    """Add a contact; the buyer's first contact is always primary, and a new primary replaces the old."""
    authorize(actor, "manage_buyers")
    fields = _normalise_contact({"name": name, "email": email, "phone": phone, "role": role})
    with transaction.atomic():
        buyer = Buyer.objects.select_for_update().filter(pk=buyer_id).first()
        if buyer is None:
            raise NotFound(f"Buyer {buyer_id} does not exist.")
        contact = Contact(buyer=buyer, **fields)
        _clean(contact)
        _check_contact_email(buyer.pk, contact.email, None)
        contact.is_primary = is_primary or not buyer.contacts.filter(is_primary=True).exists()
        if contact.is_primary:
            _make_primary(contact)
        contact.save()
        _contact_added(actor, contact).save()
    return contact


def update_contact(*, actor, contact_id: int, is_primary: bool | None = None, **fields) -> Contact:
    """Edit a contact. Making it primary demotes the previous primary; the primary cannot simply be unset."""
    authorize(actor, "manage_buyers")
    unknown = set(fields) - set(CONTACT_FIELDS)
    if unknown:
        raise ValueError(f"update_contact does not change {', '.join(sorted(unknown))}")
    fields = _normalise_contact(fields)
    with transaction.atomic():
        contact = Contact.objects.select_for_update().select_related("buyer").filter(pk=contact_id).first()
        if contact is None:
            raise NotFound(f"Contact {contact_id} does not exist.")
        if is_primary is False and contact.is_primary:
            raise ValidationFailed(
                "A buyer always has one primary contact: make another contact primary instead.", field="is_primary"
            )
        changed = _changes(contact, fields)
        _clean(contact)
        if "email" in changed:
            _check_contact_email(contact.buyer_id, contact.email, contact.pk)
        if is_primary and not contact.is_primary:
            _make_primary(contact)
            contact.is_primary = True
            changed["is_primary"] = {"from": False, "to": True}
        if not changed:
            return contact
        contact.save()
        audit.record(actor, "contact.updated", f"Contact {contact} of {contact.buyer} updated: {', '.join(changed)}",
                     target=contact, data={"buyer": contact.buyer_id, **changed})
    return contact


def remove_contact(*, actor, contact_id: int) -> None:
    authorize(actor, "manage_buyers")
    with transaction.atomic():
        contact = Contact.objects.select_for_update().select_related("buyer").filter(pk=contact_id).first()
        if contact is None:
            raise NotFound(f"Contact {contact_id} does not exist.")
        if contact.is_primary and contact.buyer.contacts.exclude(pk=contact.pk).exists():
            raise StateConflict(f"{contact.name} is the primary contact: make another contact primary first.")
        audit.record(actor, "contact.removed", f"Contact {contact} removed from {contact.buyer}", target=contact,
                     data={"buyer": contact.buyer_id, "email": contact.email})
        contact.delete()


# ---------------------------------------------------------------- billing entities


def _normalise_billing(fields: dict) -> dict:
    clean = {k: (v or "").strip() for k, v in fields.items()}
    if "country" in clean:
        clean["country"] = clean["country"].upper()
    if "email" in clean:
        clean["email"] = clean["email"].lower()
    return clean


def _check_billing_fields(entity: BillingEntity) -> None:
    _clean(entity, exclude=("buyer",))
    message = rules.tax_number_error(entity.tax_number, entity.country)
    if message:
        raise ValidationFailed(message, field="tax_number")
    if entity.country == "AU" and entity.tax_number:
        entity.tax_number = rules.format_abn(entity.tax_number)


def _check_billing(entity: BillingEntity) -> None:
    _check_billing_fields(entity)
    duplicate = BillingEntity.objects.filter(buyer_id=entity.buyer_id, legal_name__iexact=entity.legal_name)
    if duplicate.exclude(pk=entity.pk).exists():
        raise ValidationFailed(f"This buyer already has a billing entity called {entity.legal_name}.",
                               field="legal_name")


def add_billing_entity(*, actor, buyer_id: int, **fields) -> BillingEntity:
    authorize(actor, "manage_buyers")
    unknown = set(fields) - set(BILLING_FIELDS)
    if unknown:
        raise ValueError(f"add_billing_entity does not take {', '.join(sorted(unknown))}")
    with transaction.atomic():
        buyer = Buyer.objects.select_for_update().filter(pk=buyer_id).first()
        if buyer is None:
            raise NotFound(f"Buyer {buyer_id} does not exist.")
        entity = BillingEntity(buyer=buyer, **_normalise_billing(fields))
        _check_billing(entity)
        entity.save()
        _billing_entity_added(actor, entity).save()
    return entity


def update_billing_entity(*, actor, billing_entity_id: int, **fields) -> BillingEntity:
    authorize(actor, "manage_buyers")
    unknown = set(fields) - set(BILLING_FIELDS)
    if unknown:
        raise ValueError(f"update_billing_entity does not change {', '.join(sorted(unknown))}")
    with transaction.atomic():
        entity = BillingEntity.objects.select_for_update().filter(pk=billing_entity_id).first()
        if entity is None:
            raise NotFound(f"Billing entity {billing_entity_id} does not exist.")
        changed = _changes(entity, _normalise_billing(fields))
        _check_billing(entity)
        if not changed:
            return entity
        entity.save()
        audit.record(actor, "billing_entity.updated", f"Billing entity {entity} updated: {', '.join(changed)}",
                     target=entity, data={"buyer": entity.buyer_id, **changed})
    return entity


# ---------------------------------------------------------------- bookings


def _check_booking_choice(*, event: Event, package: Package, headcount, billing_entity, buyer: Buyer) -> None:
    errors = []
    if event.status in (Event.Status.CLOSED, Event.Status.CANCELLED):
        errors.append({"field": "event", "message": f"{event.code} is {event.get_status_display().lower()}; "
                                                    "choose an event that is on sale"})
    if package.event_id != event.pk:
        errors.append({"field": "package", "message": f"package {package.code} is not sold for {event.code}"})
    elif not package.active:
        errors.append({"field": "package", "message": f"package {package.code} is no longer sold"})
    if not isinstance(headcount, int) or headcount < 1:
        errors.append({"field": "headcount", "message": "must be a whole number of guests, at least 1"})
    if billing_entity is not None and billing_entity.buyer_id != buyer.pk:
        errors.append({"field": "billing_entity", "message": "choose one of this buyer's billing entities"})
    if errors:
        raise ValidationFailed.from_list(errors)


def _check_deal(crm_deal_id: str | None, booking_id: int | None) -> None:
    if crm_deal_id and Booking.objects.filter(crm_deal_id=crm_deal_id).exclude(pk=booking_id).exists():
        raise ValidationFailed(f"CRM deal {crm_deal_id} is already linked to another booking.", field="crm_deal_id")


def create_booking(
    *, actor, buyer_id: int, event: Event, package: Package, headcount: int, special_requirements: str = "",
    po_number: str = "", billing_entity: BillingEntity | None = None, crm_deal_id: str | None = None,
) -> Booking:
    """A draft booking. Lock its details with confirm_event_details, then set deposit terms."""
    authorize(actor, "manage_buyers")
    with transaction.atomic():
        buyer = Buyer.objects.select_for_update().filter(pk=buyer_id).first()
        if buyer is None:
            raise NotFound(f"Buyer {buyer_id} does not exist.")
        _check_booking_choice(event=event, package=package, headcount=headcount, billing_entity=billing_entity,
                              buyer=buyer)
        booking = Booking(
            buyer=buyer, event=event, package=package, headcount=headcount, billing_entity=billing_entity,
            special_requirements=(special_requirements or "").strip(), po_number=(po_number or "").strip(),
            crm_deal_id=crm_deal_id or None, status=BookingStatus.DRAFT,
        )
        _clean(booking, exclude=("buyer", "event", "package", "billing_entity"))
        _check_deal(booking.crm_deal_id, None)
        booking.save()
        _booking_created(actor, booking).save()
    return booking


def update_booking(
    *, actor, booking_id: int, event: Event | None = None, package: Package | None = None,
    headcount: int | None = None, special_requirements: str | None = None,
    billing_entity: BillingEntity | None = None, clear_billing_entity: bool = False,
) -> Booking:
    """Edit a booking before allocation. Event, package and headcount change here only until they are
    locked; after that they change through amend_booking, with a reason."""
    authorize(actor, "manage_buyers")
    with transaction.atomic():
        booking = _locked_booking(booking_id)
        _require_amendable(booking, "details")
        fields = {}
        details = {"event": event, "package": package, "headcount": headcount}
        details = {k: v for k, v in details.items() if v is not None and v != getattr(booking, k)}
        if details and booking.details_locked:
            raise StateConflict(
                f"The event details of {booking.reference} are locked; amend the booking with a reason instead.",
                field=next(iter(details)),
            )
        fields.update(details)
        if special_requirements is not None:
            fields["special_requirements"] = special_requirements.strip()
        if billing_entity is not None or clear_billing_entity:
            fields["billing_entity"] = billing_entity
        changed = _changes(booking, fields)
        _check_booking_choice(event=booking.event, package=booking.package, headcount=booking.headcount,
                              billing_entity=booking.billing_entity, buyer=booking.buyer)
        if not changed:
            return booking
        booking.save()
        audit.record(actor, "booking.updated", f"Booking {booking.reference} updated: {', '.join(changed)}",
                     target=booking, data=changed)
    return booking


def confirm_event_details(*, actor, booking_id: int) -> Booking:
    """Lock event, package and headcount: from here on they change only through amend_booking."""
    authorize(actor, "manage_buyers")
    with transaction.atomic():
        booking = _locked_booking(booking_id)
        if booking.details_locked:
            raise StateConflict(f"The event details of {booking.reference} are already locked.")
        _require_amendable(booking, "details")
        _check_booking_choice(event=booking.event, package=booking.package, headcount=booking.headcount,
                              billing_entity=booking.billing_entity, buyer=booking.buyer)
        booking.details_locked_at = timezone.now()
        booking.save(update_fields=["details_locked_at", "updated_at"])
        _details_locked(actor, booking).save()
    return booking


def amend_booking(
    *, actor, booking_id: int, reason: str, event: Event | None = None, package: Package | None = None,
    headcount: int | None = None,
) -> Booking:
    """Change locked event details, with a reason. Refused once stock is allocated (release it first)."""
    authorize(actor, "manage_buyers")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Say why the booking changes (the buyer's request, a venue change …).", field="reason")
    with transaction.atomic():
        booking = _locked_booking(booking_id)
        _require_amendable(booking, "event, package and headcount")
        if not booking.details_locked:
            raise StateConflict(f"The details of {booking.reference} are not locked yet; edit the booking directly.")
        before_value = booking.value
        requested = {"event": event, "package": package, "headcount": headcount}
        if event is not None and package is None and booking.package.event_id != event.pk:
            # Moving to another event: keep the same package code if that event sells it.
            requested["package"] = Package.objects.filter(event=event, code=booking.package.code).first()
            if requested["package"] is None:
                raise ValidationFailed(f"{event.code} does not sell {booking.package.code}; choose a package.",
                                       field="package")
        changed = _changes(booking, {k: v for k, v in requested.items() if v is not None})
        if not changed:
            raise ValidationFailed("Nothing to amend: change the event, package or headcount.", field=None)
        _check_booking_choice(event=booking.event, package=booking.package, headcount=booking.headcount,
                              billing_entity=booking.billing_entity, buyer=booking.buyer)
        _check_schedule_still_fits(booking, before_value)
        booking.save()
        audit.record(actor, "booking.amended", f"Booking {booking.reference} amended: {reason}", target=booking,
                     data={"reason": reason, "changes": changed, "value": {"from": str(before_value),
                                                                           "to": str(booking.value)}})
    return booking


def _check_schedule_still_fits(booking: Booking, before_value) -> None:
    lines = list(booking.installments.all())
    if not lines or booking.value == before_value or all(line.percent is not None for line in lines):
        return
    raise ValidationFailed(
        f"The deposit terms are fixed amounts totalling {before_value}, but the amended booking is worth "
        f"{booking.value}. Change the deposit terms to percentages first, then amend.",
        field="installments",
    )


def set_deposit_terms(
    *, actor, booking_id: int, installments: list[rules.Installment], po_number: str | None = None,
    release_on_deposit: bool | None = None,
) -> Booking:
    """Replace the payment schedule (percentages totalling 100, or amounts totalling the booking value,
    due dates in order) and record the buyer's PO number."""
    authorize(actor, "manage_buyers")
    with transaction.atomic():
        booking = _locked_booking(booking_id)
        _require_amendable(booking, "deposit terms")
        errors = rules.schedule_errors(installments, booking.value, field="installments")
        if errors:
            raise ValidationFailed.from_list(errors)
        booking.installments.all().delete()
        _installment_rows(booking, installments)
        if po_number is not None:
            booking.po_number = po_number.strip()
        if release_on_deposit is not None:
            booking.release_on_deposit = release_on_deposit
        booking.save(update_fields=["po_number", "release_on_deposit", "updated_at"])
        _deposit_terms_set(actor, booking, installments).save()
    return booking


def mark_ready_for_allocation(*, actor, booking_id: int) -> Booking:
    """draft → confirmed: the booking goes to fulfilment's queue. Refuses naming every missing item."""
    authorize(actor, "manage_buyers")
    with transaction.atomic():
        booking = _locked_booking(booking_id)
        if booking.status != BookingStatus.DRAFT:
            raise StateConflict(f"Booking {booking.reference} is already {booking.get_status_display().lower()}.")
        missing = missing_for_allocation(booking)
        if missing:
            raise ValidationFailed(
                f"Booking {booking.reference} is not ready for allocation: "
                + "; ".join(item["message"] for item in missing) + ".",
                errors=missing,
            )
        return transition(booking_id=booking.pk, to_status=BookingStatus.CONFIRMED, actor=actor,
                          summary=f"Booking {booking.reference} ready for allocation",
                          data={"value": str(booking.value)})



def set_marketing_consent(*, actor, contact_id: int, consent: bool | None, source: str) -> Contact:
    """Record a contact's marketing consent (None: unknown) and where it came from; the CRM receives it back."""
    if source != ConsentSource.PORTAL:  # a contact changes their own consent in the portal, scoped by sign-in
        authorize(actor, "manage_buyers")
    if source not in ConsentSource.values:
        raise ValidationFailed(f"Consent source must be one of {', '.join(ConsentSource.values)}.", field="source")
    with transaction.atomic():
        contact = Contact.objects.select_for_update().filter(pk=contact_id).first()
        if contact is None:
            raise NotFound(f"Contact {contact_id} does not exist.")
        if contact.marketing_consent == consent and contact.consent_source == source:
            return contact
        before = contact.marketing_consent
        contact.marketing_consent, contact.consent_source = consent, source
        contact.consent_updated_at = timezone.now()
        contact.save(update_fields=["marketing_consent", "consent_source", "consent_updated_at"])
        _consent_changed(actor, contact, before).save()
    return contact


# ---------------------------------------------------------------- composed: a CRM deal in one transaction
# A CRM handoff does what a person does in six steps. These two services do the same checks and leave the same
# rows and audit entries as those steps, with one lock and a handful of statements instead of sixty. Inside a
# caller's transaction they take no savepoint (two round trips each): on any error the caller's transaction is
# rolled back whole, which is what the handoff does anyway.


def _within(prefix: str, exc: ValidationFailed) -> ValidationFailed:
    """Errors of a nested part (a contact, the billing entity) named by their path: "contacts.0.email"."""
    return ValidationFailed.from_list([{"field": f"{prefix}.{e['field']}" if e.get("field") else prefix,
                                        "message": e["message"]} for e in exc.errors])


def _new_contacts(contacts: list[dict], consent_source: str) -> list[Contact]:
    made, seen = [], set()
    for n, wanted in enumerate(contacts):
        fields = _normalise_contact({name: wanted.get(name, "") for name in CONTACT_FIELDS})
        contact = Contact(**fields, is_primary=bool(wanted.get("is_primary")))
        if wanted.get("marketing_consent") is not None:
            contact.marketing_consent, contact.consent_source = wanted["marketing_consent"], consent_source
            contact.consent_updated_at = timezone.now()
        try:
            _clean(contact, exclude=("buyer",))
        except ValidationFailed as exc:
            raise _within(f"contacts.{n}", exc) from exc
        if contact.email in seen:
            raise ValidationFailed(f"{contact.email} is listed twice.", field=f"contacts.{n}.email")
        seen.add(contact.email)
        made.append(contact)
    primaries = [contact for contact in made if contact.is_primary]
    if len(primaries) > 1:
        raise ValidationFailed(f"Mark one contact as primary, not {len(primaries)}.", field="contacts")
    if made and not primaries:
        made[0].is_primary = True  # as add_contact: a buyer's first contact is primary
    return made


def open_account(
    *, actor, name: str, crm_account_id: str, contacts: list[dict], billing_entity: dict, sales_agent=None,
    unmatched_agent_email: str = "", unmatched_agent_name: str = "", consent_source: str = ConsentSource.CRM,
) -> tuple[Buyer, BillingEntity]:
    """A new buyer with its contacts and billing entity: create_buyer, add_contact (and set_marketing_consent)
    and add_billing_entity in one transaction, with the same checks and audit entries.

    Each contact is a dict of CONTACT_FIELDS with `is_primary` and optional `marketing_consent`; the first is
    primary if none is marked. `billing_entity` holds BILLING_FIELDS. Errors name `contacts.N.<field>` and
    `billing_entity.<field>`.
    """
    authorize(actor, "manage_buyers")
    buyer = Buyer(
        name=(name or "").strip(), crm_account_id=(crm_account_id or "").strip() or None, sales_agent=sales_agent,
        unmatched_agent_email=unmatched_agent_email, unmatched_agent_name=unmatched_agent_name,
    )
    _clean(buyer, exclude=("sales_agent",))  # _check_agent reads the agent; full_clean would read it again
    _check_agent(sales_agent)
    made = _new_contacts(contacts, consent_source)
    unknown = set(billing_entity) - set(BILLING_FIELDS)
    if unknown:
        raise ValueError(f"open_account's billing entity does not take {', '.join(sorted(unknown))}")
    entity = BillingEntity(**_normalise_billing(billing_entity))
    try:
        _check_billing_fields(entity)  # a new buyer has no billing entity its name could repeat
    except ValidationFailed as exc:
        raise _within("billing_entity", exc) from exc
    with transaction.atomic(savepoint=False):
        _check_crm_account(buyer.crm_account_id, None)
        buyer.save()
        for contact in made:
            contact.buyer = buyer
        Contact.objects.bulk_create(made)
        entity.buyer = buyer
        entity.save()
        entries = [_buyer_created(actor, buyer)]
        for contact in made:
            entries.append(_contact_added(actor, contact))
            if contact.marketing_consent is not None:
                entries.append(_consent_changed(actor, contact, None))
        entries.append(_billing_entity_added(actor, entity))
        audit.record_all(entries)
    return buyer, entity


def open_confirmed_booking(
    *, actor, buyer_id: int, event: Event, package: Package, headcount: int, billing_entity: BillingEntity,
    installments: list[rules.Installment], special_requirements: str = "", po_number: str = "",
    crm_deal_id: str | None = None, release_on_deposit: bool = False,
) -> Booking:
    """A booking ready for allocation in one step: create_booking, confirm_event_details, set_deposit_terms
    and mark_ready_for_allocation in one transaction, with their checks, audit entries and status signal."""
    authorize(actor, "manage_buyers")
    with transaction.atomic(savepoint=False):
        buyer = Buyer.objects.select_for_update().filter(pk=buyer_id).first()
        if buyer is None:
            raise NotFound(f"Buyer {buyer_id} does not exist.")
        _check_booking_choice(event=event, package=package, headcount=headcount, billing_entity=billing_entity,
                              buyer=buyer)
        now = timezone.now()
        booking = Booking(
            buyer=buyer, event=event, package=package, headcount=headcount, billing_entity=billing_entity,
            special_requirements=(special_requirements or "").strip(), po_number=(po_number or "").strip(),
            crm_deal_id=crm_deal_id or None, status=BookingStatus.CONFIRMED, details_locked_at=now,
            release_on_deposit=release_on_deposit,
        )
        _clean(booking, exclude=("buyer", "event", "package", "billing_entity"))
        errors = rules.schedule_errors(installments, booking.value, field="installments")
        if errors:
            raise ValidationFailed.from_list(errors)
        missing = missing_items(booking, has_installments=bool(installments),
                                has_primary_contact=buyer.contacts.filter(is_primary=True).exists())
        if missing:
            raise ValidationFailed(
                "The booking is not ready for allocation: " + "; ".join(item["message"] for item in missing) + ".",
                errors=missing,
            )
        _check_deal(booking.crm_deal_id, None)
        booking.save()
        _installment_rows(booking, installments)
        audit.record_all([
            _booking_created(actor, booking), _details_locked(actor, booking),
            _deposit_terms_set(actor, booking, installments),
            audit.entry(actor, f"booking.{BookingStatus.CONFIRMED}", f"Booking {booking.reference} ready for allocation",
                        target=booking, data={"from": BookingStatus.DRAFT, "to": BookingStatus.CONFIRMED,
                                              "value": str(booking.value)}),
        ])
        signals.booking_status_changed.send(sender=Booking, booking=booking, from_status=BookingStatus.DRAFT,
                                            to_status=BookingStatus.CONFIRMED, actor=actor)
    return booking
