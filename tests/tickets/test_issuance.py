"""Issuing tickets: one per manifest pass, a resumable job, guests, channels and the booking lifecycle."""

import base64
import json

import pytest

from eventchain.lifecycle import BookingStatus
from eventchain.models import Job
from tickets import codes, keys, services
from tickets.models import Channel, Guest, Ticket, TicketCode, TicketStatus

pytestmark = pytest.mark.django_db


def put_guests(client, booking, guests):
    return client.put(f"/api/v1/bookings/{booking.pk}/guests", data=json.dumps(guests),
                      content_type="application/json")


def test_issue_api_starts_a_job_that_issues_one_ticket_per_pass(api, make_released, django_capture_on_commit_callbacks):
    booking = make_released("BOX-8", units=2, extra_lines=[("PARKING", 2)])
    client = api("ticketing")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/bookings/{booking.pk}/issue-tickets", content_type="application/json")
    assert response.status_code == 202, response.content
    job = client.get(f"/api/v1/jobs/{response.json()['job']}").json()
    assert job["status"] == "done" and job["done"] == job["total"] == 18
    booking.refresh_from_db()
    assert booking.status == BookingStatus.ISSUED
    tickets = list(Ticket.objects.filter(booking=booking))
    assert len(tickets) == 18 and {t.status for t in tickets} == {TicketStatus.ISSUED}
    parking = [t for t in tickets if t.package.code == "PARKING"]
    assert [t.seat_label for t in sorted(parking, key=lambda t: t.seat_index)] == ["Pass 1", "Pass 2"]
    assert all(t.comp for t in parking)
    seats = sorted(t.seat_label for t in tickets if t.unit_label.endswith("00"))
    assert seats == sorted(f"Seat {n}" for n in range(1, 9))
    # every code verifies against the event's key and names its own ticket and generation
    for ticket in tickets:
        claim = keys.verify(ticket.code)
        assert (claim.event_id, claim.ticket_id, claim.generation) == (booking.event_id, ticket.pk, 1)
        assert claim.valid_until == int(booking.event.ends_at.timestamp()) + 24 * 3600


def test_issue_refused_unless_released(api, make_released):
    booking = make_released("BOX-8", status=BookingStatus.INVOICED)
    response = api("ticketing").post(f"/api/v1/bookings/{booking.pk}/issue-tickets")
    assert response.status_code == 409
    assert "released" in response.json()["errors"][0]["message"]
    assert not Ticket.objects.exists()


def test_issue_needs_the_issue_capability(api, make_released):
    booking = make_released("BOX-8")
    assert api("finance").post(f"/api/v1/bookings/{booking.pk}/issue-tickets").status_code == 403


def test_rerunning_after_a_crash_resumes_without_duplicates(make_released, make_staff, monkeypatch):
    booking = make_released("TABLE-10", units=2)
    staff = make_staff("ticketing")
    job = services.start_issuance(booking_id=booking.pk, actor=staff)

    def crash(*args, **kwargs):
        raise RuntimeError("worker lost")

    monkeypatch.setattr(services.rendering, "produce", crash)
    with pytest.raises(RuntimeError):
        services.run_issuance(job_id=job.pk, booking_id=booking.pk, actor=staff)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and "worker lost" in job.errors[-1]
    assert Ticket.objects.filter(booking=booking, status=TicketStatus.STAGED).count() == 20
    first_codes = dict(Ticket.objects.filter(booking=booking).values_list("pk", "code"))

    monkeypatch.undo()
    retry = services.start_issuance(booking_id=booking.pk, actor=staff)
    services.run_issuance(job_id=retry.pk, booking_id=booking.pk, actor=staff)
    services.stage_tickets(booking_id=booking.pk)  # and once more for good measure
    assert Ticket.objects.filter(booking=booking).count() == 20
    assert dict(Ticket.objects.filter(booking=booking).values_list("pk", "code")) == first_codes
    assert TicketCode.objects.filter(ticket__booking=booking).count() == 20
    booking.refresh_from_db()
    assert booking.status == BookingStatus.ISSUED


