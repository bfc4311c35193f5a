"""Two scanners present the same ticket at the same moment: Postgres row locks let exactly one admit."""

import threading

import pytest
from django.db import connection
from django.utils import timezone

from reporting.gate import devices
from reporting.gate.scans import ScanInput, record_scan
from reporting.models import Attendance, GateDevice, Scan

pytestmark = pytest.mark.django_db(transaction=True)

SCANNERS = 6


def test_simultaneous_scans_of_one_ticket_admit_exactly_once(postgres_only, tickets):
    ticket = tickets[0]
    device_ids = [devices.create_gate_device(actor=None, event_code="GF2026", gate=f"Gate {n}")[0].pk
                  for n in range(SCANNERS)]
    barrier = threading.Barrier(SCANNERS)
    answers, errors = [], []

    def scan(device_id: int, n: int):
        try:
            device = GateDevice.objects.select_related("event", "event__venue").get(pk=device_id)
            barrier.wait(timeout=10)
            answers.append(record_scan(event=device.event, device=device, scan=ScanInput(
                code=ticket.code, gate=device.gate, scanned_at=timezone.now(), device_id=f"h{n}", nonce=f"n{n}")))
        except Exception as exc:  # surfaced below; a thread must not die silently
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=scan, args=(device_id, n)) for n, device_id in enumerate(device_ids)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    results = sorted(answer["result"] for answer in answers)
    assert results == ["admitted"] + ["duplicate"] * (SCANNERS - 1)
    assert Attendance.objects.get(ticket=ticket).admissions == 1
    assert Scan.objects.filter(ticket=ticket).count() == SCANNERS


def test_the_same_nonce_racing_on_two_connections_records_one_scan(postgres_only, tickets):
    device = devices.create_gate_device(actor=None, event_code="GF2026", gate="Gate A")[0]
    barrier = threading.Barrier(2)
    answers, errors = [], []

    def scan():
        try:
            row = GateDevice.objects.select_related("event", "event__venue").get(pk=device.pk)
            barrier.wait(timeout=10)
            answers.append(record_scan(event=row.event, device=row, scan=ScanInput(
                code=tickets[0].code, gate="Gate A", scanned_at=timezone.now(), device_id="h1", nonce="same")))
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=scan) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    assert [a["result"] for a in answers] == ["admitted", "admitted"]
    assert Scan.objects.count() == 1
