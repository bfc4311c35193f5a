"""Rate limits: the kernel's fixed-window counter, and a per-token budget on the staff API (not on scanners)."""

import json

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from distribution import ratelimit as distribution_ratelimit
from eventchain import ratelimit
from eventchain.errors import RateLimited

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()
    yield
    cache.clear()


def test_the_counter_lives_in_the_kernel_and_distribution_re_exports_it():
    assert distribution_ratelimit.hit is ratelimit.hit
    for _ in range(2):
        ratelimit.hit("test-scope", "someone", limit=2, window=60, message="Slow down.")
    with pytest.raises(RateLimited) as refused:
        ratelimit.hit("test-scope", "someone", limit=2, window=60, message="Slow down.")
    assert 1 <= refused.value.retry_after <= 60 and refused.value.message.startswith("Slow down.")
    ratelimit.hit("test-scope", "someone else", limit=2, window=60, message="Slow down.")  # counted apart


def test_a_staff_token_past_its_budget_gets_429_with_retry_after(api_token, settings, catalogue):
    settings.EVENTCHAIN_API_TOKEN_RATE_LIMIT = 3
    token = api_token("admin")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    for _ in range(3):
        assert client.get("/api/v1/events/GF2026").status_code == 200
    limited = client.get("/api/v1/events/GF2026")
    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= 60
    [error] = limited.json()["errors"]
    assert error["field"] is None and "more than 3 requests in a minute" in error["message"]
    # Another token has its own budget.
    assert Client(HTTP_AUTHORIZATION=f"Bearer {api_token('admin')}").get("/api/v1/events/GF2026").status_code == 200


def test_zero_turns_the_token_limit_off(api_token, settings, catalogue):
    settings.EVENTCHAIN_API_TOKEN_RATE_LIMIT = 0
    client = Client(HTTP_AUTHORIZATION=f"Bearer {api_token('admin')}")
    assert all(client.get("/api/v1/events/GF2026").status_code == 200 for _ in range(5))


def test_gate_scanner_tokens_are_not_rate_limited(settings, catalogue):
    from reporting.gate import devices

    settings.EVENTCHAIN_API_TOKEN_RATE_LIMIT = 2
    _, raw = devices.create_gate_device(actor=None, event_code="GF2026", gate="Gate A")
    scanner = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    for n in range(6):
        body = {"code": "not a code", "gate": "Gate A", "device_id": "h1", "nonce": f"n{n}",
                "scanned_at": timezone.now().isoformat()}
        assert scanner.post("/api/v1/gate/scans", json.dumps(body), content_type="application/json").status_code == 200