def test_guest_list_api_replaces_and_assigns_in_order(api, issued):
    booking = issued("BOX-8")
    client = api("ticketing")
    guests = [{"name": "Pat Buyer", "email": "pat@acme.example", "phone": "+61 2 5550 1234"},
              {"name": "Sam Guest", "email": "sam@acme.example"}]
    response = put_guests(client, booking, guests)
    assert response.status_code == 200, response.content
    body = response.json()["guests"]
    assert [g["name"] for g in body] == ["Pat Buyer", "Sam Guest"] and all(g["id"] for g in body)
    tickets = client.get(f"/api/v1/bookings/{booking.pk}/tickets").json()["results"]
    assert [t["guest"]["name"] if t["guest"] else None for t in tickets[:3]] == ["Pat Buyer", "Sam Guest", None]

    # replacing keeps rows by position: renaming guest 1 renames the ticket's guest
    response = put_guests(client, booking, [{"name": "Pat Buyer-Jones", "email": "pat@acme.example"}])
    assert response.status_code == 200
    tickets = client.get(f"/api/v1/bookings/{booking.pk}/tickets").json()["results"]
    assert tickets[0]["guest"]["name"] == "Pat Buyer-Jones" and tickets[1]["guest"] is None
    assert Guest.objects.filter(booking=booking).count() == 1


def test_guest_list_validation_names_the_row(api, make_released):
    booking = make_released("BOX-8")
    client = api("ticketing")
    response = put_guests(client, booking, [{"name": "A", "email": "a@x.example"}, {"name": "B", "email": "b@x.example"},
                                            {"name": "C"}])
    assert response.status_code == 422
    assert {"field": "2.email", "message": "is required"} in response.json()["errors"]
    response = put_guests(client, booking, [{"name": "A", "email": "a@x.example"}, {"name": "B", "email": "b@x.example"},
                                            {"name": "C", "email": "not-an-email"}])
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "2.email"
    too_many = [{"name": f"G{n}", "email": f"g{n}@x.example"} for n in range(9)]
    response = put_guests(client, booking, too_many)
    assert response.status_code == 422
    assert "8 guests" in response.json()["errors"][0]["message"]
    assert not Guest.objects.exists()


def test_guest_list_body_must_be_an_array(api, make_released):
    booking = make_released("BOX-8")
    response = api("ticketing").put(f"/api/v1/bookings/{booking.pk}/guests", data=json.dumps({"name": "x"}),
                                    content_type="application/json")
    assert response.status_code == 422


def test_chosen_assignment_moves_a_guest(make_released, make_staff, issued):
    booking = issued("BOX-8")
    staff = make_staff("ticketing")
    services.set_guest_list(booking_id=booking.pk, guests=[{"name": "Ann", "email": "ann@x.example"}], actor=staff)
    first, second = Ticket.objects.filter(booking=booking).order_by("seat_index")[:2]
    assert first.guest.name == "Ann"
    services.assign_guest(ticket_id=second.pk, guest_id=first.guest_id, actor=staff)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.guest is None and second.guest.name == "Ann"


def test_channel_defaults_to_guest_email_when_known(make_released, make_staff, django_capture_on_commit_callbacks):
    booking = make_released("BOX-8")
    staff = make_staff("ticketing")
    services.set_guest_list(booking_id=booking.pk, guests=[{"name": "Ann", "email": "ann@x.example"},
                                                          {"name": "Bo"}], actor=staff)
    with django_capture_on_commit_callbacks(execute=True):
        services.start_issuance(booking_id=booking.pk, actor=staff)
    channels = list(Ticket.objects.filter(booking=booking).order_by("seat_index").values_list("channel", flat=True))
    assert channels[:3] == [Channel.EMAIL_GUEST, Channel.EMAIL_BUYER, Channel.EMAIL_BUYER]

    other = make_released("BOX-8")
    with django_capture_on_commit_callbacks(execute=True):
        services.start_issuance(booking_id=other.pk, actor=staff, channel=Channel.PORTAL_COLLECT)
    assert set(Ticket.objects.filter(booking=other).values_list("channel", flat=True)) == {Channel.PORTAL_COLLECT}


def test_tickets_list_shape_and_absolute_urls(api, issued):
    booking = issued("BOX-8")
    response = api("ticketing").get(f"/api/v1/bookings/{booking.pk}/tickets")
    assert response.status_code == 200
    ticket = response.json()["results"][0]
    assert set(ticket) >= {"id", "code", "status", "guest", "unit", "pdf_url", "pkpass_url", "google_save_url",
                           "generation"}
    assert ticket["status"] == "issued" and ticket["generation"] == 1 and ticket["code"].startswith("EC1:")
    assert ticket["pdf_url"] == f"https://tickets.example.test/api/v1/tickets/{ticket['id']}/pdf"
    assert ticket["pkpass_url"] is None and ticket["google_save_url"] is None  # wallets not configured here


