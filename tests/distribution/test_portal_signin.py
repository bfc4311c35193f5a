"""Portal sign-in: one-time email links, expiry, rate limits, no account enumeration, separate from staff."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from buyers.models import Buyer, Contact
from distribution.models import DeliveryMessage, PortalLoginLink
from eventchain.models import AuditEntry, OutboxMessage

from .conftest import PRIMARY
from .helpers import local_path, parts

pytestmark = pytest.mark.django_db
SIGN_IN = "/portal/sign-in/"


@pytest.fixture
def contact(db):
    buyer = Buyer.objects.create(name="Acme Mining")
    return Contact.objects.create(buyer=buyer, name="Pat Buyer", email=PRIMARY, is_primary=True)


def request_link(client, email, capture, **extra):
    with capture(execute=True):
        return client.post(SIGN_IN, {"email": email}, **extra)


def link_from(smtp, address) -> str:
    text = parts(smtp.messages_to(address)[-1])[0]
    return local_path(re.search(r"(https?://\S+/portal/sign-in/\S+/)", text).group(1))


def test_magic_link_signs_in_once(client, contact, smtp, django_capture_on_commit_callbacks):
    response = request_link(client, "PAT@acme.example", django_capture_on_commit_callbacks)
    assert response.status_code == 200 and b"Check your email" in response.content
    [message] = smtp.messages_to(PRIMARY)
    assert message["Subject"] == "Your sign-in link for the EventChain buyer portal"
    path = link_from(smtp, PRIMARY)
    token = path.rstrip("/").rsplit("/", 1)[1]

    # stored hashed; the queued copy was encrypted and is wiped once the mail server has it
    link = PortalLoginLink.objects.get()
    assert link.token_hash != token and len(link.token_hash) == 64
    assert token not in str(DeliveryMessage.objects.get().context)
    assert token not in str(list(OutboxMessage.objects.values_list("payload", flat=True)))

    # GET (what a mail scanner does) does not use the link up
    confirm = client.get(path)
    assert confirm.status_code == 200 and PRIMARY.encode() in confirm.content
    assert "portal_contact_id" not in client.session
    signed_in = client.post(path)
    assert signed_in.status_code == 302 and signed_in["Location"] == "/portal/"
    assert client.session["portal_contact_id"] == contact.pk
    assert "_auth_user_id" not in client.session  # never a Django (staff) login
    assert client.get("/portal/").status_code == 200
    assert AuditEntry.objects.filter(action="portal.signed_in", actor_label=f"contact:{PRIMARY}").count() == 1

    other = Client()
    again = other.post(path)
    assert again.status_code == 404 and b"already been used" in again.content
    assert "portal_contact_id" not in other.session


def test_magic_link_expires(client, contact, smtp, django_capture_on_commit_callbacks):
    request_link(client, PRIMARY, django_capture_on_commit_callbacks)
    path = link_from(smtp, PRIMARY)
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        response = client.post(path)
    assert response.status_code == 404 and b"expired" in response.content
    assert "portal_contact_id" not in client.session
    assert client.get("/portal/").status_code == 302


def test_unknown_and_known_addresses_get_the_same_answer(contact, smtp, django_capture_on_commit_callbacks):
    known = request_link(Client(), PRIMARY, django_capture_on_commit_callbacks)
    unknown = request_link(Client(), "nobody@acme.example", django_capture_on_commit_callbacks)
    assert known.status_code == unknown.status_code == 200
    def normalise(response, email):  # the address echoed back and the CSRF token are the only differences
        return re.sub(rb"[A-Za-z0-9]{64}", b"CSRF", response.content.replace(email.encode(), b"EMAIL"))

    assert normalise(known, PRIMARY) == normalise(unknown, "nobody@acme.example")
    assert [r.rcpt_tos for r in smtp.received] == [[PRIMARY]]


def test_sign_in_requests_are_rate_limited_per_email_known_or_not(contact, smtp, django_capture_on_commit_callbacks):
    for email in (PRIMARY, "nobody@acme.example"):
        client = Client()
        for n in range(5):
            assert request_link(client, email, django_capture_on_commit_callbacks,
                                REMOTE_ADDR=f"10.0.0.{n}").status_code == 200
        limited = request_link(client, email, django_capture_on_commit_callbacks, REMOTE_ADDR="10.0.0.9")
        assert limited.status_code == 429 and b"Try again in" in limited.content
        assert int(limited["Retry-After"]) > 0
    assert len(smtp.messages_to(PRIMARY)) == 5


def test_sign_in_requests_are_rate_limited_per_ip(contact, smtp, django_capture_on_commit_callbacks):
    client = Client(REMOTE_ADDR="203.0.113.7")
    for n in range(20):
        assert request_link(client, f"person{n}@acme.example", django_capture_on_commit_callbacks).status_code == 200
    limited = request_link(client, PRIMARY, django_capture_on_commit_callbacks)
    assert limited.status_code == 429 and b"this network" in limited.content
    assert smtp.received == []


def test_one_address_on_two_accounts_gets_a_link_for_each(contact, smtp, django_capture_on_commit_callbacks):
    other = Buyer.objects.create(name="Beta Logistics")
    Contact.objects.create(buyer=other, name="Pat Buyer", email=PRIMARY)
    request_link(Client(), PRIMARY, django_capture_on_commit_callbacks)
    [message] = smtp.messages_to(PRIMARY)
    text = parts(message)[0]
    assert "Sign in to Acme Mining" in text and "Sign in to Beta Logistics" in text
    assert PortalLoginLink.objects.count() == 2


def test_portal_and_staff_sessions_are_separate(client, contact, staff_client, portal_client):
    portal = portal_client(contact)
    assert portal.get("/portal/").status_code == 200
    console = portal.get("/console/")
    assert console.status_code == 302 and console["Location"].startswith("/login/")
    staff = staff_client("admin")
    response = staff.get("/portal/")
    assert response.status_code == 302 and response["Location"].startswith("/portal/sign-in/")


def test_sign_out_ends_the_portal_session(contact, portal_client):
    portal = portal_client(contact)
    assert portal.post("/portal/sign-out/").status_code == 302
    assert portal.get("/portal/").status_code == 302
    assert AuditEntry.objects.filter(action="portal.signed_out").exists()
