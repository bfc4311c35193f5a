import pytest

from eventchain.models import AuditEntry, Event, Package

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["admin", "sales", "fulfilment", "finance", "ticketing", "reporting"])
def test_every_role_lands_on_the_dashboard(staff_client, role):
    response = staff_client(role).get("/console/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Pipeline" in body and "No bookings yet" in body
    assert 'aria-label="Lanes"' in body


def test_navigation_shows_only_lanes_the_role_can_use(staff_client):
    sales = staff_client("sales").get("/console/").content.decode()
    admin = staff_client("admin").get("/console/").content.decode()
    assert ">Admin<" not in sales and ">Admin<" in admin


def test_home_redirects_by_sign_in_state(client, staff_client):
    assert client.get("/")["Location"] == "/login/"
    assert staff_client("sales").get("/")["Location"] == "/console/"


def test_password_reset_sends_an_email(client, make_staff, mailoutbox, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    user = make_staff("sales")
    response = client.post("/password-reset/", {"email": user.email})
    assert response.status_code == 302
    assert len(mailoutbox) == 1 and "/password-reset/" in mailoutbox[0].body


def test_admin_creates_an_event_and_a_package_through_the_console(staff_client, catalogue):
    client = staff_client("admin")
    venue = catalogue["GF2026"].venue
    response = client.post("/console/catalogue/events/new/", {
        "code": "QF2026", "name": "Qualifying Final", "venue": venue.pk,
        "starts_at": "2027-03-01T19:00", "ends_at": "2027-03-01T23:00", "status": "on_sale",
    })
    assert response.status_code == 302, response.content.decode()
    event = Event.objects.get(code="QF2026")
    assert AuditEntry.objects.filter(action="event.created", object_id=str(event.pk)).exists()
    response = client.post("/console/catalogue/packages/new/", {
        "event": event.pk, "code": "TABLE-10", "name": "Table", "inventory_kind": "table", "seats_per_unit": 10,
        "unit_price": "9500.00", "tax_rate": "0.1", "ledger_account_code": "200", "ledger_tax_type": "OUTPUT",
        "entitlements_text": "Lounge\n\nParking", "active": "on",
    })
    assert response.status_code == 302
    assert Package.objects.get(event=event, code="TABLE-10").entitlements == ["Lounge", "Parking"]


def test_event_form_errors_name_the_field(staff_client, catalogue):
    venue = catalogue["GF2026"].venue
    response = staff_client("admin").post("/console/catalogue/events/new/", {
        "code": "bad code", "name": "X", "venue": venue.pk,
        "starts_at": "2027-03-01T19:00", "ends_at": "2027-03-01T18:00", "status": "on_sale",
    })
    assert response.status_code == 422
    body = response.content.decode()
    assert "capital letters" in body and "must end after it starts" in body
    assert not Event.objects.filter(name="X").exists()


def test_catalogue_edits_need_the_catalogue_capability(staff_client, catalogue):
    client = staff_client("sales")
    assert client.get("/console/catalogue/").status_code == 200
    assert client.get("/console/catalogue/events/new/").status_code == 403


def test_catalogue_pages_render(staff_client, catalogue, django_assert_max_num_queries):
    client = staff_client("admin")
    with django_assert_max_num_queries(10):
        assert "GF2026" in client.get("/console/catalogue/").content.decode()
    detail = client.get("/console/catalogue/events/GF2026/").content.decode()
    assert "BOX-8" in detail and "Australia/Sydney" in detail


def test_api_token_page_shows_the_token_once(staff_client, make_staff):
    client = staff_client("admin")
    target = make_staff("sales")
    response = client.post("/console/api-tokens/", {"user_email": target.email, "name": "CRM"})
    body = response.content.decode()
    assert "Copy this token now" in body
    token = body.split('id="new-token">')[1].split("<")[0]
    assert token.startswith("ec_")
    assert token not in client.get("/console/api-tokens/").content.decode()
    missing = client.post("/console/api-tokens/", {"user_email": target.email, "name": " "})
    assert missing.status_code == 422 and "Give the token a name" in missing.content.decode()
