"""Allocation requests arriving in bulk: a CSV/XLSX file stored raw, then each row validated and run."""

from django.db import transaction
from django.utils import timezone

from eventchain import audit
from eventchain.errors import DomainError, ValidationFailed
from eventchain.roles import authorize

from .. import importers, queries
from ..models import AllocationUpload
from .reserve import allocate_booking


def upload_requests(*, file_name: str, content: bytes, actor) -> AllocationUpload:
    """Keep the file, then process it: good rows are allocated, bad rows come back with reasons."""
    authorize(actor, "allocate_stock")
    with transaction.atomic():
        upload = AllocationUpload.objects.create(
            file_name=file_name[:200], content=content, uploaded_by=actor if getattr(actor, "pk", None) else None
        )
        audit.record(actor, "allocation.upload_received", f"Allocation requests uploaded: {file_name}",
                     target=upload, data={"bytes": len(content)})
    return process_upload(upload_id=upload.pk, actor=actor)


def process_upload(*, upload_id: int, actor) -> AllocationUpload:
    """Run (or re-run) every row of a stored upload; each row is its own transaction."""
    authorize(actor, "allocate_stock")
    upload = AllocationUpload.objects.get(pk=upload_id)
    try:
        rows = importers.parse_requests(upload.file_name, bytes(upload.content))
    except ValidationFailed as exc:
        results = [{"row": None, "booking": "", "ok": False, "message": exc.message, "units": [], "comps": []}]
    else:
        results = []
        first_row: dict[int, int] = {}
        for row in rows:
            results.append(_process_row(row, actor, first_row))
    upload.results = results
    upload.processed_at = timezone.now()
    AllocationUpload.objects.filter(pk=upload.pk).update(results=results, processed_at=upload.processed_at)
    good = sum(1 for r in results if r["ok"])
    audit.record(actor, "allocation.upload_processed",
                 f"{upload.file_name}: {good} rows allocated, {len(results) - good} refused", target=upload)
    return upload


def _process_row(row: importers.RequestRow, actor, first_row: dict[int, int]) -> dict:
    result = {"row": row.line, "booking": row.booking, "ok": False, "message": "", "units": [], "comps": []}
    problems = []
    booking = None
    if not row.booking:
        problems.append("booking is required (a reference like BK-00012 or an id)")
    else:
        try:
            booking = queries.booking(row.booking)
        except DomainError:
            problems.append(f"no booking {row.booking!r}")
    if booking is not None:
        result["booking"] = booking.reference
        if booking.pk in first_row:
            problems.append(f"{booking.reference} is already on row {first_row[booking.pk]}")
        first_row.setdefault(booking.pk, row.line)
        if row.package and row.package.upper() != booking.package.code:
            problems.append(f"package {row.package} does not match {booking.reference}'s package "
                            f"{booking.package.code}")
        if row.headcount:
            if not row.headcount.isdigit() or int(row.headcount) < 1:
                problems.append("headcount must be a whole number ≥ 1")
            elif int(row.headcount) != booking.headcount:
                problems.append(f"headcount {row.headcount} differs from {booking.reference}'s {booking.headcount}; "
                                "change the booking first")
        if row.preferred_area and queries.find_area(booking.event.venue_id, row.preferred_area) is None:
            problems.append(f"{booking.event.venue} has no area {row.preferred_area!r}")
    if problems:
        result["message"] = "; ".join(problems)
        return result
    try:
        outcome = allocate_booking(booking_id=booking.pk, actor=actor, units=row.units or None,
                                   preferred_area=row.preferred_area or None, source="upload")
    except DomainError as exc:
        result["message"] = exc.message
        return result
    result.update(ok=True, message=" ".join(outcome.notes), units=[h.label for h in outcome.units],
                  comps=[h.label for h in outcome.comps])
    return result
