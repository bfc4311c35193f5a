"""Guest lists: placeholders, per-seat claim links (single use, expiry, revocation, wrong seat), cut-off."""

from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from buyers.models import Contact
from distribution.guestlists import services
from distribution.models import ClaimLink, DeliveryMessage, MessageKind, TrackingEvent, TrackingKind
from eventchain.errors import StateConflict
from eventchain.models import AuditEntry
from tickets import services as ticket_services
from tickets.models import Channel, Guest, Ticket, TicketStatus

from .conftest import PRIMARY
from .helpers import link_named, local_path, parts

pytestmark = pytest.mark.django_db
ACTOR = f"contact:{PRIMARY}"


@pytest.fixture
def signed_in(booking_for, portal_client):
    def make(package_code="BOX-8", **kwargs):
        booking = booking_for(package_code, **kwargs)
        contact = Contact.objects.get(buyer=booking.buyer, is_primary=True)
        return booking, portal_client(contact)

    return make


def _unnamed(booking):
    return list(Ticket.objects.filter(booking=booking, guest__isnull=True).order_by("manifest_line_id", "seat_index"))


def _claim_values(seat, **overrides):
    return {"ticket": seat.number, "name": "Casey Claimant", "email": "Casey@Guests.example", "phone": "0400 000 000",
            "dietary": "vegetarian", "accessibility": "step-free access", **overrides}


# Placeholders -------------------------------------------------------------------------------------

def test_unnamed_tickets_carry_placeholders_and_the_booking_counts_missing_names(signed_in):
    booking, client = signed_in("BOX-8", guests=1)
    tickets = list(Ticket.objects.filter(booking=booking).select_related("guest")
                   .order_by("manifest_line_id", "seat_index"))
    labels = services.ticket_labels(tickets)
    assert labels[tickets[0].pk] == "Guest 1"  # the named guest's own name
    assert labels[tickets[2].pk] == f"Guest 3 of 8 — {booking.buyer.name}"
    count = services.name_count(booking)
    assert (count.named, count.missing, str(count)) == (1, 7, "7 of 8 names missing")

    page = client.get(f"/portal/bookings/{booking.pk}/").content.decode()
    assert "7 of 8 names missing" in page
    assert f"Guest 8 of 8 — {booking.buyer.name}" in page


def test_comp_passes_of_another_package_are_extra_passes_not_missing_names(booking_for):
    booking = booking_for("BOX-8", extra_lines=[("PARKING", 2)])
    tickets = list(Ticket.objects.filter(booking=booking).select_related("guest")
                   .order_by("manifest_line_id", "seat_index"))
    labels = [services.ticket_labels(tickets)[t.pk] for t in tickets]
    assert len(tickets) == 10 and str(services.name_count(booking)) == "8 of 8 names missing"
    assert labels[7] == f"Guest 8 of 8 — {booking.buyer.name}"
    assert labels[8:] == [f"Extra pass — {booking.buyer.name}"] * 2


# Claim links --------------------------------------------------------------------------------------

def test_claim_link_names_the_seat_reissues_and_emails_the_guest_once(
        signed_in, smtp, client, django_capture_on_commit_callbacks):
    booking, portal = signed_in("BOX-8")
    ticket_services.mark_sent(ticket_ids=[t.pk for t in _unnamed(booking)], actor="test")
    seat = _unnamed(booking)[2]
    response = portal.post(f"/portal/tickets/{seat.pk}/claim-links/", {"email": ""})
    assert response.status_code == 200
    url = response.context["created_url"]
    token = url.rstrip("/").rsplit("/", 1)[1]
    link = ClaimLink.objects.get()
    assert link.token_hash != token and len(link.token_hash) == 64  # stored hashed only
    assert link.expires_at - timezone.now() > timedelta(days=13)

    page = client.get(local_path(url))
    assert page.status_code == 200 and seat.place in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(local_path(url), _claim_values(seat))
    assert done.status_code == 200, done.content
    seat.refresh_from_db()
    guest = seat.guest
    assert (guest.name, guest.email, guest.phone) == ("Casey Claimant", "casey@guests.example", "0400 000 000")
    assert guest.requirements == "Dietary: vegetarian; Access: step-free access"
    assert seat.channel == Channel.EMAIL_GUEST and seat.generation == 2  # new code carrying the name
    assert [m.recipient_email for m in DeliveryMessage.objects.filter(tickets=seat)] == ["casey@guests.example"]
    assert smtp.messages_to("casey@guests.example")
    assert TrackingEvent.objects.filter(ticket=seat, kind=TrackingKind.CLAIMED).count() == 1
    assert services.name_count(booking).missing == 7

    again = client.get(local_path(url))
    assert again.status_code == 404 and "already been used" in again.content.decode()
    assert client.post(local_path(url), _claim_values(seat, name="Someone Else")).status_code == 404
    assert Guest.objects.filter(booking=booking).count() == 1


