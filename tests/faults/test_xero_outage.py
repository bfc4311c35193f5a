"""Xero throttles then fails for a while, then recovers: the invoice reaches it exactly once, through a
real worker retrying from the outbox, and finance staff see every attempt on the invoice page."""

import pytest
from django.urls import reverse

from eventchain.models import OutboxAttempt, OutboxMessage
from finance.models import Invoice
from finance.services import connections
from tests.fakes.xero import XeroFake, counts_by_number
from tests.finance import conftest as finance_fixtures

from .conftest import wait_until

stock = finance_fixtures.stock
make_booking = finance_fixtures.make_booking
confirm = finance_fixtures.confirm
fulfilment = finance_fixtures.fulfilment
finance_user = finance_fixtures.finance_user

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

RETRY_AFTER = 2
OUTAGE_503S = 3


@pytest.fixture
def xero(stack, settings, finance_user):
    fake = XeroFake().start()  # its first answers load the contract (seconds): hence the long timeout below
    values = {
        "EVENTCHAIN_LEDGER": "xero", "XERO_API_BASE_URL": fake.base_url, "XERO_IDENTITY_URL": fake.base_url,
        "XERO_LOGIN_URL": fake.base_url, "XERO_CLIENT_ID": fake.client_id, "XERO_CLIENT_SECRET": fake.client_secret,
        "XERO_WEBHOOK_KEY": "xero-webhook-key-for-tests", "EVENTCHAIN_LEDGER_TIMEOUT": "15",
    }
    for name, value in values.items():
        setattr(settings, name, float(value) if name == "EVENTCHAIN_LEDGER_TIMEOUT" else value)
    stack.configure(**values)
    connections.connect_xero_custom(actor=finance_user)
    yield fake
    fake.stop()
    assert fake.contract_violations == [], "the Xero fake answered outside Xero's contract"


def test_an_invoice_push_survives_429_then_503s_and_lands_once(stack, xero, make_booking, confirm, staff_page):
    xero.faults.rate_limit(r"PUT /api.xro/2.0/Invoices", retry_after=RETRY_AFTER)
    xero.faults.server_error(r"PUT /api.xro/2.0/Invoices", status=503, times=OUTAGE_503S)
    stack.start_worker()

    booking = make_booking("TABLE-10", 10)
    invoice = Invoice.objects.get(pk=confirm(booking).invoice_id)
    message = OutboxMessage.objects.get(kind="finance.invoice.post", object_id=str(invoice.pk))

    def settled():
        message.refresh_from_db()
        return message.status in {OutboxMessage.Status.DONE, OutboxMessage.Status.DEAD}

    try:
        wait_until(settled, 60, what="the invoice push to settle")
    except AssertionError:
        pytest.fail(f"The push did not settle ({message.status}, {message.last_error}):\n{stack.logs()}")

    # Finished, nothing lost: delivered, and the invoice carries Xero's id.
    assert message.status == OutboxMessage.Status.DONE, message.last_error
    invoice.refresh_from_db()
    assert invoice.external_id == xero.invoice(invoice.number)["InvoiceID"]
    # Nothing duplicated: Xero holds one invoice with that number.
    assert counts_by_number(xero)[invoice.number] == 1
    assert not xero.faults.pending()
    # Every attempt is logged: the 429, each 503, then the success; Retry-After was honoured.
    attempts = list(OutboxAttempt.objects.filter(message=message).order_by("number"))
    assert len(attempts) == 2 + OUTAGE_503S, [a.error for a in attempts]
    assert "rate limit" in attempts[0].error.lower()
    assert all("503" in attempt.error for attempt in attempts[1:-1])
    assert attempts[-1].succeeded and not attempts[-1].error
    assert (attempts[1].started_at - attempts[0].finished_at).total_seconds() >= RETRY_AFTER
    # Visible to staff: the invoice page lists each attempt and its error.
    page = staff_page("finance", reverse("finance:invoice", args=[invoice.pk]))
    for attempt in attempts:
        assert f"#{attempt.number} " in page
    assert page.count("503") >= OUTAGE_503S and "Delivered" in page
