"""Two identical deliveries at the same moment create one booking (Postgres advisory lock + unique deal id)."""

import threading

import pytest
from django.db import connection
from django.test import Client

from buyers.models import Booking, Buyer, CrmHandoff

from .conftest import HANDOFF_URL, encode, signed


@pytest.mark.django_db(transaction=True)
def test_concurrent_identical_deliveries_create_one_booking(postgres_only, catalogue, handoff_body):
    raw, headers = encode(handoff_body), signed(handoff_body)
    start = threading.Barrier(4)
    statuses: list[int] = []

    def deliver():
        try:
            start.wait(timeout=10)
            response = Client().post(HANDOFF_URL, data=raw, content_type="application/json", **headers)
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(statuses) == [200, 200, 200, 201]
    assert Booking.objects.count() == 1 and Buyer.objects.count() == 1
    outcomes = sorted(CrmHandoff.objects.values_list("outcome", flat=True))
    assert outcomes == ["created", "duplicate", "duplicate", "duplicate"]
