"""Closing the loop: each buyer's event outcome, sent to the CRM as a signed webhook through the outbox.

The body is signed like the CRM handoff (buyers/webhook.py): `X-EventChain-Timestamp: <unix seconds>` and
`X-EventChain-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>`, signed afresh on
every attempt so the CRM's clock-skew check passes on retries. Secret: EVENTCHAIN_CRM_CALLBACK_SECRET.
"""

import json
from decimal import ROUND_HALF_UP, Decimal

import requests
from django.conf import settings
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from buyers import webhook
from buyers.models import Booking, Buyer
from eventchain import outbox
from eventchain.lifecycle import BookingStatus
from eventchain.models import Event
from eventchain.money import currency, format_money
from finance.models import CreditNote, Invoice
from tickets.models import Ticket, TicketStatus

from .models import Attendance, BookingActivity, BuyerOutcome
from .reports.figures import ZERO, _sum

KIND = "reporting.crm_outcome"
# A buyer is worth re-engaging when most of its guests came and nothing is left unpaid.
RENEWAL_MIN_ATTENDANCE = Decimal("0.60")
TIMEOUT_SECONDS = 15


def _by_buyer(rows, key: str) -> dict:
    return {row[key]: row for row in rows}


def compute_outcomes(event: Event) -> dict[int, dict]:
    """Per buyer: figures grouped in SQL (one query per source table), merged by buyer id."""
    live = Q(status__in=(TicketStatus.ISSUED, TicketStatus.SENT))
    tickets = _by_buyer(
        Ticket.objects.filter(event=event).order_by().values("booking__buyer")
        .annotate(tickets=Count("id", filter=live), reissued=Coalesce(Sum(F("generation") - 1), 0)),
        "booking__buyer",
    )
    attendance = _by_buyer(
        Attendance.objects.filter(event=event).order_by().values("booking__buyer")
        .annotate(admitted=Count("id", filter=Q(status=Attendance.Status.ADMITTED)),
                  no_shows=Count("id", filter=Q(status=Attendance.Status.NO_SHOW))),
        "booking__buyer",
    )
    invoices = _by_buyer(
        Invoice.objects.filter(booking__event=event).order_by().values("booking__buyer")
        .annotate(invoiced=_sum("total"), outstanding=_sum("amount_due")),
        "booking__buyer",
    )
    credits = _by_buyer(
        CreditNote.objects.filter(invoice__booking__event=event).order_by().values("invoice__booking__buyer")
        .annotate(credited=_sum("total")),
        "invoice__booking__buyer",
    )
    bookings = _by_buyer(
        Booking.objects.filter(event=event).exclude(status=BookingStatus.CANCELLED).order_by().values("buyer")
        .annotate(n=Count("id")),
        "buyer",
    )
    result = {}
    for buyer_id in set(tickets) | set(bookings):
        ticket_count = tickets.get(buyer_id, {}).get("tickets", 0)
        admitted = attendance.get(buyer_id, {}).get("admitted", 0)
        outstanding = invoices.get(buyer_id, {}).get("outstanding", ZERO)
        rate = (Decimal(admitted) / ticket_count).quantize(Decimal("0.0001"), ROUND_HALF_UP) if ticket_count else Decimal(0)
        result[buyer_id] = {
            "bookings": bookings.get(buyer_id, {}).get("n", 0),
            "tickets": ticket_count, "admitted": admitted,
            "no_shows": attendance.get(buyer_id, {}).get("no_shows", 0),
            "attendance_rate": rate,
            "spend": invoices.get(buyer_id, {}).get("invoiced", ZERO) - credits.get(buyer_id, {}).get("credited", ZERO),
            "outstanding": outstanding,
            "tickets_reissued": tickets.get(buyer_id, {}).get("reissued", 0),
            "renewal": bool(ticket_count) and rate >= RENEWAL_MIN_ATTENDANCE and outstanding <= 0,
        }
    return result


def contacts_consent(buyer: Buyer) -> list[dict]:
    """Each contact's marketing consent for the CRM (None: never asked), primary first."""
    return [{"email": contact.email, "name": contact.name, "marketing_consent": contact.marketing_consent,
             "consent_source": contact.consent_source,
             "consent_updated_at": contact.consent_updated_at.isoformat() if contact.consent_updated_at else None}
            for contact in buyer.contacts.all()]


