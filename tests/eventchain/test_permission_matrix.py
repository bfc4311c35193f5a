"""Separation of duties, walked: every console URL and every staff API endpoint × every role.

The routes come from the URL resolver and the OpenAPI document, so a new page or endpoint joins the walk
by itself and fails it when it declares no capability. Each role must get 403 exactly when it lacks the
capability, and a refused request must change nothing.
"""

import json
import re
import uuid
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.core.management import call_command
from django.test import Client

from eventchain import permissions_map, roles
from eventchain.models import AuditEntry

pytestmark = pytest.mark.django_db

ROLES = [*roles.ROLE_NAMES, None]  # None: a signed-in user without any role
MISSING = 999_999


def holds(role: str | None, capabilities) -> bool:
    return role is not None and any(c in roles.ROLES[role][1] for c in capabilities)


@pytest.fixture
def demo(db, django_capture_on_commit_callbacks):
    """seed_demo's objects: the Harbour Bank booking walked to issued, its buyer, invoice and tickets."""
    from buyers.models import Booking
    from distribution.models import DeliveryMessage
    from eventchain import tokens
    from eventchain.models import Job, OutboxMessage, Package, Venue
    from finance.models import Invoice

    with django_capture_on_commit_callbacks(execute=True):  # issuance runs after commit
        call_command("seed_demo", verbosity=0)
    booking = Booking.objects.filter(tickets__isnull=False).select_related("buyer", "event").distinct().first()
    assert booking is not None, "seed_demo should walk one booking to issued"
    token, _ = tokens.create_api_token(actor=None, user_email="admin@example.com", name="matrix walk")
    first = lambda rows: rows.order_by("pk").values_list("pk", flat=True).first() or MISSING  # noqa: E731
    return {
        "booking": booking,
        "values": {
            ("bookings", "pk"): booking.pk, ("bookings", "booking_id"): booking.pk,
            ("buyers", "pk"): booking.buyer_id, ("buyers", "buyer_pk"): booking.buyer_id,
            ("buyers", "buyer_id"): booking.buyer_id,
            ("contacts", "pk"): first(booking.buyer.contacts.all()),
            ("billing", "pk"): first(booking.buyer.billing_entities.all()),
            ("invoices", "pk"): first(Invoice.objects.filter(booking=booking)),
            ("events", "code"): booking.event.code, ("designs", "code"): booking.event.code,
            ("events", "event_id"): booking.event_id,
            ("tickets", "ticket_id"): first(booking.tickets.all()),
            ("messages", "message_id"): first(DeliveryMessage.objects.all()),
            ("outbox", "message_id"): first(OutboxMessage.objects.all()),
            ("manifests", "version"): 1, ("messages", "kind"): "confirmation", ("", "action"): "reissue",
            ("api-tokens", "token_id"): token.pk,
            ("jobs", "job_id"): Job.objects.order_by("created_at").values_list("pk", flat=True).first() or uuid.uuid4(),
            ("venues", "pk"): first(Venue.objects.all()), ("packages", "pk"): first(Package.objects.all()),
            ("two-factor", "user_id"): token.user_id,
        },
    }


def fill(route: str, values: dict) -> str:
    """The route with each <converter:name> replaced by a real object's key (the segment before it says which)."""

    def value(match):
        converter, name = match.group("converter") or "str", match.group("name")
        before = re.search(r"([\w-]+)/$", route[: match.start()])
        found = values.get((before.group(1) if before else "", name), values.get(("", name)))
        if found is None:
            found = uuid.uuid4() if converter == "uuid" else MISSING if converter == "int" else "X"
        return str(found)

    return "/" + re.sub(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>", value, route)


def signed_in(make_staff, role) -> Client:
    client = Client()
    client.force_login(make_staff(role))
    return client


def row_counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()
            if model._meta.managed and not model._meta.proxy and model._meta.app_label not in {"sessions", "admin"}}


# ---------------------------------------------------------------- console


def test_every_console_view_declares_the_capability_it_checks():
    routes = permissions_map.console_routes()
    assert len(routes) > 50
    undeclared = [r.route for r in routes if r.capability not in roles.CAPABILITIES]
    assert undeclared == [], f"Console views without @capability_required: {undeclared}"


def test_every_console_url_answers_403_exactly_to_roles_without_its_capability(demo, make_staff):
    wrong = []
    for role in ROLES:
        client = signed_in(make_staff, role)
        for route in permissions_map.console_routes():
            url = fill(route.route, demo["values"])
            status = client.get(url).status_code
            allowed = holds(role, [route.capability])
            if allowed and (status == 403 or status >= 500) or not allowed and status not in (403, 405):
                wrong.append(f"{role} GET {url} ({route.capability}) → {status}")
    assert wrong == []


