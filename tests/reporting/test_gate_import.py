"""Third-party gate managers' exports: CSV rows judged by the same rules, with a result per row."""

from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from eventchain.errors import StateConflict, ValidationFailed
from reporting.gate import imports
from reporting.models import Attendance, Scan, ScanImport

pytestmark = pytest.mark.django_db


def _csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def test_rows_get_the_gate_rules_and_a_result_each(tickets, catalogue, make_staff, make_booking, issue):
    event = catalogue["GF2026"]
    other = issue(make_booking("BOX-8", event_code="SF2026"))[0]
    base = timezone.now().replace(microsecond=0) + timedelta(seconds=1)
    local = (base + timedelta(minutes=3)).astimezone(event.tz).replace(tzinfo=None)
    content = _csv(
        "Code,Time,Gate",
        f"{tickets[0].code},{(base + timedelta(minutes=2)).isoformat()},North",
        f"{tickets[0].code},{local.isoformat(sep=' ')},South",  # no offset: venue time
        f"{tickets[1].code},{(base + timedelta(minutes=2)).isoformat()},",
        "garbage,2026-01-01T10:00:00+11:00,North",
        f"{other.code},{base.isoformat()},North",
        f"{tickets[2].code},yesterday,North",
        ",,",
        f"{tickets[3].code},{(base - timedelta(days=1)).isoformat()},North",
    )
    with time_machine.travel(base + timedelta(minutes=10)):
        batch = imports.import_scans(actor=make_staff("ticketing"), event_id=event.pk, file_name="export.csv",
                                     content=content)
    results = [(row["row"], row["result"]) for row in batch.results]
    assert results == [(2, "admitted"), (3, "duplicate"), (4, "admitted"), (5, "invalid"), (6, "wrong_event"),
                       (7, "rejected"), (9, "not_yet_valid")]
    assert batch.counts == {"admitted": 2, "duplicate": 1, "invalid": 1, "wrong_event": 1, "rejected": 1,
                            "not_yet_valid": 1}
    assert "not ISO 8601" in batch.results[5]["message"]
    assert Scan.objects.filter(scan_import=batch).count() == 6
    assert Scan.objects.get(row_number=3).scanned_at == base + timedelta(minutes=3)
    assert Scan.objects.get(row_number=4).gate == "Imported"
    assert Attendance.objects.filter(status="admitted").count() == 2


def test_earliest_row_admits_whatever_the_file_order(tickets, catalogue):
    event = catalogue["GF2026"]
    first = timezone.now() + timedelta(seconds=1)
    content = _csv("code,scanned_at,gate",
                   f"{tickets[0].code},{(first + timedelta(seconds=1)).isoformat()},B",
                   f"{tickets[0].code},{first.isoformat()},A")
    with time_machine.travel(first + timedelta(minutes=5)):
        batch = imports.import_scans(actor=None, event_id=event.pk, file_name="x.csv", content=content)
    assert [row["result"] for row in batch.results] == ["duplicate", "admitted"]
    assert Attendance.objects.get(ticket=tickets[0]).gate == "A"


def test_the_same_export_is_imported_once(tickets, catalogue):
    content = _csv("code,time,gate", f"{tickets[0].code},{timezone.now().isoformat()},A")
    imports.import_scans(actor=None, event_id=catalogue["GF2026"].pk, file_name="x.csv", content=content)
    with pytest.raises(StateConflict, match="already imported"):
        imports.import_scans(actor=None, event_id=catalogue["GF2026"].pk, file_name="x.csv", content=content)
    assert ScanImport.objects.count() == 1 and Scan.objects.count() == 1


def test_a_file_without_the_columns_says_what_is_missing(catalogue):
    with pytest.raises(ValidationFailed, match="missing: time"):
        imports.import_scans(actor=None, event_id=catalogue["GF2026"].pk, file_name="x.csv",
                             content=_csv("code,gate", "EC1:x,A"))
    assert not ScanImport.objects.exists()


def test_console_upload_shows_row_results(staff_client, tickets, catalogue):
    client = staff_client("ticketing")
    content = _csv("code,time,gate", f"{tickets[0].code},{timezone.now().isoformat()},A", "nonsense,2026-01-01 10:00,A")
    response = client.post("/console/reporting/events/GF2026/gate/imports/",
                           {"file": SimpleUploadedFile("gate.csv", content, content_type="text/csv")})
    assert response.status_code == 302
    page = client.get(response["Location"])
    body = page.content.decode()
    assert page.status_code == 200 and "admitted" in body and "invalid" in body and "gate.csv" in body
    assert staff_client("sales").post("/console/reporting/events/GF2026/gate/imports/", {}).status_code == 403
