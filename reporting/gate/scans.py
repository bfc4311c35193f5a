"""Recording scans: verify the code, decide under a row lock on the ticket, store the scan and attendance.

Every scan is stored, failed ones too, with the answer given. A device's repeated nonce gets the first
answer back and records nothing new (offline scanners retry uploads).
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from eventchain.models import Event
from eventchain.roles import authorize
from tickets import codes

from ..models import Attendance, GateDevice, Scan, ScanSource
from ..profile import schedule_refresh
from . import decide, holds, reads, verify

CODE_STORED_LENGTH = 1000


@dataclass(frozen=True)
class ScanInput:
    code: str
    gate: str
    scanned_at: datetime
    device_id: str = ""
    nonce: str = ""


def _ticket_payload(ticket: reads.LockedTicket) -> dict:
    return {
        "id": str(ticket.id),
        "guest_name": ticket.guest_name,
        "unit": ticket.unit_label,
        "seat": ticket.seat_label,
        "area": ticket.area,
        "number": ticket.number,
        "package": ticket.package_code,
        "entitlements": list(ticket.entitlements),
    }


def _replayed(device, scan: ScanInput) -> dict | None:
    if device is None or not scan.nonce:
        return None
    found = list(
        Scan.objects.filter(scanner_id=device.pk, device_id=scan.device_id, nonce=scan.nonce).order_by()
        .values_list("response", flat=True)[:1]
    )
    return found[0] if found else None


def record_scan(*, event: Event | reads.GateEvent, scan: ScanInput, source: str = ScanSource.DEVICE,
                device: GateDevice | reads.Scanner | None = None, staff=None, scan_import=None,
                row_number: int | None = None) -> dict:
    """Decide and store one scan; returns the API answer {"result", "ticket", "message"}.

    `event` is where the scan happened (an Event row, or the GateEvent a scanner's token carries);
    `device` the scanner token it came through, None for imports and the desk.
    """
    if staff is not None:  # the exception desk; scanner devices and imports were authorised upstream
        authorize(staff, "manage_gate")
    if isinstance(event, Event):
        event = reads.gate_event(event)
    # No look-up first: the nonce's unique index refuses a repeat when the scan row is written, which
    # rolls back everything the repeat decided, and the first answer is read back (one round trip less).
    try:
        return _decide_and_store(event=event, scan=scan, source=source, device=device, staff=staff,
                                 scan_import=scan_import, row_number=row_number)
    except IntegrityError:
        # The same nonce raced in on another connection and committed first: its answer stands.
        first = _replayed(device, scan)
        if first is None:
            raise
        return first


def _decide_and_store(*, event, scan, source, device, staff, scan_import, row_number) -> dict:
    received = timezone.now()
    at = min(scan.scanned_at, received)  # a scanner cannot scan in the future; a fast clock gains nothing
    try:
        claim = verify.verify(scan.code)
    except codes.CodeError as exc:
        claim, decision = None, decide.invalid(exc.reason)
    row = Scan(
        event_id=event.id, source=source, scanner_id=device.pk if device else None, device_id=scan.device_id[:100], nonce=scan.nonce[:100],
        gate=(scan.gate or (device.gate if device else ""))[:100], code=scan.code[:CODE_STORED_LENGTH],
        scanned_at=scan.scanned_at, received_at=received, staff=staff if getattr(staff, "pk", None) else None,
        scan_import=scan_import, row_number=row_number,
    )
    with transaction.atomic():
        ticket = None
        if claim is not None:
            row.generation = claim.generation
            if claim.event_id == event.id:
                ticket = reads.lock_ticket(claim.ticket_id)
            state = None if ticket is None else decide.TicketState(
                event_id=ticket.event_id, generation=ticket.generation, status=ticket.status,
                admitted_at=ticket.first_admitted_at if ticket.admitted else None,
                admitted_gate=ticket.attendance_gate if ticket.admitted else "",
            )
            window = decide.narrowed(
                decide.Window(datetime.fromtimestamp(claim.valid_from, tz=UTC),
                              datetime.fromtimestamp(claim.valid_until, tz=UTC)),
                event.window,
            )
            decision = decide.decide(
                claim_generation=claim.generation, claim_event_id=claim.event_id, device_event_id=event.id,
                ticket=state, window=window, at=at, allow_reentry=event.allow_reentry, tz=event.tz,
            )
            if decision.result == decide.ScanResult.ADMITTED:
                _admit(ticket, at=at, gate=row.gate)
        row.result, row.message, row.reentry = decision.result, decision.message, decision.reentry
        visible = ticket if ticket is not None and decision.result != decide.ScanResult.INVALID else None
        if visible is not None:
            row.ticket_id, row.booking_id = visible.id, visible.booking_id
        row.response = {"result": str(decision.result), "ticket": _ticket_payload(visible) if visible else None,
                        "message": decision.message}
        row.save(force_insert=True)
        if device is not None and source == ScanSource.DEVICE:
            holds.count_failed_scan(device, row.result)
    return row.response


def _admit(ticket: reads.LockedTicket, *, at: datetime, gate: str) -> None:
    """Record the admission on the guest's attendance row. The booking profile recounts admissions from
    attendance at its next snapshot refresh (within seconds, batched with every booking changed meanwhile):
    a counter bumped here locked one row per booking in every scan's transaction, so a party arriving together
    queued on it at every gate, and bumping it after commit cost each scan a second commit."""
    if ticket.attendance_id is None:
        Attendance.objects.create(
            ticket_id=ticket.id, event_id=ticket.event_id, booking_id=ticket.booking_id, gate=gate,
            status=Attendance.Status.ADMITTED, first_admitted_at=at, last_admitted_at=at, admissions=1,
        )
    else:
        changes = {"admissions": F("admissions") + 1, "last_admitted_at": at, "recorded_at": timezone.now()}
        if not ticket.admitted:  # a no-show until a late import showed the guest was there after all
            changes.update(status=Attendance.Status.ADMITTED, gate=gate, first_admitted_at=at)
        Attendance.objects.filter(pk=ticket.attendance_id).update(**changes)
    schedule_refresh(ticket.booking_id)


def record_batch(*, event: reads.GateEvent, scans: list[ScanInput], device: reads.Scanner) -> list[dict]:
    """An offline scanner's upload: decided in the order the device scanned (so the earliest scan of a
    ticket is the one admitted), answered in the order sent."""
    order = sorted(range(len(scans)), key=lambda index: scans[index].scanned_at)
    answers: dict[int, dict] = {}
    for index in order:
        answers[index] = record_scan(event=event, scan=scans[index], device=device)
    return [answers[index] for index in range(len(scans))]