def test_reissue_revokes_the_old_code_in_the_gate_bundle(api, issued):
    booking = issued("BOX-8")
    client = api("ticketing")
    ticket = Ticket.objects.filter(booking=booking).first()
    old_code = ticket.code
    response = client.post(f"/api/v1/tickets/{ticket.pk}/reissue", data={"reason": "lost phone"},
                           content_type="application/json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["generation"] == 2 and body["code"] != old_code
    bundle = client.get(f"/api/v1/events/{booking.event.code}/gate-bundle").json()
    assert {"ticket": str(ticket.pk), "generation": 1} in bundle["revoked"]
    assert {"ticket": str(ticket.pk), "generation": 2} not in bundle["revoked"]
    # a scanner with only the bundle: both codes verify, and the revocation list tells them apart
    verifier = codes.Verifier({(booking.event_id, int(k["kid"])): base64.b64decode(k["ed25519_public_key"])
                               for k in bundle["public_keys"]})
    old, new = verifier.verify(old_code), verifier.verify(body["code"])
    revoked = {(int(r["ticket"]), r["generation"]) for r in bundle["revoked"]}
    assert (old.ticket_id, old.generation) in revoked and (new.ticket_id, new.generation) not in revoked


def test_revoke_puts_the_code_on_the_list_and_cannot_be_reissued(api, issued):
    booking = issued("BOX-8")
    client = api("ticketing")
    ticket = Ticket.objects.filter(booking=booking).first()
    response = client.post(f"/api/v1/tickets/{ticket.pk}/revoke")
    assert response.status_code == 200 and response.json()["status"] == "revoked"
    assert response.json()["pdf_url"] is None
    bundle = client.get(f"/api/v1/events/{booking.event.code}/gate-bundle").json()
    assert {"ticket": str(ticket.pk), "generation": 1} in bundle["revoked"]
    assert client.post(f"/api/v1/tickets/{ticket.pk}/reissue").status_code == 409


def test_cancelling_a_booking_revokes_its_tickets(issued, make_staff):
    from buyers.services import transition

    booking = issued("BOX-8")
    transition(booking_id=booking.pk, to_status=BookingStatus.CANCELLED, actor=make_staff("admin"))
    assert set(Ticket.objects.filter(booking=booking).values_list("status", flat=True)) == {TicketStatus.REVOKED}
    assert TicketCode.objects.filter(ticket__booking=booking, revoked_at__isnull=True).count() == 0


def test_downloads_need_ticketing_rights_else_404(api, issued, client, staff_client):
    booking = issued("BOX-8")
    ticket = Ticket.objects.filter(booking=booking).first()
    url = f"/api/v1/tickets/{ticket.pk}/pdf"
    response = api("ticketing").get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert api("finance").get(url).status_code == 404
    assert client.get(url).status_code == 404
    assert client.get(url, HTTP_AUTHORIZATION="Bearer nonsense").status_code == 404
    assert staff_client("ticketing").get(url).status_code == 200
    assert staff_client("sales").get(url).status_code == 404
    combined = api("ticketing").get(f"/api/v1/bookings/{booking.pk}/tickets/pdf")
    assert combined.status_code == 200
    assert client.get(f"/api/v1/bookings/{booking.pk}/tickets/pdf").status_code == 404


def test_the_portal_can_extend_the_download_rule(client, issued):
    from tickets import access

    booking = issued("BOX-8")
    ticket = Ticket.objects.filter(booking=booking).first()

    def buyer_session(request, target):
        return request.COOKIES.get("portal") == str(target.buyer_id)

    access.allow(buyer_session)
    try:
        client.cookies["portal"] = str(booking.buyer_id)
        assert client.get(f"/api/v1/tickets/{ticket.pk}/pdf").status_code == 200
        client.cookies["portal"] = "someone-else"
        assert client.get(f"/api/v1/tickets/{ticket.pk}/pdf").status_code == 404
    finally:
        access._checks.remove(buyer_session)
