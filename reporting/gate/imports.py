"""Scan exports from third-party gate managers: CSV with code, time and gate, judged by the same rules.

Columns are found by header name (case-insensitive): code (or barcode), time (or scanned_at,
timestamp), gate (or entrance; optional). Times with an offset are taken as given; times without one
are read in the venue's time zone, as gate systems export local time. Rows are decided in time
order, so the earliest scan of a ticket is the admission; results are kept in file order.
"""

import csv
import hashlib
import io
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from eventchain import audit
from eventchain.errors import NotFound, StateConflict, ValidationFailed
from eventchain.models import Event
from eventchain.roles import authorize

from ..models import ScanImport, ScanSource
from . import reads
from .scans import ScanInput, record_scan

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000
COLUMNS = {
    "code": ("code", "barcode", "ticket_code", "ticket"),
    "time": ("time", "scanned_at", "scan_time", "timestamp", "datetime"),
    "gate": ("gate", "entrance", "location", "door"),
}
REJECTED = "rejected"


@dataclass(frozen=True)
class Row:
    number: int
    code: str
    gate: str
    scanned_at: datetime | None
    problem: str = ""


def _columns(header: list[str]) -> dict[str, int]:
    names = [name.strip().lower().lstrip("\ufeff") for name in header]
    found = {}
    for column, aliases in COLUMNS.items():
        for alias in aliases:
            if alias in names:
                found[column] = names.index(alias)
                break
    missing = [column for column in ("code", "time") if column not in found]
    if missing:
        raise ValidationFailed(
            f"The file's first row must name the columns; missing: {', '.join(missing)}. "
            "Expected a header like: code,time,gate", field="file")
    return found


def _time(raw: str, event: Event) -> datetime | None:
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        return None
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=event.tz)


def parse(content: bytes, event: Event) -> list[Row]:
    if len(content) > MAX_BYTES:
        raise ValidationFailed(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; split it.", field="file")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed("The file is not UTF-8 text; export it as CSV (UTF-8).", field="file") from exc
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        raise ValidationFailed("The file is empty.", field="file")
    columns = _columns(header)
    rows = []
    for number, values in enumerate(reader, start=2):
        if not any(value.strip() for value in values):
            continue
        if len(rows) >= MAX_ROWS:
            raise ValidationFailed(f"The file has more than {MAX_ROWS} scans; split it.", field="file")

        def cell(column, values=values):
            index = columns.get(column)
            return values[index].strip() if index is not None and index < len(values) else ""

        code, raw_time = cell("code"), cell("time")
        scanned_at = _time(raw_time, event) if raw_time else None
        problem = ("no code" if not code else "no time" if not raw_time
                   else f"time {raw_time!r} is not ISO 8601 (e.g. 2026-12-01 14:05:09)" if scanned_at is None else "")
        rows.append(Row(number=number, code=code, gate=cell("gate"), scanned_at=scanned_at, problem=problem))
    return rows


def import_scans(*, actor, event_id: int, file_name: str, content: bytes) -> ScanImport:
    authorize(actor, "manage_gate")
    event = Event.objects.select_related("venue").filter(pk=event_id).first()
    if event is None:
        raise NotFound(f"Event {event_id} does not exist.")
    rows = parse(content, event)
    if not rows:
        raise ValidationFailed("The file has a header but no scans.", field="file")
    digest = hashlib.sha256(content).hexdigest()
    try:
        with transaction.atomic():
            batch = ScanImport.objects.create(event=event, file_name=(file_name or "scans.csv")[:200], content=content,
                                              content_hash=digest,
                                              uploaded_by=actor if getattr(actor, "pk", None) else None)
    except IntegrityError as exc:
        earlier = ScanImport.objects.filter(event=event, content_hash=digest).first()
        when = timezone.localtime(earlier.created_at).strftime("%-d %b %Y %H:%M") if earlier else "earlier"
        raise StateConflict(f"This export was already imported ({when}); its scans are recorded.", field="file") from exc
    results: dict[int, dict] = {}
    gate_event = reads.gate_event(event)
    for row in sorted(rows, key=lambda r: (r.scanned_at is None, r.scanned_at or timezone.now())):
        if row.problem:
            results[row.number] = {"row": row.number, "code": row.code[:40], "result": REJECTED, "message": row.problem}
            continue
        answer = record_scan(
            event=gate_event, source=ScanSource.IMPORT, scan_import=batch, row_number=row.number, staff=actor,
            scan=ScanInput(code=row.code, gate=row.gate or "Imported", scanned_at=row.scanned_at),
        )
        results[row.number] = {"row": row.number, "code": row.code[:40], "result": answer["result"],
                               "message": answer["message"],
                               "guest": (answer["ticket"] or {}).get("guest_name")}
    ordered = [results[number] for number in sorted(results)]
    counts: dict[str, int] = {}
    for result in ordered:
        counts[result["result"]] = counts.get(result["result"], 0) + 1
    batch.results, batch.counts = ordered, counts
    batch.save(update_fields=["results", "counts"])
    audit.record(actor, "gate.scans_imported", f"Imported {len(ordered)} scans for {event.code} from {batch.file_name}",
                 target=batch, data=counts)
    return batch