def payload(outcome: BuyerOutcome, deals: list[dict]) -> dict:
    event, buyer = outcome.event, outcome.buyer
    return {
        "type": "event.outcome",
        "idempotency_key": f"crm-outcome-{event.pk}-{buyer.pk}",
        "event": {"code": event.code, "name": event.name, "ends_at": event.ends_at.isoformat()},
        "buyer": {"id": str(buyer.pk), "name": buyer.name, "crm_account_id": buyer.crm_account_id},
        "bookings": deals,
        "contacts": contacts_consent(buyer),
        "outcome": {
            "tickets": outcome.tickets, "admitted": outcome.admitted, "no_shows": outcome.no_shows,
            "attendance_rate": str(outcome.attendance_rate), "spend": format_money(outcome.spend),
            "outstanding": format_money(outcome.outstanding), "currency": currency(),
            "tickets_reissued": outcome.tickets_reissued, "renewal": outcome.renewal,
        },
    }


def record_event_outcomes(*, event: Event, actor) -> int:
    """Store every buyer's outcome and queue it for the CRM (in the caller's transaction); returns how many."""
    figures = compute_outcomes(event)
    buyers = Buyer.objects.in_bulk(list(figures))
    deals: dict[int, list[dict]] = {}
    for booking in Booking.objects.filter(event=event, buyer_id__in=figures).order_by("id"):
        deals.setdefault(booking.buyer_id, []).append(
            {"id": str(booking.pk), "reference": booking.reference, "crm_deal_id": booking.crm_deal_id,
             "status": booking.status})
    for buyer_id, values in figures.items():
        outcome, _ = BuyerOutcome.objects.update_or_create(buyer=buyers[buyer_id], event=event, defaults=values)
        send_outcome(outcome, deals.get(buyer_id, []))
    return len(figures)


def send_outcome(outcome: BuyerOutcome, deals: list[dict]) -> None:
    """Queue the CRM callback when one is configured; without it the outcome stays on the next-cycle page."""
    if not settings.EVENTCHAIN_CRM_CALLBACK_URL:
        return
    body = payload(outcome, deals)
    message = outbox.enqueue(KIND, body, idempotency_key=body["idempotency_key"], target=outcome)
    BuyerOutcome.objects.filter(pk=outcome.pk).update(message=message)
    rate = f"{outcome.attendance_rate * 100:.0f}%"
    summary = f"Outcome queued for the CRM: attendance {rate}, renewal {'yes' if outcome.renewal else 'no'}"
    BookingActivity.objects.bulk_create([
        BookingActivity(booking_id=int(deal["id"]), buyer_id=outcome.buyer_id, kind=BookingActivity.Kind.CRM,
                        summary=summary, data={"message": message.pk})
        for deal in deals
    ])


def encode(body: dict) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


@outbox.handler(KIND)
def deliver_outcome(message) -> None:
    url = settings.EVENTCHAIN_CRM_CALLBACK_URL
    secret = settings.EVENTCHAIN_CRM_CALLBACK_SECRET
    if not url or not secret:
        raise outbox.PermanentFailure(
            "EVENTCHAIN_CRM_CALLBACK_URL and EVENTCHAIN_CRM_CALLBACK_SECRET must both be set to send outcomes; "
            "set them and re-queue this message."
        )
    body = encode(message.payload)
    headers = {"Content-Type": "application/json", "Idempotency-Key": message.idempotency_key,
               **webhook.signed_headers(secret, body, timestamp=int(timezone.now().timestamp()))}
    try:
        response = requests.post(url, data=body, headers=headers, timeout=TIMEOUT_SECONDS)
    except requests.RequestException as exc:
        raise outbox.RetryLater(f"CRM callback unreachable: {exc}") from exc
    if 200 <= response.status_code < 300:
        return
    detail = f"CRM callback answered {response.status_code}: {response.text[:300]}"
    if response.status_code in (408, 425, 429) or response.status_code >= 500:
        retry_after = response.headers.get("Retry-After")
        raise outbox.RetryLater(detail, retry_after=float(retry_after) if retry_after and retry_after.isdigit() else None)
    raise outbox.PermanentFailure(detail)
