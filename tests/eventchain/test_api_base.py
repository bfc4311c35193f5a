import json

import pytest
from django.core.management import call_command
from django.test import Client

from eventchain import jobs, tokens
from eventchain.models import ApiToken, AuditEntry

pytestmark = pytest.mark.django_db


def test_tokens_are_stored_only_as_a_hash(make_staff):
    user = make_staff("sales")
    token, raw = tokens.create_api_token(actor=None, user_email=user.email, name="CRM production")
    stored = ApiToken.objects.get(pk=token.pk)
    assert raw not in (stored.token_hash, stored.prefix) and len(stored.token_hash) == 64
    assert stored.token_hash == tokens.hash_token(raw)
    assert tokens.authenticate_token(raw) == user
    assert AuditEntry.objects.filter(action="api_token.created").exists()


def test_create_api_token_command_prints_only_the_token(make_staff, capsys):
    user = make_staff("admin")
    call_command("create_api_token", "--user", user.email, "--name", "script")
    out = capsys.readouterr().out.strip()
    assert out.startswith("ec_") and "\n" not in out and " " not in out
    assert tokens.authenticate_token(out) == user


def test_create_api_token_command_explains_an_unknown_user(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No active staff user"):
        call_command("create_api_token", "--user", "ghost@example.com", "--name", "x")


def test_the_api_refuses_missing_bad_and_revoked_tokens(catalogue, make_staff):
    assert Client().get("/api/v1/events/GF2026").status_code == 401
    bad = Client(HTTP_AUTHORIZATION="Bearer ec_not-a-real-token").get("/api/v1/events/GF2026")
    assert bad.status_code == 401
    assert bad.json() == {"errors": [{"field": None, "message": bad.json()["errors"][0]["message"]}]}
    token, raw = tokens.create_api_token(actor=None, user_email=make_staff("sales").email, name="t")
    assert Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/events/GF2026").status_code == 200
    tokens.revoke_api_token(actor=None, token_id=token.pk)
    assert Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/events/GF2026").status_code == 401


def test_event_read_has_the_contract_shape(api, catalogue):
    body = api("sales").get("/api/v1/events/GF2026").json()
    assert set(body) == {"code", "name", "venue", "timezone", "starts_at", "ends_at", "status"}
    assert body["code"] == "GF2026" and body["venue"] == "Riverside Stadium"
    assert body["timezone"] == "Australia/Sydney" and body["starts_at"][-6:] in {"+11:00", "+10:00"}


def test_unknown_event_is_404_in_the_error_shape(api, catalogue):
    response = api().get("/api/v1/events/NOPE")
    assert response.status_code == 404
    assert response.json()["errors"][0]["field"] is None


def test_openapi_document_and_docs_are_served(client):
    document = client.get("/api/v1/openapi.json")
    assert document.status_code == 200
    spec = document.json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/events/{code}" in spec["paths"] and "/api/v1/jobs/{job_id}" in spec["paths"]
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower(), "the docs page loads its assets from our static files"


def test_job_progress_endpoint(api, make_staff):
    job = jobs.start(kind="ticket_issuance", total=40)
    jobs.mark_running(job.pk)
    jobs.advance(job.pk, 15)
    client = api("ticketing")
    body = client.get(f"/api/v1/jobs/{job.pk}").json()
    assert body == {"id": str(job.pk), "status": "running", "done": 15, "total": 40, "errors": []}
    jobs.finish(job.pk)
    assert client.get(f"/api/v1/jobs/{job.pk}").json()["status"] == "done"
    assert client.get("/api/v1/jobs/not-a-uuid").status_code == 404
    assert client.get("/api/v1/jobs/00000000-0000-0000-0000-000000000000").status_code == 404


def test_job_progress_partial_stops_polling_when_finished(staff_client):
    job = jobs.start(kind="bulk_send", total=3)
    client = staff_client("ticketing")
    running = client.get(f"/console/jobs/{job.pk}/progress/", HTTP_HX_REQUEST="true")
    assert running.status_code == 200 and b'hx-trigger="every 1s"' in running.content
    jobs.finish(job.pk)
    finished = client.get(f"/console/jobs/{job.pk}/progress/", HTTP_HX_REQUEST="true")
    assert finished.status_code == 286 and b"hx-trigger" not in finished.content


class TestIdempotencyKey:
    """The middleware sits in front of every /api/v1/ POST; a counting endpoint shows when a view really ran."""

    @pytest.fixture
    def echo_view(self, settings):
        settings.ROOT_URLCONF = "tests.eventchain.urls_idempotency"
        from tests.eventchain import urls_idempotency

        urls_idempotency.COUNTER["n"] = 0
        return urls_idempotency.COUNTER

    def post(self, client, body, key="key-1"):
        return client.post("/api/v1/echo", data=json.dumps(body), content_type="application/json",
                           HTTP_IDEMPOTENCY_KEY=key, HTTP_AUTHORIZATION="Bearer same-caller")

    def test_same_key_and_body_returns_the_first_answer(self, client, echo_view):
        first = self.post(client, {"a": 1})
        again = self.post(client, {"a": 1})
        assert first.status_code == again.status_code == 201
        assert first.content == again.content
        assert again["Idempotent-Replayed"] == "true"
        assert echo_view["n"] == 1

    def test_same_key_with_another_body_is_409(self, client, echo_view):
        self.post(client, {"a": 1})
        conflict = self.post(client, {"a": 2})
        assert conflict.status_code == 409
        assert conflict.json()["errors"][0]["field"] == "Idempotency-Key"
        assert echo_view["n"] == 1

    def test_keys_are_scoped_to_the_caller(self, client, echo_view):
        self.post(client, {"a": 1})
        other = client.post("/api/v1/echo", data='{"a": 1}', content_type="application/json",
                            HTTP_IDEMPOTENCY_KEY="key-1", HTTP_AUTHORIZATION="Bearer another-caller")
        assert other.status_code == 201 and echo_view["n"] == 2

    def test_no_key_means_no_replay(self, client, echo_view):
        client.post("/api/v1/echo", data="{}", content_type="application/json")
        client.post("/api/v1/echo", data="{}", content_type="application/json")
        assert echo_view["n"] == 2
