"""Lane 02 reads reused by the console, the API and the handoff: querysets with what they need loaded."""

from django.contrib.auth import get_user_model
from django.db.models import Count, Prefetch, Q, QuerySet

from eventchain.lifecycle import BookingStatus
from eventchain.models import AuditEntry

from . import rules
from .models import Booking, Buyer, Contact, CrmHandoff

SALES_ROLE = "sales"


def sales_agents() -> QuerySet:
    """Staff who may own buyers: active users holding the sales role."""
    return get_user_model().objects.filter(is_active=True, groups__name=SALES_ROLE).order_by("email").distinct()


def is_sales_agent(user) -> bool:
    return bool(user and user.is_active and user.groups.filter(name=SALES_ROLE).exists())


def sales_agent_by_email(email: str):
    """The active sales agent with this email, or None (the CRM may name someone EventChain does not know)."""
    email = (email or "").strip()
    return sales_agents().filter(email__iexact=email).first() if email else None


# ---------------------------------------------------------------- buyers


def buyer_list(*, q: str = "", agent=None, unassigned: bool = False, status: str = "") -> QuerySet:
    """Buyers for the console list: one query for the page plus one for its primary contacts."""
    buyers = (
        Buyer.objects.select_related("sales_agent")
        .annotate(booking_count=Count("bookings", distinct=True))
        .prefetch_related(Prefetch("contacts", queryset=Contact.objects.filter(is_primary=True),
                                   to_attr="primary_contacts"))
    )
    if q:
        buyers = buyers.filter(
            Q(name__icontains=q) | Q(crm_account_id__iexact=q) | Q(contacts__name__icontains=q)
            | Q(contacts__email__icontains=q) | Q(bookings__crm_deal_id__iexact=q)
        ).distinct()
    if unassigned:
        buyers = buyers.filter(sales_agent__isnull=True)
    elif agent is not None:
        buyers = buyers.filter(sales_agent=agent)
    if status:
        buyers = buyers.filter(status=status)
    return buyers.order_by("name", "pk")


def buyers_needing_agent() -> QuerySet:
    return buyer_list(unassigned=True).order_by("-created_at", "pk")


def buyer_detail(buyer_id) -> Buyer | None:
    return (
        Buyer.objects.select_related("sales_agent")
        .prefetch_related(
            "contacts", "billing_entities",
            Prefetch("bookings", queryset=Booking.objects.select_related("event", "package", "billing_entity")
                     .order_by("-created_at")),
        )
        .filter(pk=buyer_id)
        .first()
    )


def buyer_activity(buyer: Buyer, *, limit: int = 50) -> list[AuditEntry]:
    """The buyer's timeline: audit entries about the buyer, its bookings, contacts and billing entities."""
    booking_ids = [str(booking.pk) for booking in buyer.bookings.all()]  # uses buyer_detail's prefetch
    # Contact and billing-entity entries carry the buyer's id, so removed contacts stay on the timeline.
    match = (
        Q(object_type="buyers.buyer", object_id=str(buyer.pk))
        | Q(object_type__in=["buyers.contact", "buyers.billingentity"], data__buyer=buyer.pk)
        | Q(object_type="buyers.booking", object_id__in=booking_ids)
    )
    return list(AuditEntry.objects.filter(match).select_related("actor").order_by("-when", "-id")[:limit])


# ---------------------------------------------------------------- bookings


def booking_detail(booking_id) -> Booking | None:
    return (
        Booking.objects.select_related("buyer", "buyer__sales_agent", "event", "event__venue", "package",
                                       "billing_entity")
        .prefetch_related("installments")
        .filter(pk=booking_id)
        .first()
    )


def booking_activity(booking: Booking, *, limit: int = 50) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(object_type="buyers.booking", object_id=str(booking.pk))
        .select_related("actor").order_by("-when", "-id")[:limit]
    )


def bookings_ready_for_allocation() -> QuerySet:
    """Confirmed bookings waiting for fulfilment, oldest first."""
    return (
        Booking.objects.filter(status=BookingStatus.CONFIRMED)
        .select_related("buyer", "buyer__sales_agent", "event", "package")
        .order_by("status_changed_at", "pk")
    )


def missing_for_allocation(booking: Booking) -> list[dict]:
    """Each thing a booking lacks before fulfilment can allocate stock, as API-style errors."""
    return missing_items(
        booking, has_primary_contact=booking.buyer.contacts.filter(is_primary=True).exists(),
        has_installments=booking.installments.exists(),
    )


def missing_items(booking: Booking, *, has_primary_contact: bool, has_installments: bool) -> list[dict]:
    """missing_for_allocation with the two facts that need the database already known (a booking being made)."""
    missing = []
    if not has_primary_contact:
        missing.append({"field": "contacts", "message": "the buyer has no primary contact: add one"})
    entity = booking.billing_entity
    if entity is None:
        missing.append({"field": "billing_entity", "message": "choose the billing entity the invoice goes to"})
    else:
        gaps = rules.missing_billing_items(entity)
        if gaps:
            missing.append({"field": "billing_entity",
                            "message": f"billing entity {entity.legal_name} is incomplete: add {', '.join(gaps)}"})
    if not booking.details_locked:
        missing.append({"field": "details",
                        "message": "event details are not locked: confirm event, package and headcount"})
    if not has_installments:
        missing.append({"field": "installments", "message": "no deposit terms: set the payment schedule"})
    return missing


# ---------------------------------------------------------------- CRM handoffs


def handoff_list(*, outcome: str = "", q: str = "") -> QuerySet:
    rows = CrmHandoff.objects.select_related("booking", "booking__buyer").defer("raw_body")
    if outcome == "attention":
        rows = rows.filter(outcome__in=[CrmHandoff.Outcome.INVALID, CrmHandoff.Outcome.FAILED,
                                        CrmHandoff.Outcome.CONFLICT, CrmHandoff.Outcome.UNAUTHORIZED])
    elif outcome in CrmHandoff.Outcome.values:
        rows = rows.filter(outcome=outcome)
    if q:
        rows = rows.filter(deal_id__icontains=q)
    return rows.order_by("-received_at", "-id")
