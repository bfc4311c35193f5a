"""A buyer's guest address book: everyone they have ever named, one entry per email (case-insensitive).

Entries are written whenever a guest is saved (`remember`), so they outlive guest-list edits.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from buyers.models import Buyer
from tickets.models import Guest

from .models import AddressBookEntry, AddressBookInvitation


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


def remember(guest: Guest) -> None:
    """Record a named guest with an email in their buyer's address book; the latest details win."""
    email = (guest.email or "").strip().lower()
    if not email:
        return
    buyer_id = guest.booking.buyer_id
    invited_at = guest.created_at or timezone.now()
    with transaction.atomic():
        entry, created = AddressBookEntry.objects.select_for_update().get_or_create(
            buyer_id=buyer_id, email=email,
            defaults={"name": guest.name, "phone": guest.phone, "requirements": guest.requirements,
                      "last_invited_at": invited_at},
        )
        if not created and invited_at >= entry.last_invited_at:
            entry.name, entry.phone, entry.requirements = guest.name, guest.phone, guest.requirements
            entry.last_invited_at = invited_at
            entry.save(update_fields=["name", "phone", "requirements", "last_invited_at"])
        AddressBookInvitation.objects.get_or_create(entry=entry, booking_id=guest.booking_id,
                                                    defaults={"invited_at": invited_at})


def _entries(buyer: Buyer, extra: Q | None = None):
    season = Count("invitations", filter=Q(invitations__booking__event__starts_at__gte=_season_start()))
    rows = AddressBookEntry.objects.filter(extra or Q(), buyer=buyer).annotate(this_season=season)
    return [Entry(row.name, row.email, row.phone, row.requirements, row.last_invited_at, row.this_season)
            for row in rows]


def entries(buyer: Buyer) -> list[Entry]:
    """Everyone with an email this buyer has named; "this season": bookings for events in the past year or ahead."""
    return sorted(_entries(buyer), key=lambda e: e.name.lower())


def search(buyer: Buyer, query: str, limit: int = 10) -> list[Entry]:
    query = query.strip()
    if not query:
        return []
    found = _entries(buyer, Q(name__icontains=query) | Q(email__icontains=query))
    return sorted(found, key=lambda e: e.last_invited, reverse=True)[:limit]
