"""The shared Xero call budget, Business Central etags on customer updates, and the beat tasks."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from buyers.models import BillingEntity
from eventchain.lifecycle import BookingStatus
from finance import tasks
from finance.ledgers.base import LedgerUnavailable
from finance.ledgers.ratelimit import Limiter
from finance.ledgers.xero import XeroLedger
from finance.models import Invoice, LedgerSyncState

pytestmark = pytest.mark.django_db


def test_limiter_allows_five_calls_in_flight_and_sixty_a_minute():
    limiter = Limiter("xero:test-org", concurrent=5, per_minute=60)
    with time_machine.travel(timezone.now().replace(second=1), tick=False):
        slots = [limiter.slot() for _ in range(5)]
        for slot in slots:
            slot.__enter__()
        with pytest.raises(LedgerUnavailable, match="5 calls already in flight") as refused:
            with limiter.slot():
                pass
        assert refused.value.retry_after == 2
        for slot in slots:
            slot.__exit__(None, None, None)
        for _ in range(54):  # 6 of the minute's 60 went on the tries above
            with limiter.slot():
                pass
        with pytest.raises(LedgerUnavailable, match="60 calls this minute") as spent:
            with limiter.slot():
                pass
        assert 58 <= spent.value.retry_after <= 60
    with time_machine.travel(timezone.now() + timedelta(minutes=2), tick=False), limiter.slot():
        pass  # a new minute, a new budget


def test_remaining_budget_headers_pause_calls_before_xero_says_429():
    limiter = Limiter("xero:budget-org", concurrent=5, per_minute=60)
    XeroLedger._honour_remaining(limiter, {"X-MinLimit-Remaining": "0", "X-DayLimit-Remaining": "4000"})
    assert 0 < limiter.paused_for() <= 60
    with pytest.raises(LedgerUnavailable, match="slow down"):
        with limiter.slot():
            pass
    day = Limiter("xero:day-org", concurrent=5, per_minute=60)
    XeroLedger._honour_remaining(day, {"x-minlimit-remaining": "12", "x-daylimit-remaining": "0"})
    assert day.paused_for() > 3500


def test_changed_billing_details_update_the_bc_customer_with_its_etag(business_central, make_booking, confirm,
                                                                      drain):
    first = make_booking("BOX-8", 8)
    confirm(first)
    drain()
    entity = first.billing_entity
    BillingEntity.objects.filter(pk=entity.pk).update(email="ap@acme.example", city="Parramatta")
    second = make_booking("BOX-8", 8)
    second.billing_entity = entity
    second.save(update_fields=["billing_entity"])
    confirm(second)
    drain()

    (customer,) = business_central.customers()
    assert (customer["email"], customer["city"]) == ("ap@acme.example", "Parramatta")
    assert any(method == "PATCH" and status == 200 for method, _, status in business_central.log)
    assert all(invoice.external_id for invoice in Invoice.objects.all())


def test_beat_task_polls_every_ledger_with_money_owing(xero, make_booking, confirm, drain):
    booking = make_booking("TABLE-10", 10)
    invoice = Invoice.objects.get(pk=confirm(booking).invoice_id)
    drain()
    invoice.refresh_from_db()
    xero.receive_payment(invoice.number, str(invoice.total))

    assert tasks.poll_ledger_payments() == 1

    booking.refresh_from_db()
    assert booking.status == BookingStatus.RELEASED
    assert LedgerSyncState.objects.get(backend="xero").receipts_applied == 1
    assert tasks.poll_ledger_payments() == 0
