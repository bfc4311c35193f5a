"""axe-core over every console and portal page: no serious or critical violations.

The pages come from the URL resolver, not from a hand-kept list, so a new page is checked the day it
is added. Each route under console/ or portal/ (and the staff sign-in pages) is treated like this:

- views that only accept POST (require_POST anywhere in their decorators) are actions, not pages;
- links that only make sense inside an email (tracking pixel, tracked file) are not pages;
- every other route is requested with GET, its URL filled with ids from the demo data (SAMPLES says
  which object each URL parameter names); then
  - 405 is an action; 3xx is a step that sends people elsewhere (sign-out, OAuth, a form's target);
  - 200 that is not text/html is a download (PDF, CSV, pass, image), and 200 HTML without an <html>
    element is an HTMX fragment: neither is a page;
  - 200 HTML pages are loaded in Chromium and checked with axe; anything else fails the test.
"""

import re
import secrets
import time
import types
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from allocation import services as allocation_services
from allocation.models import AllocationUpload, Manifest
from buyers.models import Booking, CrmHandoff
from distribution.guestlists import services as guestlists
from distribution.guestlists.messages import KINDS
from distribution.models import PortalLoginLink
from distribution.portal.session import SESSION_KEY
from distribution.services import portal as portal_services
from eventchain.models import Job, OutboxMessage, Package, Venue
from finance import services as finance_services
from finance.models import Invoice, UnmatchedReceipt
from reporting.gate import devices, imports
from reporting.models import GateDevice, ScanImport
from tickets.models import Guest, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

IN_SCOPE = ("console/", "portal/", "login/", "password-reset/", "account/", "reauth/")
DOWNLOAD_SUFFIXES = (".pdf", "/pdf", "pkpass", ".csv", ".gif")  # files by their name: PDF, wallet pass, CSV
EMAIL_ONLY = {"portal:open-pixel", "portal:tracked-file", "portal:google-wallet-callback"}
ANONYMOUS = {"login", "password_reset", "password_reset_done", "password_reset_confirm", "password_reset_complete",
             "portal:login", "portal:link", "portal:claim"}
ADMIN = "admin@example.com"


def routes(patterns=None, prefix="", namespace=""):
    """(name, path pattern, view, parameter names) for every named route."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from routes(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", prefix + str(entry.pattern), entry.callback, list(
                entry.pattern.converters)


def post_only(view) -> bool:
    """True when require_POST (require_http_methods(["POST"])) sits anywhere in the view's decorators."""
    while view is not None:
        for cell in view.__closure__ or ():
            try:
                value = cell.cell_contents
            except ValueError:
                continue
            if isinstance(value, list | tuple) and list(value) == ["POST"]:
                return True
        view = getattr(view, "__wrapped__", None)
    return False


def demo_samples(live_url: str) -> dict:
    """Objects for URL parameters, from `seed_demo` plus a few rows the demo does not make."""
    admin = get_user_model().objects.get(email=ADMIN)
    booking = Booking.objects.filter(tickets__isnull=False).distinct().order_by("pk").first()
    event = booking.event
    contact = booking.buyer.contacts.filter(is_primary=True).first()
    ticket = Ticket.objects.filter(booking=booking, status__in=["issued", "sent"]).order_by("pk").first()
    unnamed = Ticket.objects.filter(booking=booking, guest__isnull=True, status__in=["issued", "sent"]).first()
    invoice = Invoice.objects.filter(booking=booking).first()

    # Rows the demo leaves out, so their pages have something to show.
    _, _token = devices.create_gate_device(actor=admin, event_code=event.code, gate="North")
    imports.import_scans(actor=admin, event_id=event.pk, file_name="gate.csv",
                         content=f"code,time,gate\n{ticket.code},{timezone.now().isoformat()},South\n".encode())
    allocation_services.upload_requests(file_name="requests.csv", actor=admin,
                                        content=b"Booking Reference,Package,Headcount,Preferred Area,"
                                                b"Requested Units\nBK-99999,,,,\n")
    finance_services.record_receipt(reference="Bank transfer 4471", amount=Decimal("120.00"),
                                    received_on=timezone.localdate(), actor=admin)
    portal_services.send_tickets(buyer=booking.buyer, booking_id=booking.pk, mode="buyer_bundle", actor=admin)
    login_token = secrets.token_urlsafe(32)
    PortalLoginLink.objects.create(contact=contact, token_hash=portal_services._hash(login_token),
                                   expires_at=timezone.now() + timedelta(minutes=15))
    claim_token = guestlists.create_claim_link(buyer=booking.buyer, ticket_id=unnamed.pk, actor=admin)[1].rsplit(
        "/", 2)[-2] if unnamed else None

    def pk(model, **filters):
        row = model.objects.filter(**filters).order_by("pk").first()
        return row.pk if row else None

    by_name = {
        "booking_id": booking.pk, "ticket_id": ticket.pk, "buyer_id": booking.buyer_id, "buyer_pk": booking.buyer_id,
        "event_id": event.pk, "code": event.code, "version": pk(Manifest, booking=booking) and 1,
        "guest_id": pk(Guest, booking=booking), "upload_id": pk(AllocationUpload), "import_id": pk(ScanImport),
        "device_id": pk(GateDevice), "item_id": pk(UnmatchedReceipt), "message_id": pk(OutboxMessage),
        "job_id": Job.objects.order_by("created_at").values_list("pk", flat=True).first(),
        "invoice_id": invoice.pk, "user_id": admin.pk,
        "action": ["reissue", "revoke"], "verb": ["reissue", "transfer", "revoke"],
    }
    by_route = {
        "buyers:detail": {"pk": booking.buyer_id}, "buyers:buyer-edit": {"pk": booking.buyer_id},
        "buyers:contact-edit": {"pk": contact.pk}, "buyers:billing-edit": {"pk": booking.billing_entity_id},
        "buyers:booking": {"pk": booking.pk}, "buyers:booking-edit": {"pk": booking.pk},
        "buyers:booking-amend": {"pk": booking.pk}, "buyers:booking-terms": {"pk": booking.pk},
        "buyers:booking-lock": {"pk": booking.pk}, "buyers:booking-ready": {"pk": booking.pk},
        "buyers:handoff": {"pk": pk(CrmHandoff)},
        "catalogue:venue-edit": {"pk": pk(Venue)}, "catalogue:package-edit": {"pk": pk(Package, event=event)},
        "finance:invoice": {"pk": invoice.pk}, "finance:invoice-pdf": {"pk": invoice.pk},
        "distribution:event-message": {"kind": list(KINDS.values)},
        "portal:ticket-file": {"kind": "pdf"},
        "portal:link": {"token": login_token}, "portal:claim": {"token": claim_token},
        "password_reset_confirm": {"uidb64": urlsafe_base64_encode(force_bytes(admin.pk)),
                                   "token": default_token_generator.make_token(admin)},
    }
    return types.SimpleNamespace(by_name=by_name, by_route=by_route, contact=contact, live_url=live_url)