def test_claim_link_emailed_by_the_coordinator_arrives_and_works(
        signed_in, smtp, client, django_capture_on_commit_callbacks):
    booking, portal = signed_in("BOX-8")
    seat = _unnamed(booking)[0]
    with django_capture_on_commit_callbacks(execute=True):
        response = portal.post(f"/portal/tickets/{seat.pk}/claim-links/", {"email": "Colleague@Acme.example"})
    assert response.status_code == 200
    message = DeliveryMessage.objects.get(kind=MessageKind.CLAIM_LINK)
    assert "url_encrypted" in message.context and "/portal/claim/" not in str(message.context)
    [email] = smtp.messages_to("colleague@acme.example")
    text, html, _ = parts(email)
    url = link_named(html, "Claim your ticket")
    assert url in text and booking.event.name in text
    assert client.post(local_path(url), _claim_values(seat)).status_code == 200
    seat.refresh_from_db()
    assert seat.guest.name == "Casey Claimant"


def test_expired_revoked_and_replaced_links_are_refused_with_reasons(signed_in, client):
    booking, portal = signed_in("BOX-8")
    seat = _unnamed(booking)[0]
    _, first = services.create_claim_link(buyer=booking.buyer, ticket_id=seat.pk, actor=ACTOR)
    _, second = services.create_claim_link(buyer=booking.buyer, ticket_id=seat.pk, actor=ACTOR)
    refused = client.get(local_path(first))
    assert refused.status_code == 404 and "withdrawn" in refused.content.decode()  # replaced by the newer one

    link = ClaimLink.objects.get(revoked_at__isnull=True)
    assert portal.post(f"/portal/claim-links/{link.pk}/revoke/").status_code == 302
    assert "withdrawn" in client.get(local_path(second)).content.decode()

    _, third = services.create_claim_link(buyer=booking.buyer, ticket_id=seat.pk, actor=ACTOR)
    with time_machine.travel(timezone.now() + timedelta(days=15)):
        expired = client.post(local_path(third), _claim_values(seat))
    assert expired.status_code == 404 and "expired" in expired.content.decode()
    assert client.get("/portal/claim/not-a-real-token/").status_code == 404
    seat.refresh_from_db()
    assert seat.guest is None


def test_a_link_only_names_its_own_seat(signed_in, client):
    booking, _ = signed_in("BOX-8")
    seat, other = _unnamed(booking)[:2]
    _, url = services.create_claim_link(buyer=booking.buyer, ticket_id=seat.pk, actor=ACTOR)
    response = client.post(local_path(url), _claim_values(seat, ticket=other.number))
    assert response.status_code == 404 and f"ticket {seat.number}" in response.content.decode()
    seat.refresh_from_db()
    other.refresh_from_db()
    assert seat.guest is None and other.guest is None
    # once the coordinator names the seat another way, the link stops working
    ticket_services.set_guest_list(booking_id=booking.pk, actor=ACTOR, guests=[{"name": "Named Directly"}])
    ticket_services.assign_guest(ticket_id=seat.pk, guest_id=Guest.objects.get().pk, actor=ACTOR)
    assert "named already" in client.get(local_path(url)).content.decode()


