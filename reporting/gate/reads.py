"""The gate's two hot reads in plain SQL: the scanner with its event's rules, and the ticket under lock.

A scan must answer in milliseconds at hundreds per second; building these joins through the ORM cost
more CPU than the rest of the scan together. Both are one statement each and portable: the row lock
(`FOR UPDATE OF`) is used where the database has it (PostgreSQL); SQLite serialises writers anyway.
"""

import json
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from django.db import connection
from django.utils.dateparse import parse_datetime

from eventchain import prepared
from eventchain.models import Event, Flag, Package, Venue
from tickets.models import Guest, Ticket, TicketDesign

from ..models import Attendance, GateDevice, GateSettings
from .decide import Window


@dataclass(frozen=True)
class GateEvent:
    """What deciding a scan needs of the event: its id, zone, re-entry rule and entry window."""

    id: int
    code: str
    tz: zoneinfo.ZoneInfo
    allow_reentry: bool
    window: Window


@dataclass(frozen=True)
class Scanner:
    """An authenticated scanner device (the request's `auth`)."""

    pk: int
    gate: str
    event: GateEvent
    last_seen_at: datetime | None
    held: bool = False  # a velocity flag holds it (gate.holds); read with the token, no extra query


@dataclass(frozen=True)
class LockedTicket:
    id: int
    event_id: int
    booking_id: int
    generation: int
    status: str
    number: str
    unit_label: str
    seat_label: str
    area: str
    entitlements: list
    guest_name: str | None
    package_code: str
    attendance_id: int | None
    attendance_status: str | None
    first_admitted_at: datetime | None
    attendance_gate: str

    @property
    def admitted(self) -> bool:
        return self.attendance_status == Attendance.Status.ADMITTED


def _moment(value) -> datetime | None:
    """Aware UTC datetimes from either backend (SQLite hands back text)."""
    if value is None:
        return None
    parsed = value if isinstance(value, datetime) else parse_datetime(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@lru_cache(maxsize=64)
def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def gate_event(event: Event) -> GateEvent:
    """The same facts for an Event row (desk, imports): two small ORM reads."""
    settings = GateSettings.objects.filter(event_id=event.pk).values_list("allow_reentry", flat=True).first()
    window = TicketDesign.objects.filter(event_id=event.pk).values_list("entry_opens_at", "entry_closes_at").first()
    return GateEvent(id=event.pk, code=event.code, tz=_zone(event.venue.timezone), allow_reentry=bool(settings),
                     window=Window(*window) if window else Window(None, None))


def _t(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


# Only table names from the models' meta are formatted into these statements; values are parameters.

def scanner_for(token_hash: str) -> Scanner | None:
    sql = (
        "SELECT d.id, d.gate, d.last_seen_at, e.id, e.code, v.timezone, s.allow_reentry, "  # noqa: S608
        f"td.entry_opens_at, td.entry_closes_at, EXISTS (SELECT 1 FROM {_t(Flag)} f WHERE f.subject_type = %s "
        f"AND f.subject_id = CAST(d.id AS VARCHAR(64)) AND f.status IN (%s, %s)) "
        f"FROM {_t(GateDevice)} d JOIN {_t(Event)} e ON e.id = d.event_id JOIN {_t(Venue)} v ON v.id = e.venue_id "
        f"LEFT JOIN {_t(GateSettings)} s ON s.event_id = e.id LEFT JOIN {_t(TicketDesign)} td ON td.event_id = e.id "
        f"WHERE d.token_hash = %s AND d.revoked_at IS NULL"
    )
    with connection.cursor() as cursor:
        prepared.execute(cursor, "gate_scanner_for", sql,
                         ["gate_device", *(str(status) for status in Flag.HOLDING), token_hash])
        row = cursor.fetchone()
    if row is None:
        return None
    pk, gate, seen, event_id, code, zone, reentry, opens, closes, held = row
    event = GateEvent(id=event_id, code=code, tz=_zone(zone), allow_reentry=bool(reentry),
                      window=Window(_moment(opens), _moment(closes)))
    return Scanner(pk=pk, gate=gate, event=event, last_seen_at=_moment(seen), held=bool(held))


def lock_ticket(ticket_id: int) -> LockedTicket | None:
    """The ticket row locked for this transaction, with its guest, package and attendance.

    Attendance is read by a second statement after the lock is held: under READ COMMITTED a join in
    the locking statement would show the attendance as it was before waiting for the lock, and the
    scan that waited would admit the guest a second time.
    """
    lock = " FOR UPDATE OF t" if connection.features.has_select_for_update_of else ""
    ticket_sql = (
        "SELECT t.id, t.event_id, t.booking_id, t.generation, t.status, t.number, t.unit_label, "  # noqa: S608
        f"t.seat_label, t.area, t.entitlements, g.name, p.code "
        f"FROM {_t(Ticket)} t JOIN {_t(Package)} p ON p.id = t.package_id "
        f"LEFT JOIN {_t(Guest)} g ON g.id = t.guest_id WHERE t.id = %s{lock}"
    )
    attendance_sql = f"SELECT id, status, first_admitted_at, gate FROM {_t(Attendance)} WHERE ticket_id = %s"  # noqa: S608
    with connection.cursor() as cursor:
        prepared.execute(cursor, "gate_lock_ticket", ticket_sql, [ticket_id])
        row = cursor.fetchone()
        if row is None:
            return None
        cursor.execute(attendance_sql, [ticket_id])
        attendance = cursor.fetchone() or (None, None, None, "")
    entitlements = row[9] if not isinstance(row[9], str) else json.loads(row[9])
    return LockedTicket(*row[:9], entitlements or [], row[10], row[11], attendance[0], attendance[1],
                        _moment(attendance[2]), attendance[3] or "")
