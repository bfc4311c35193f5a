"""Isolation walk: every portal URL and every API path, requested with a second buyer's portal session
against the first buyer's rows, answers 404 (or 401 where a staff token is required) — never another
buyer's data, never a 500, and changes nothing."""

import json
import re

import pytest
from django.urls import URLPattern, URLResolver

from buyers.models import Contact
from distribution.guestlists import services as guestlists
from distribution.models import DeliveryMessage
from distribution.portal import urls as portal_urls
from eventchain.api.root import api as ninja_api
from eventchain.models import Job
from tickets.models import Guest, Ticket

pytestmark = pytest.mark.django_db
TOKEN_ROUTES = {"link", "open-pixel", "tracked-file", "google-wallet-callback", "claim"}  # not session-scoped
UNSCOPED = {"home", "login", "logout", "invoices", "address-book", "consent"}  # consent: own contact only


@pytest.fixture
def two_buyers(booking_for, make_invoice, portal_client, smtp, django_capture_on_commit_callbacks, api):
    mine = booking_for("BOX-8", guests=2, primary="ana@alpha.example")
    theirs = booking_for("BOX-8", guests=1, primary="bo@beta.example")
    with django_capture_on_commit_callbacks(execute=True):
        response = api("ticketing").post(f"/api/v1/bookings/{mine.pk}/distribute",
                                         data=json.dumps({"mode": "direct_to_guest"}), content_type="application/json")
    job = Job.objects.get(pk=response.json()["job"])
    invoice = make_invoice(mine)
    ticket = Ticket.objects.filter(booking=mine, guest__isnull=False).first()
    claim_link, _ = guestlists.create_claim_link(buyer=mine.buyer, actor="contact:ana@alpha.example",
                                                 ticket_id=Ticket.objects.filter(booking=mine, guest__isnull=True)
                                                 .first().pk)
    return {
        "claim_link": claim_link,
        "booking": mine, "ticket": ticket, "guest": Guest.objects.filter(booking=mine).first(), "job": job,
        "invoice": invoice, "message": DeliveryMessage.objects.filter(booking=mine).first(),
        "intruder": portal_client(Contact.objects.get(email="bo@beta.example")), "theirs": theirs,
        "secrets": [mine.reference, ticket.number, ticket.code, "Guest 2", invoice.number, "ana@alpha.example"],
    }


def _portal_patterns():
    for entry in portal_urls.urlpatterns:
        assert isinstance(entry, URLPattern) and not isinstance(entry, URLResolver)
        yield entry.name, str(entry.pattern)


def _fill(route: str, values: dict) -> str:
    def value(match):
        name = match.group(2)
        return str(values[name])

    return "/portal/" + re.sub(r"<(?:(\w+):)?(\w+)>", value, route)


def _state(data) -> tuple:
    ticket = Ticket.objects.get(pk=data["ticket"].pk)
    return (ticket.generation, ticket.status, ticket.guest_id,
            list(Guest.objects.filter(booking=data["booking"]).values_list("name", "email")),
            DeliveryMessage.objects.filter(booking=data["booking"]).count())


def test_every_portal_url_with_another_buyers_session_is_404(two_buyers):
    data, client = two_buyers, two_buyers["intruder"]
    before = _state(data)
    values = {"booking_id": data["booking"].pk, "ticket_id": data["ticket"].pk, "guest_id": data["guest"].pk,
              "job_id": data["job"].pk, "invoice_id": data["invoice"].pk, "link_id": data["claim_link"].pk}
    walked = set()
    for name, route in _portal_patterns():
        if name in TOKEN_ROUTES:
            continue
        if name in UNSCOPED:
            if name != "logout":
                response = client.get(_fill(route, values))
                assert response.status_code in (200, 302), name
                assert not any(s.encode() in response.content for s in data["secrets"]), name
            walked.add(name)
            continue
        variants = [{"kind": kind} for kind in ("pdf", "pkpass", "google")] if "<str:kind>" in route else \
            [{"verb": verb} for verb in ("reissue", "revoke", "transfer")] if "<str:verb>" in route else [{}]
        for extra in variants:
            url = _fill(route, {**values, **extra})
            for method in ("get", "post"):
                body = {"name": "Mallory", "email": "m@evil.example", "reason": "x", "confirm": "on",
                        "mode": "buyer_bundle", "guest": data["guest"].pk}
                response = getattr(client, method)(url, body) if method == "post" else client.get(url)
                if method == "get" and response.status_code == 405:
                    # a POST-only action refuses GET before looking anything up: the same for any id
                    nowhere = _fill(route, {**{key: 999999 for key in values}, "job_id": data["job"].pk, **extra})
                    assert client.get(nowhere).status_code == 405
                    continue
                assert response.status_code == 404, (name, method, url, response.status_code)
                assert not any(s.encode() in response.content for s in data["secrets"]), (name, method)
        walked.add(name)
    assert walked | TOKEN_ROUTES == {name for name, _ in _portal_patterns()}
    assert _state(data) == before


def test_email_links_only_work_with_a_valid_signature(client, two_buyers):
    for path in ("/portal/o/forged.gif", "/portal/f/forged/", "/portal/f/eyJrIjoicGRmIiwidCI6MX0:forged:sig/"):
        assert client.get(path).status_code == 404
    assert client.get("/portal/sign-in/not-a-real-token/").status_code == 404


def _api_operations():
    schema = ninja_api.get_openapi_schema()
    for path, methods in schema["paths"].items():
        for method in methods:
            yield path, method


def test_every_api_path_with_another_buyers_session_is_401_or_404(two_buyers):
    data, client = two_buyers, two_buyers["intruder"]
    before = _state(data)
    booking, ticket = data["booking"], data["ticket"]
    values = {"booking_id": booking.pk, "ticket_id": ticket.pk, "job_id": data["job"].pk,
              "code": booking.event.code}
    walked = 0
    for path, method in _api_operations():
        url = path
        for name in re.findall(r"{(\w+)}", path):
            value = values.get(name)
            if name == "id":
                value = data["invoice"].pk if path.startswith("/api/v1/invoices/") else booking.pk
            url = url.replace("{" + name + "}", str(value))
        response = getattr(client, method)(url, data="{}", content_type="application/json") if method != "get" \
            else client.get(url)
        assert response.status_code in (401, 404), (method, url, response.status_code)
        assert not any(s.encode() in response.content for s in data["secrets"]), (method, url)
        walked += 1
    assert walked > 25
    assert _state(data) == before


def test_ticket_files_in_the_api_are_404_for_another_buyer_and_200_for_the_owner(two_buyers, portal_client):
    data = two_buyers
    ticket, booking = data["ticket"], data["booking"]
    owner = portal_client(Contact.objects.get(email="ana@alpha.example"))
    for path in (f"/api/v1/tickets/{ticket.pk}/pdf", f"/api/v1/bookings/{booking.pk}/tickets/pdf"):
        assert data["intruder"].get(path).status_code == 404
        assert owner.get(path).status_code == 200
    theirs = Ticket.objects.filter(booking=data["theirs"]).first()
    assert owner.get(f"/api/v1/tickets/{theirs.pk}/pdf").status_code == 404