def test_links_are_scoped_to_the_buyer_and_refused_for_named_or_revoked_seats(signed_in, booking_for):
    booking, portal = signed_in("BOX-8", guests=1)
    stranger = booking_for("BOX-8", primary=None)
    foreign = _unnamed(stranger)[0]
    assert portal.post(f"/portal/tickets/{foreign.pk}/claim-links/", {}).status_code == 404
    named = Ticket.objects.get(booking=booking, guest__isnull=False)
    with pytest.raises(StateConflict, match="already named"):
        services.create_claim_link(buyer=booking.buyer, ticket_id=named.pk, actor=ACTOR)
    revoked = _unnamed(booking)[0]
    ticket_services.revoke_ticket(ticket_id=revoked.pk, actor="test")
    with pytest.raises(StateConflict, match="revoked"):
        services.create_claim_link(buyer=booking.buyer, ticket_id=revoked.pk, actor=ACTOR)


def test_claim_attempts_are_rate_limited_per_network(signed_in, client, settings):
    settings.EVENTCHAIN_CLAIM_ATTEMPTS_PER_IP = 2
    booking, _ = signed_in("BOX-8")
    seat = _unnamed(booking)[0]
    _, url = services.create_claim_link(buyer=booking.buyer, ticket_id=seat.pk, actor=ACTOR)
    for _ in range(2):
        assert client.post(local_path(url), _claim_values(seat, ticket="WRONG")).status_code == 404
    limited = client.post(local_path(url), _claim_values(seat))
    assert limited.status_code == 429 and limited["Retry-After"]
    seat.refresh_from_db()
    assert seat.guest is None


# Cut-off ------------------------------------------------------------------------------------------

def test_after_cutoff_only_staff_change_the_list_and_it_is_audited(signed_in, make_staff, client):
    booking, portal = signed_in("BOX-8", guests=1)
    now = timezone.now()
    seat = _unnamed(booking)[0]
    _, url = services.create_claim_link(buyer=booking.buyer, ticket_id=seat.pk, actor=ACTOR)
    services.set_event_policy(event=booking.event, names_due_at=now - timedelta(days=2),
                              cutoff_at=now - timedelta(hours=1), actor=make_staff("sales"))

    response = portal.post(f"/portal/bookings/{booking.pk}/guests/add/",
                           {"name": "Late Guest", "email": "", "phone": "", "requirements": ""})
    assert response.status_code == 422 and "closed on" in response.content.decode()
    assert not Guest.objects.filter(name="Late Guest").exists()
    with pytest.raises(services.GuestListFrozen, match="ask your account manager|Ask your account manager"):
        services.create_claim_link(buyer=booking.buyer, ticket_id=seat.pk, actor=ACTOR)
    claimed = client.post(local_path(url), _claim_values(seat))
    assert claimed.status_code == 409 and "closed" in claimed.content.decode()
    assert "The guest list closed" in portal.get(f"/portal/bookings/{booking.pk}/").content.decode()
    upload = portal.post(f"/portal/bookings/{booking.pk}/guests/upload/", {
        "file": SimpleUploadedFile("late.csv", b"name,email,phone,requirements\nLate Upload,,,\n", "text/csv")})
    assert upload.status_code == 422 and "closed on" in upload.content.decode()
    assert not Guest.objects.filter(name="Late Upload").exists()

    from distribution.services import portal as portal_services

    with pytest.raises(services.GuestListFrozen):
        portal_services.assign_guest(buyer=booking.buyer, ticket_id=seat.pk, guest_id=None, actor=ACTOR)
    staff = make_staff("ticketing")
    portal_services.save_guest(buyer=booking.buyer, booking_id=booking.pk, guest_id=None,
                               values={"name": "Staff Added"}, actor=staff)
    assert Guest.objects.filter(name="Staff Added").exists()
    assert AuditEntry.objects.filter(action="guestlists.changed_after_cutoff").count() == 1


def test_a_booking_override_moves_its_own_cutoff(signed_in, make_staff):
    booking, _ = signed_in("BOX-8")
    now = timezone.now()
    staff = make_staff("sales")
    services.set_event_policy(event=booking.event, names_due_at=now - timedelta(days=2),
                              cutoff_at=now - timedelta(hours=1), actor=staff)
    assert services.deadlines(booking).frozen()
    services.set_booking_override(booking_id=booking.pk, cutoff_at=now + timedelta(days=3), actor=staff)
    assert not services.deadlines(booking).frozen()
    services.ensure_open(booking, ACTOR)  # no error
    assert TicketStatus.ISSUED in Ticket.objects.filter(booking=booking).values_list("status", flat=True)