def urls_for(name: str, path: str, params: list[str], samples) -> tuple[list[str], str]:
    """Every URL to check for a route (one per listed sample value), or [] and why it cannot be filled."""
    urls = [path]
    for param in params:
        chosen = samples.by_route.get(name, {})
        if param not in chosen and param not in samples.by_name:
            raise AssertionError(f"{name}: no sample for the URL parameter '{param}'; add one to demo_samples()")
        value = chosen.get(param, samples.by_name.get(param))
        if value is None:
            return [], f"no {param} in the demo data"
        pattern = re.compile(rf"<(?:\w+:)?{param}>")
        urls = [pattern.sub(str(v), url) for url in urls for v in (value if isinstance(value, list) else [value])]
    return [f"{samples.live_url}/{url}" for url in urls], ""


def not_a_page(response) -> str:
    """An empty string for an HTML page to check with axe; otherwise what the URL answers instead."""
    kind = response.headers.get("content-type", "")
    if response.status == 405:
        return "action (405 on GET)"
    if 300 <= response.status < 400:
        return f"redirect {response.status}"
    if response.status != 200:
        return f"failed: answered {response.status}"
    if not kind.startswith("text/html"):
        return f"download ({kind.split(';')[0]})"
    if "<html" not in response.text()[:500].lower():
        return "HTMX fragment"
    return ""


def portal_cookie(contact, live_url: str) -> dict:
    session = SessionStore()
    session[SESSION_KEY] = contact.pk
    session.create()
    return {"name": django_settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": live_url}


def test_every_console_and_portal_page_has_no_serious_accessibility_violations(
        page, chromium, live_server, sign_in, axe, settings):
    settings.EVENTCHAIN_BASE_URL = live_server.url
    call_command("seed_demo")
    samples = demo_samples(live_server.url)
    sign_in()  # the demo administrator holds every role, so every console page opens

    def context(cookies):
        made = chromium.new_context(viewport={"width": 1280, "height": 860}, bypass_csp=True)  # axe is inline
        made.add_cookies(cookies)
        return made.new_page()

    browsers = {"staff": context(page.context.cookies()),
                "portal": context([portal_cookie(samples.contact, live_server.url)]), "anonymous": context([])}
    rows, failures, problems = [], [], []
    spent = {"all": 0.0, "axe": 0.0}
    for name, path, view, params in sorted(routes(), key=lambda r: r[1]):
        if not path.startswith(IN_SCOPE):
            continue
        who = "anonymous" if name in ANONYMOUS else "portal" if path.startswith("portal/") else "staff"
        if post_only(view):
            rows.append((name, path, "action (POST only)"))
            continue
        if path.endswith(DOWNLOAD_SUFFIXES):
            rows.append((name, path, "download (by its name)"))
            continue
        if name in EMAIL_ONLY:
            rows.append((name, path, "link inside an email"))
            continue
        urls, why = urls_for(name, path, params, samples)
        if not urls:
            rows.append((name, path, f"not checked: {why}"))
            continue
        browser = browsers[who]
        for url in urls:
            shown = url.removeprefix(live_server.url)
            started = time.perf_counter()
            response = browser.request.get(url, max_redirects=0)
            what = not_a_page(response)
            if what == "":
                browser.goto(url)
                loaded = time.perf_counter()
                found = axe(browser)
                spent["axe"] += time.perf_counter() - loaded
                what = f"checked: {len(found)} serious/critical"
                failures += [f"{shown}: [{v['impact']}] {v['id']}: {v['help']} at {v['targets']}" for v in found]
            elif what.startswith("failed"):
                problems.append(f"{shown} ({who}) {what}")
            spent["all"] += time.perf_counter() - started
            rows.append((name, shown, what))

    width = max(len(r[1]) for r in rows)
    print("\n".join(f"{path:<{width}}  {result}  ({name})" for name, path, result in rows))
    checked = [r for r in rows if r[2].startswith("checked")]
    print(f"{len(checked)} pages checked with axe of {len(rows)} routes and URLs in {spent['all']:.0f}s "
          f"(axe itself {spent['axe']:.0f}s)")
    for made in browsers.values():
        made.context.close()
    assert len(checked) >= 60, "far fewer pages than the console and portal have: is the resolver walk broken?"
    assert not problems and not failures, "\n".join(
        ["Pages that did not load:", *problems, f"{len(failures)} serious or critical violations:", *failures])
