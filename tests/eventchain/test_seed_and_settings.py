import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from eventchain.api.errors import field_path
from eventchain.models import Event, Package

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_complete(capsys):
    call_command("seed_demo")
    first = {e.code: e.starts_at for e in Event.objects.all()}
    counts = (Event.objects.count(), Package.objects.count(), get_user_model().objects.count())
    call_command("seed_demo")
    assert (Event.objects.count(), Package.objects.count(), get_user_model().objects.count()) == counts
    assert {e.code: e.starts_at for e in Event.objects.all()} == first, "re-seeding never moves the dates"
    assert set(first) >= {"GF2026", "SF2026"}
    for starts in first.values():
        assert starts - timezone.now() >= timedelta(days=30)
    assert set(Package.objects.filter(event__code="GF2026").values_list("code", flat=True)) >= {
        "SUITE-12", "BOX-8", "TABLE-10", "CLUB-SEAT", "PARKING"
    }
    admin = get_user_model().objects.get(email="admin@example.com")
    assert admin.groups.filter(name="admin").exists()
    for email, role in [("sales1@example.com", "sales"), ("finance@example.com", "finance"),
                        ("ticketing@example.com", "ticketing"), ("reporting@example.com", "reporting"),
                        ("fulfilment@example.com", "fulfilment"), ("sales2@example.com", "sales")]:
        assert get_user_model().objects.get(email=email).groups.filter(name=role).exists()
    assert "eventchain-demo" in capsys.readouterr().out


@pytest.mark.django_db
def test_demo_staff_can_sign_in_by_email(client):
    call_command("seed_demo")
    response = client.post("/login/", {"username": "sales1@example.com", "password": "eventchain-demo"})
    assert response.status_code == 302 and response["Location"] == "/console/"
    assert client.get("/console/").status_code == 200
    # Finance must set up two-factor first (the demo secret is only given with DEBUG on).
    other = client.__class__()
    response = other.post("/login/", {"username": "finance@example.com", "password": "eventchain-demo"})
    assert response["Location"] == "/login/enrol/"


@pytest.mark.django_db
def test_a_wrong_password_is_refused_plainly(client):
    call_command("seed_demo")
    response = client.post("/login/", {"username": "finance@example.com", "password": "nope"})
    assert response.status_code == 200
    assert "do not match" in response.content.decode()


def test_field_paths_drop_the_request_part_and_body_parameter():
    assert field_path(("body", "payload", "booking", "headcount"), "payload") == "booking.headcount"
    assert field_path(("body", "payload", "contacts", 0, "email"), "payload") == "contacts.0.email"
    assert field_path(("query", "limit")) == "limit"
    assert field_path(()) is None


def _manage(*args, **env):
    environment = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE",
                                                                   "EVENTCHAIN_CRM_WEBHOOK_SECRET"}}
    environment.update(env)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=120)


def test_production_refuses_to_start_without_required_settings():
    result = _manage("check", DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr and "EVENTCHAIN_CRM_WEBHOOK_SECRET" in result.stderr


def test_production_settings_pass_check_deploy():
    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING",
        DEBUG="0", SECRET_KEY="x7#k2!Pq9vLm3@Zt8rWb5^Yn1&Hc4*Jd6(Fs0)Ge-Ua_Ki+Oo=Ee", ALLOWED_HOSTS="tickets.example.com",
        DATABASE_URL=os.environ.get("DATABASE_URL", "sqlite:////tmp/eventchain-check.sqlite3"),
        EVENTCHAIN_CRM_WEBHOOK_SECRET="crm-secret",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_unknown_ledger_is_refused_with_the_choices():
    result = _manage("check", EVENTCHAIN_LEDGER="sage")
    assert result.returncode != 0 and "local, xero, business_central" in result.stderr