def test_roles_without_the_capability_cannot_post_to_any_console_url_and_nothing_changes(demo, make_staff):
    """POST-only actions (requeue, revoke, confirm...) too: the CSRF-exempt client reaches the view itself."""
    wrong, posted = [], 0
    for role in ROLES:
        client = Client(enforce_csrf_checks=False)
        client.force_login(make_staff(role))
        before_rows, before_audit = row_counts(), AuditEntry.objects.count()
        for route in permissions_map.console_routes():
            if holds(role, [route.capability]):
                continue
            url = fill(route.route, demo["values"])
            status = client.post(url, {"confirm": "yes", "reason": "matrix"}).status_code
            posted += 1
            if status != 403:
                wrong.append(f"{role} POST {url} ({route.capability}) → {status}")
        after_rows = row_counts()
        changed = {k: (v, after_rows[k]) for k, v in before_rows.items() if after_rows[k] != v}
        assert AuditEntry.objects.count() == before_audit and not changed, f"{role} changed {changed}"
    assert posted > 100 and wrong == []


class _PostForms(HTMLParser):
    def __init__(self):
        super().__init__()
        self.actions: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "get").lower() == "post":
            self.actions.append(attrs.get("action") or "(this page)")
        if tag == "button" and "hx-post" in attrs:
            self.actions.append(attrs["hx-post"])


def test_the_reporting_role_sees_no_write_form_on_any_page_it_can_open(demo, make_staff):
    client = signed_in(make_staff, "reporting")
    opened, forms = 0, {}
    for route in permissions_map.console_routes():
        if not holds("reporting", [route.capability]):
            continue
        response = client.get(fill(route.route, demo["values"]))
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        opened += 1
        parser = _PostForms()
        parser.feed(response.content.decode())
        writes = [a for a in parser.actions if a not in {"/logout/"}]
        if writes:
            forms[route.route] = writes
    assert opened >= 10 and forms == {}


def test_django_admin_needs_is_staff_which_no_role_grants(make_staff):
    for role in roles.ROLE_NAMES:
        response = signed_in(make_staff, role).get("/django-admin/")
        assert response.status_code == 302 and "/django-admin/login/" in response["Location"], role


# ---------------------------------------------------------------- API


def test_every_staff_api_endpoint_declares_its_capability():
    endpoints = permissions_map.staff_endpoints()
    assert len(endpoints) >= 15
    undeclared = [f"{e.method} {e.path}" for e in endpoints if not e.capabilities]
    assert undeclared == [], "Staff endpoints without openapi_extra=needs_capability(...): " f"{undeclared}"
    assert all(c in roles.CAPABILITIES for e in endpoints for c in e.capabilities)


# A valid body, so a refusal is the capability check and not input validation (which runs first in ninja).
BODIES = {
    ("POST", "/api/v1/invoices/{id}/payments"): {"amount": "1.00", "date": "2026-01-05", "reference": "matrix"},
    ("PUT", "/api/v1/bookings/{booking_id}/guests"): [{"name": "Matrix Guest", "email": "matrix@example.com"}],
    ("POST", "/api/v1/bookings/{booking_id}/distribute"): {"mode": "bundle"},
}


def _api_url(endpoint, demo) -> str:
    from finance.models import Invoice

    booking = demo["booking"]
    values = {"booking_id": booking.pk, "code": booking.event.code,
              "ticket_id": booking.tickets.order_by("pk").first().pk,
              "job_id": demo["values"][("jobs", "job_id")],
              "id": (Invoice.objects.filter(booking=booking).values_list("pk", flat=True).first() or MISSING)
              if "invoices" in endpoint.path else booking.pk}
    return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), endpoint.path)


def test_every_staff_api_endpoint_answers_403_exactly_to_roles_without_its_capability(demo, api_token):
    wrong = []
    for role in roles.ROLE_NAMES:
        client = Client(HTTP_AUTHORIZATION=f"Bearer {api_token(role)}")
        endpoints = permissions_map.staff_endpoints()
        before_rows, before_audit = row_counts(), AuditEntry.objects.count()
        for endpoint in [e for e in endpoints if not holds(role, e.capabilities)]:
            body = BODIES.get((endpoint.method, endpoint.path), {})
            url = _api_url(endpoint, demo)
            status = client.generic(endpoint.method, url, data=json.dumps(body) if endpoint.method != "GET" else "",
                                    content_type="application/json").status_code
            if status != 403:
                wrong.append(f"{role} {endpoint.method} {url} ({endpoint.capabilities}) → {status}")
        after_rows = row_counts()
        changed = {k: (v, after_rows[k]) for k, v in before_rows.items() if after_rows[k] != v}
        assert AuditEntry.objects.count() == before_audit and not changed, f"{role} changed {changed}"
        # Holders pass the check; reads prove it without a holder's write changing the demo for the next role.
        for endpoint in [e for e in endpoints if holds(role, e.capabilities) and e.method == "GET"]:
            url = _api_url(endpoint, demo)
            status = client.get(url).status_code
            if status in (401, 403) or status >= 500:
                wrong.append(f"{role} GET {url} ({endpoint.capabilities}) → {status}")
    assert wrong == []
