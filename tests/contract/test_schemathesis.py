"""Schemathesis fuzzes every operation of /api/v1/openapi.json against the WSGI app (issue 9 part 6).

The demo data is seeded once for the module, and half of the generated path parameters are swapped for
real ones, so the fuzzer reaches real bookings, tickets, invoices and events and not only 404s. Each request
carries the admin's token (or a gate scanner's, where the operation takes one). The CRM handoff is signed
by a small WSGI wrapper when the fuzzer asks for it, so its body validation is fuzzed too; unsigned
deliveries must be refused with 401. Checks: never a server error, and responses match the schema where
the schema declares that status.

Bounded: 25 derandomized examples per operation, so a run is repeatable. Alone on a busy 2-core machine
the file takes ~90 s, a third of it creating the database and seeding; the operations themselves ~45 s.
"""

import io
import time
import zlib

import pytest
import schemathesis
from django.conf import settings
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.db import close_old_connections, connection
from django.test import Client, override_settings
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from buyers import webhook

SIGN_REQUEST = "X-Test-Sign-Handoff"
HANDOFF = "/api/v1/crm/handoff"
MAX_EXAMPLES = 25
BATCH_EXAMPLE_SCANS = 20
CHECKS = [not_a_server_error, response_schema_conformance]
GATE_SCHEMES = {"GateToken", "ScannerToken"}
# The mark (not only the `db` fixture) tells pytest-django to set the test database up for these generated items.
pytestmark = pytest.mark.django_db
# Filled by the `seeded` fixture: real path parameter values the generator mixes in.
REAL_IDS: dict[str, list[str]] = {}
REAL_PARAMETERS = {"booking_id", "id", "ticket_id", "code"}


class SignHandoff:
    """Signs CRM handoff deliveries that ask for it, as the CRM would, then hands them to Django."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if environ.pop("HTTP_" + SIGN_REQUEST.upper().replace("-", "_"), None):
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length)
            environ["wsgi.input"] = io.BytesIO(body)
            for name, value in webhook.signed_headers(settings.EVENTCHAIN_CRM_WEBHOOK_SECRET, body,
                                                      timestamp=int(time.time())).items():
                environ["HTTP_" + name.upper().replace("-", "_")] = value
        return self.app(environ, start_response)


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    """Demo data and tokens, committed once for the module and flushed afterwards."""
    from eventchain import tokens
    from reporting.gate import devices
    from tickets.models import Ticket

    # The same media folder the autouse fixture gives each test, so seeded design assets are found again.
    # MD5 for the demo staff's passwords: PBKDF2 made seeding 4 s slower, and requests here carry tokens.
    media = tmp_path_factory.getbasetemp() / "media"
    fast_hasher = "django.contrib.auth.hashers.MD5PasswordHasher"
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media, PASSWORD_HASHERS=[fast_hasher]):
        call_command("seed_demo")
        if connection.vendor == "postgresql":
            # Fresh tables have no statistics: the planner then nests loops over thousands of seats, and each
            # event report took ~0.3 s instead of ~15 ms.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        _, staff = tokens.create_api_token(actor=None, user_email="admin@example.com", name="schemathesis")
        _, gate = devices.create_gate_device(actor="test:schemathesis", event_code="GF2026", gate="Fuzz gate")
        from buyers.models import Booking
        from eventchain.models import Event
        from finance.models import Invoice

        real = {
            "booking_id": [str(pk) for pk in Booking.objects.order_by("pk").values_list("pk", flat=True)[:3]],
            "id": [str(pk) for pk in Booking.objects.order_by("pk").values_list("pk", flat=True)[:2]]
            + [str(pk) for pk in Invoice.objects.order_by("pk").values_list("pk", flat=True)[:2]],
            "ticket_id": [str(pk) for pk in Ticket.objects.order_by("pk").values_list("pk", flat=True)[:3]],
            "code": list(Event.objects.order_by("code").values_list("code", flat=True)),
        }
    REAL_IDS.update(real)
    yield {"staff": staff, "gate": gate}
    REAL_IDS.clear()
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


@pytest.fixture(scope="module")
def requests_keep_the_test_connection():
    """As Django's test Client does: a request's start and end must not close the test's connection."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _load_schema():
    # The document clients read, fetched through Django's test client (no database needed to build it).
    document = Client().get("/api/v1/openapi.json").json()
    # Generating (not serving) arrays of up to 5000 scan objects cost ~45 s for 25 examples; 20 reach the same
    # code (ordering, per-scan answers); the 5000 cap itself is the schema's max_length, enforced by pydantic.
    document["components"]["schemas"]["BatchIn"]["properties"]["scans"]["maxItems"] = BATCH_EXAMPLE_SCANS
    loaded = schemathesis.openapi.from_dict(document)
    loaded.app = SignHandoff(WSGIHandler())
    return loaded


schema = _load_schema()


@schema.hook
def before_generate_path_parameters(context, strategy):
    # Half the time a real object (seeded below), so fuzzed bodies and queries reach code past the 404.
    names = [param.name for param in context.operation.path_parameters]
    if not names or not set(names) <= REAL_PARAMETERS:
        return strategy

    def real_objects():  # deferred: the strategy is built before the fixture has seeded anything
        if not all(REAL_IDS.get(name) for name in names):
            return strategy
        return st.fixed_dictionaries({name: st.sampled_from(REAL_IDS[name]) for name in names})

    return st.one_of(strategy, st.deferred(real_objects))


def credentials(case, seeded) -> dict[str, str]:
    schemes = {name for requirement in case.operation.definition.raw.get("security", []) for name in requirement}
    if schemes and schemes <= GATE_SCHEMES:
        return {"Authorization": f"Bearer {seeded['gate']}"}
    return {"Authorization": f"Bearer {seeded['staff']}"}


@schema.parametrize()
@hypothesis_settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
                     suppress_health_check=list(HealthCheck))
def test_the_api_never_answers_with_a_server_error(case, seeded, requests_keep_the_test_connection, db):
    if case.path == HANDOFF and case.method == "POST":
        # Unsigned deliveries fuzz the signature check (always 401); signed ones fuzz the body's validation.
        signed = zlib.crc32(repr(case.body).encode()) % 2 == 0
        headers = {SIGN_REQUEST: "1"} if signed else {}
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)
        if not signed:
            assert response.status_code == 401, response.text
        return
    case.call_and_validate(headers=credentials(case, seeded), checks=CHECKS)
