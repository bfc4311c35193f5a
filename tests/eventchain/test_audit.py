import pytest

from eventchain import audit
from eventchain.catalogue import services as catalogue_services
from eventchain.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_record_with_a_user_target_and_data(make_staff, catalogue):
    user = make_staff("admin")
    event = catalogue["GF2026"]
    entry = audit.record(user, "event.checked", "Checked the grand final", target=event, data={"k": 1})
    assert entry.actor == user and entry.actor_label == ""
    assert (entry.object_type, entry.object_id) == ("eventchain.event", str(event.pk))
    assert entry.data == {"k": 1}
    assert entry.actor_display == user.email


def test_record_with_a_machine_actor_label():
    entry = audit.record("crm-webhook", "handoff.received", "Deal 1042 received")
    assert entry.actor is None and entry.actor_label == "crm-webhook"
    assert audit.record(None, "x.y", "system did it").actor_display == "system"


def test_services_audit_their_changes_with_a_diff(make_staff, catalogue):
    user = make_staff("admin")
    venue = catalogue["GF2026"].venue
    catalogue_services.save_venue(actor=user, venue=venue, name="Riverside Arena", address=venue.address,
                                  timezone=venue.timezone, latitude=venue.latitude, longitude=venue.longitude)
    entry = AuditEntry.objects.filter(action="venue.updated").get()
    assert entry.data["name"] == {"from": "Riverside Stadium", "to": "Riverside Arena"}
    assert "address" not in entry.data


def test_audit_log_page_filters_and_pages(staff_client, django_assert_max_num_queries):
    for n in range(30):
        audit.record("crm-webhook", "handoff.received", f"Deal {n} received")
    audit.record("system", "booking.cancelled", "Booking BK-00001 cancelled")
    client = staff_client("reporting")
    with django_assert_max_num_queries(8):
        page = client.get("/console/audit/")
    assert page.status_code == 200
    assert "1–25 of 31" in page.content.decode()
    filtered = client.get("/console/audit/", {"action": "booking."})
    body = filtered.content.decode()
    assert "BK-00001 cancelled" in body and "Deal 3 received" not in body
    partial = client.get("/console/audit/", {"q": "Deal 7 "}, HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode() and "Deal 7 received" in partial.content.decode()


def test_audit_log_query_count_does_not_grow_with_rows(staff_client, make_staff, django_assert_max_num_queries):
    actor = make_staff("admin")
    client = staff_client("admin")
    for n in range(3):
        audit.record(actor, "a.b", f"entry {n}")
    with django_assert_max_num_queries(8) as few:
        client.get("/console/audit/")
    for n in range(40):
        audit.record(actor, "a.b", f"more {n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/console/audit/")
