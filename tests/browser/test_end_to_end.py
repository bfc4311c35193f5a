"""The whole flow in Chromium, one role at a time, the way people use EventChain.

A CRM deal arrives over the signed webhook; a sales agent takes the buyer and completes its contacts;
fulfilment reserves a table on the inventory map and confirms; finance sees the invoice in Xero (a fake
on loopback) and reconciles the payments Xero received; ticketing issues the tickets; the buyer signs in
to the portal by the emailed link (a real SMTP server on loopback), names the guests, sends each guest
their ticket and reissues one; at the gate a scanner admits a guest and the desk refuses the old code;
the reports show what happened. Each step saves a screenshot to artifacts/screens/tour/ for docs/tour.md.

Celery runs eagerly here (no REDIS_URL), so outbox messages are delivered when their transaction
commits, inside the live server's request. Between roles the test also runs the outbox dispatcher
itself, as the beat schedule would, so a delivery that had to wait for a retry is not left behind.
"""

import csv
import hashlib
import hmac
import io
import json
import re
import time
import uuid

import httpx
import pytest
from django.core.management import call_command
from django.utils import timezone

from buyers.models import Booking
from eventchain import outbox
from finance.models import Invoice
from finance.services import connections
from reporting.models import Attendance
from tests.browser.conftest import SHOTS
from tests.conftest import PASSWORD
from tests.distribution import conftest as distribution_fixtures
from tests.distribution.helpers import parts
from tests.fakes.xero import XeroFake
from tickets.models import Ticket

_media = distribution_fixtures._media  # rendered tickets go to a temporary folder; no wallet signing
_fresh_rate_limits = distribution_fixtures._fresh_rate_limits
smtp = distribution_fixtures.smtp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TOUR = SHOTS / "tour"
BUYER_EMAIL = "pat@acme.example"
HANDOFF = {
    "deal_id": "CRM-DEAL-2077",
    # An agent the CRM knows but EventChain does not: the buyer waits in "Assignment needed".
    "agent": {"email": "jo.departed@crm.example", "name": "Jo Departed"},
    "account": {"name": "Acme Mining Pty Ltd", "crm_account_id": "ACC-2077"},
    "billing_entity": {"legal_name": "Acme Mining Pty Ltd", "tax_number": "51 824 753 556",
                       "email": "accounts@acme.example",
                       "address": {"line1": "1 George St", "line2": "", "city": "Sydney", "region": "NSW",
                                   "postcode": "2000", "country": "AU"}},
    "contacts": [{"name": "Pat Buyer", "email": BUYER_EMAIL, "phone": "+61 2 5550 1234",
                  "role": "Event coordinator", "primary": True}],
    "booking": {"event_code": "GF2026", "package_code": "TABLE-10", "headcount": 10,
                "special_requirements": "2 vegetarian, 1 wheelchair space", "po_number": "PO-7781",
                "payment_schedule": [{"label": "Deposit", "due_date": "2026-12-01", "percent": "30"},
                                     {"label": "Balance", "due_date": "2027-01-15", "percent": "70"}]},
}
GUESTS = [(f"Guest {name}", f"{name.lower()}@guests.example") for name in
          ("Avery", "Blake", "Casey", "Devon", "Emery", "Finley", "Harper", "Jordan", "Kai", "Logan")]


@pytest.fixture
def xero():
    """A Xero organisation on loopback (the test chooses it as the ledger once the demo data is in)."""
    fake = XeroFake().start()
    yield fake
    fake.stop()
    assert fake.contract_violations == [], "the Xero fake answered outside Xero's contract"


def use_xero(settings, fake: XeroFake, actor) -> None:
    """Finance's Xero fixture: the fake as Xero, connected as a Custom Connection and chosen as the ledger."""
    settings.EVENTCHAIN_LEDGER = "xero"
    settings.XERO_API_BASE_URL = settings.XERO_IDENTITY_URL = settings.XERO_LOGIN_URL = fake.base_url
    settings.XERO_CLIENT_ID, settings.XERO_CLIENT_SECRET = fake.client_id, fake.client_secret
    settings.XERO_WEBHOOK_KEY = "xero-webhook-key-for-tests"
    # Generous: the fake validates every call against Xero's contract, and browser runs share a busy machine.
    settings.EVENTCHAIN_LEDGER_TIMEOUT = 15.0
    connections.connect_xero_custom(actor=actor)


