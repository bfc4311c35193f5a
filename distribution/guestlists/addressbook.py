"""A buyer's guest address book: everyone they have named, one entry per email (case-insensitive)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from buyers.models import Buyer
from tickets.models import Guest


@dataclass
class Entry:
    name: str
    email: str
    phone: str
    requirements: str
    last_invited: datetime
    this_season: int


SEASON = timedelta(days=365)


def _season_start() -> datetime:
    """A season is the past twelve months and everything booked ahead."""
    return timezone.now() - SEASON


def _collapse(rows, season: datetime) -> list[Entry]:
    entries: dict[str, Entry] = {}
    seen_bookings: dict[str, set] = {}
    for row in rows:  # newest first: the latest details win
        key = row["email"].strip().lower()
        entry = entries.get(key)
        if entry is None:
            entry = entries[key] = Entry(row["name"], key, row["phone"], row["requirements"], row["created_at"], 0)
            seen_bookings[key] = set()
        if row["booking__event__starts_at"] >= season and row["booking_id"] not in seen_bookings[key]:
            seen_bookings[key].add(row["booking_id"])
            entry.this_season += 1
    return list(entries.values())


def _rows(buyer: Buyer, extra: Q | None = None):
    return (Guest.objects.filter(extra or Q(), booking__buyer=buyer).exclude(email="").order_by("-created_at", "-id")
            .values("name", "email", "phone", "requirements", "created_at", "booking_id", "booking__event__starts_at"))


def entries(buyer: Buyer) -> list[Entry]:
    """Everyone with an email this buyer has named; "this season": bookings for events in the past year or ahead."""
    return sorted(_collapse(_rows(buyer), _season_start()), key=lambda e: e.name.lower())


def search(buyer: Buyer, query: str, limit: int = 10) -> list[Entry]:
    query = query.strip()
    if not query:
        return []
    found = _collapse(_rows(buyer, Q(name__icontains=query) | Q(email__icontains=query)), _season_start())
    return sorted(found, key=lambda e: e.last_invited, reverse=True)[:limit]