class Tour:
    """Numbered screenshots of the walkthrough (viewport only, so they stay small enough for docs/)."""

    def __init__(self):
        TOUR.mkdir(parents=True, exist_ok=True)
        self.n = 0

    def shot(self, page, name: str) -> None:
        self.n += 1
        page.screenshot(path=str(TOUR / f"{self.n:02d}-{name}.png"))


def post_handoff(base_url: str, body: dict, secret: str) -> httpx.Response:
    raw = json.dumps(body).encode()
    stamp = str(int(time.time()))
    signature = hmac.new(secret.encode(), stamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
    return httpx.post(f"{base_url}/api/v1/crm/handoff", content=raw, timeout=30,
                      headers={"Content-Type": "application/json", "X-EventChain-Timestamp": stamp,
                               "X-EventChain-Signature": f"sha256={signature}"})


def badge(page, text: str):
    return page.locator("h1 .badge", has_text=re.compile(f"^{re.escape(text)}$"))


def test_crm_deal_to_gate_and_report_through_the_ui(page, chromium, live_server, sign_in, smtp, xero, make_staff,
                                                    settings):
    settings.EVENTCHAIN_BASE_URL = live_server.url
    call_command("seed_demo")  # on the built-in ledger: the demo booking is paid there
    sales, fulfilment = make_staff("sales"), make_staff("fulfilment")
    finance, ticketing = make_staff("finance"), make_staff("ticketing")
    use_xero(settings, xero, finance)  # connected once, long before this deal
    tour = Tour()
    url = live_server.url

    def switch_to(user):
        """Drop the previous user's session (as a fresh browser profile would), then sign in as `user`."""
        page.context.clear_cookies()
        sign_in(user.email, PASSWORD)

    # 1. The CRM hands over a converted deal through the signed webhook.
    received = post_handoff(url, HANDOFF, settings.EVENTCHAIN_CRM_WEBHOOK_SECRET)
    assert received.status_code == 201, received.text
    booking = Booking.objects.get(pk=received.json()["booking"])

    # 2. Sales: the handoff is in the log; the buyer waits for an agent; the agent takes it and adds a contact.
    switch_to(sales)
    page.goto(f"{url}/console/buyers/handoffs/")
    page.get_by_role("heading", name="CRM handoff deliveries").wait_for()
    assert page.get_by_role("row").filter(has_text="CRM-DEAL-2077").is_visible()
    tour.shot(page, "crm-handoff-received")
    page.goto(f"{url}/console/buyers/assignment/")
    row = page.locator(f"#assign-{booking.buyer_id}")
    assert "Jo Departed" in row.inner_text()
    row.get_by_label("Sales agent for Acme Mining Pty Ltd").select_option(label=sales.email)
    tour.shot(page, "sales-assignment-needed")
    row.get_by_role("button", name="Assign").click()
    page.locator(f"#assign-{booking.buyer_id}").locator(".badge", has_text=f"Assigned to {sales.email}").wait_for()
    page.get_by_role("link", name="Acme Mining Pty Ltd").click()
    page.get_by_role("heading", level=1, name="Acme Mining Pty Ltd").wait_for()
    assert f"Sales agent: {sales.email}" in page.locator(".lede").first.inner_text()
    page.get_by_role("link", name="Add contact").click()
    slot = page.locator("#contact-slot")
    slot.get_by_label("Name").fill("Robin Payables")
    slot.get_by_label("Email").fill("robin@acme.example")
    slot.get_by_label("Role").fill("Accounts payable")
    tour.shot(page, "sales-completes-buyer")
    slot.get_by_role("button", name=re.compile("Save")).click()
    page.get_by_text("Contact Robin Payables saved.").wait_for()
    page.get_by_role("link", name=booking.reference).first.click()
    page.get_by_role("heading", level=1, name=booking.reference).wait_for()
    assert badge(page, "Confirmed").is_visible()  # ready for fulfilment to allocate
    tour.shot(page, "sales-booking-ready")

    # 3. Fulfilment: choose the booking on the inventory map, click a free table, confirm.
    switch_to(fulfilment)
    page.goto(f"{url}/console/allocation/events/GF2026/map/")
    page.get_by_label("Reserve for booking").select_option(value=booking.reference)
    page.get_by_role("button", name="Show").click()
    page.get_by_role("heading", name=f"Reserving for {booking.reference} · Acme Mining Pty Ltd").wait_for()
    free_table = page.locator(".u.big.s-available button.unit-button").first
    table_label = free_table.locator(".name").inner_text()
    free_table.click()
    page.locator("#map-feedback").get_by_text(f"{table_label} reserved for {booking.reference}").wait_for()
    assert "10 of 10" in page.locator("#booking-panel").inner_text()
    tour.shot(page, "fulfilment-inventory-map")
    page.locator("#booking-panel").get_by_role("button", name="Confirm allocation").click()
    page.get_by_text("Manifest v1 confirmed and published to finance.").wait_for()
    assert page.get_by_role("heading", level=1, name=f"Manifest v1 · {booking.reference}").is_visible()
    assert page.get_by_role("cell", name=table_label, exact=True).first.is_visible()
    tour.shot(page, "fulfilment-allocation-confirmed")

    # 4. Finance: the invoice is in Xero; Xero's bookkeeper receives the deposit, then the balance.
    outbox.dispatch_due()  # what the beat schedule does: anything that waited for a retry goes now
    invoice = Invoice.objects.get(booking=booking)
    switch_to(finance)
    page.goto(f"{url}/console/finance/")
    page.get_by_role("link", name=invoice.number).click()
    page.get_by_role("heading", level=1, name=invoice.number).wait_for()
    assert badge(page, "Posted").is_visible(), page.locator("main").inner_text()
    ledger = page.locator("dt:text-is('Ledger') + dd")
    assert "Xero" in ledger.inner_text() and "Synced" in ledger.inner_text()
    assert xero.invoice(invoice.number)["Total"] == 10450.0
    assert "10,450.00" in page.locator(".totals").inner_text()
    tour.shot(page, "finance-invoice-in-xero")

    xero.receive_payment(invoice.number, "3135.00", reference="Acme EFT deposit")
    page.goto(f"{url}/console/finance/reconciliation/")
    page.get_by_role("button", name="Check the ledger for payments now").click()
    page.get_by_text("1 applied").wait_for()
    tour.shot(page, "finance-reconciliation")
    xero.receive_payment(invoice.number, "7315.00", reference="Acme EFT balance")
    page.get_by_role("button", name="Check the ledger for payments now").click()
    page.get_by_text("1 applied").wait_for()
    page.goto(f"{url}/console/finance/invoices/{invoice.pk}/")
    assert badge(page, "Paid").is_visible()
    assert "Released" in page.locator("dt:text-is('Booking') + dd").inner_text()
    tour.shot(page, "finance-invoice-paid")

    # 5. Ticketing: issue the tickets; the progress bar reports the job.
    switch_to(ticketing)
    page.goto(f"{url}/console/tickets/bookings/{booking.pk}/")
    page.get_by_role("button", name="Issue tickets").click()
    progress = page.locator(".job-progress")
    progress.get_by_text("Done", exact=True).wait_for()
    assert "10 of 10" in progress.inner_text()
    assert page.locator("progress").get_attribute("value") == "10"
    tour.shot(page, "ticketing-issued-progress")

    # 6. The buyer: sign in by emailed link, upload the guest list, send direct to guests, reissue one ticket.
    buyer = chromium.new_context(viewport={"width": 1280, "height": 860}).new_page()
    buyer.goto(f"{url}/portal/sign-in/")
    buyer.get_by_label("Email").fill(BUYER_EMAIL)
    buyer.get_by_role("button", name="Email me a sign-in link").click()
    buyer.get_by_role("heading", name="Check your email").wait_for()
    link = re.search(r"(http\S+/portal/sign-in/\S+/)", parts(smtp.messages_to(BUYER_EMAIL)[-1])[0]).group(1)
    buyer.goto(link)
    buyer.get_by_role("button", name="Sign in to the portal").click()
    buyer.get_by_role("heading", name="My bookings").wait_for()
    tour.shot(buyer, "portal-my-bookings")

    buyer.get_by_role("link", name=booking.reference).click()
    sheet = io.StringIO()
    writer = csv.writer(sheet)
    writer.writerow(["name", "email", "phone", "requirements"])
    writer.writerows([name, email, "", "Vegetarian" if n < 2 else ""] for n, (name, email) in enumerate(GUESTS))
    buyer.get_by_label("Guest list file (.csv or .xlsx)").set_input_files(
        files=[{"name": "acme-guests.csv", "mimeType": "text/csv", "buffer": sheet.getvalue().encode()}])
    buyer.get_by_role("button", name="Upload guest list").click()
    buyer.get_by_text("Guest list replaced from acme-guests.csv: 10 guests.").wait_for()
    assert buyer.locator("#names-missing").inner_text() == "All 10 guests named"
    assert not Ticket.objects.filter(booking=booking, guest__isnull=True).exists()
    tour.shot(buyer, "portal-guests-named")

    buyer.get_by_label(re.compile("Each guest gets their own ticket")).check()
    buyer.get_by_role("button", name="Send the tickets").click()
    buyer.locator("#delivery").get_by_text("All emails delivered to the mail server").wait_for()
    assert {r for item in smtp.received for r in item.rcpt_tos} >= {email for _, email in GUESTS}
    buyer.locator("#delivery").scroll_into_view_if_needed()
    tour.shot(buyer, "portal-sent-direct-to-guests")

    first = Ticket.objects.filter(booking=booking, guest__name=GUESTS[0][0]).get()
    old_code = first.code
    buyer.get_by_role("link", name=f"Reissue {first.number}").click()
    buyer.get_by_label("Why is the ticket reissued?").fill("Avery's phone was stolen")
    tour.shot(buyer, "portal-reissue")
    buyer.get_by_role("button", name="Reissue ticket").click()
    buyer.get_by_text("reissued: the old code no longer works").wait_for()
    first.refresh_from_db()
    assert first.generation == 2 and first.code != old_code
    buyer.context.close()

    # 7. The gate: a scanner token for North gate; the scanner admits Blake; the desk refuses Avery's old code.
    admitted_before = Attendance.objects.filter(event__code="GF2026", status=Attendance.Status.ADMITTED).count()
    page.goto(f"{url}/console/reporting/events/GF2026/gate/")
    page.get_by_label("Gate", exact=True).fill("North")
    page.get_by_role("button", name="Create token").click()
    token = page.locator("#new-token").inner_text().strip()
    blake = Ticket.objects.get(booking=booking, guest__name=GUESTS[1][0])
    scanned = httpx.post(f"{url}/api/v1/gate/scans", timeout=30, headers={"Authorization": f"Bearer {token}"},
                         json={"code": blake.code, "gate": "North", "device_id": "north-1",
                               "scanned_at": timezone.now().isoformat(), "nonce": uuid.uuid4().hex})
    assert scanned.json()["result"] == "admitted", scanned.text
    page.goto(f"{url}/console/reporting/events/GF2026/desk/")
    page.get_by_label("Ticket code").fill(old_code)
    page.get_by_role("button", name="Check", exact=True).click()
    verdict = page.locator("#desk-result .verdict")
    verdict.locator(".word").get_by_text("Revoked", exact=True).wait_for()
    assert "Guest Avery" in verdict.inner_text()
    tour.shot(page, "gate-desk-refuses-old-code")
    page.goto(f"{url}/console/reporting/events/GF2026/gate/")
    assert page.locator(".stat", has_text="Guests admitted").locator(".n").inner_text() == str(admitted_before + 1)
    tour.shot(page, "gate-scans")

    # 8. Reports: the booking and the event show the payment, the channel and the gate.
    page.goto(f"{url}/console/reporting/bookings/{booking.pk}/report/")
    stats = page.locator(".report-stats")
    assert "1 / 10" in stats.locator(".stat", has_text="Guests admitted").inner_text()
    assert "0.00" in stats.locator(".stat", has_text="Outstanding").inner_text()
    finance_facts = page.locator("section[aria-labelledby='fin-h']")
    assert "AUD 10,450.00" in finance_facts.locator("dt:text-is('Paid') + dd").inner_text()
    assert page.get_by_role("row", name="Direct to guest").get_by_role("cell").inner_text() == "10"
    tour.shot(page, "report-booking")
    page.goto(f"{url}/console/reporting/events/GF2026/report/")
    live = Ticket.objects.filter(booking__event__code="GF2026", status__in=["issued", "sent"]).count()
    assert f"{admitted_before + 1} / {live}" in page.locator(".report-stats .stat", has_text="Guests admitted").inner_text()
    tour.shot(page, "report-event")
