"""Demo catalogue and staff users. Idempotent: running it again changes nothing that exists."""

from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from .models import Event, InventoryKind, Package, Venue

VENUE_TZ = "Australia/Sydney"

STAFF = [
    ("admin@example.com", "Ada", "Admin", "admin"),
    ("sales1@example.com", "Sam", "Sales", "sales"),
    ("sales2@example.com", "Sasha", "Seller", "sales"),
    ("fulfilment@example.com", "Fran", "Fulfilment", "fulfilment"),
    ("finance@example.com", "Fin", "Ance", "finance"),
    ("ticketing@example.com", "Tic", "Keting", "ticketing"),
    ("reporting@example.com", "Rory", "Reports", "reporting"),
]

# code, name, kind, guests per unit, price ex GST, entitlements
PACKAGES = [
    ("SUITE-12", "Corporate suite for 12", InventoryKind.SUITE, 12, "36000.00",
     ["Private suite", "Premium catering and beverages", "Lounge access", "2 parking passes"]),
    ("BOX-8", "Private box for 8", InventoryKind.BOX, 8, "14400.00",
     ["Private box", "Catering and beverages", "Lounge access"]),
    ("TABLE-10", "Dining room table of 10", InventoryKind.TABLE, 10, "9500.00",
     ["Three-course lunch", "Beverage package", "Lounge access"]),
    ("CLUB-SEAT", "Members' club seat", InventoryKind.SEAT, 1, "650.00", ["Club lounge access", "Pre-match canapés"]),
    ("PARKING", "Reserved parking pass", InventoryKind.PASS, 1, "85.00", ["Reserved parking, Gate C car park"]),
]

EVENTS = [
    # code, name, days from first seeding (at least 30: demo codes stay valid), local start, hours
    ("GF2026", "Grand Final", 60, time(14, 30), 5),
    ("SF2026", "Semi Final", 45, time(19, 40), 4),
]


def seed_staff() -> list[str]:
    users = get_user_model()
    created = []
    for email, first, last, role in STAFF:
        user, was_created = users.objects.get_or_create(
            username=email, defaults={"email": email, "first_name": first, "last_name": last, "is_staff": True}
        )
        if was_created:
            user.set_password(settings.EVENTCHAIN_DEMO_PASSWORD)
            if role == "admin":
                user.is_superuser = True
            user.save()
            created.append(email)
        user.groups.add(Group.objects.get(name=role))
    return created


def seed_catalogue() -> Venue:
    venue, _ = Venue.objects.get_or_create(
        name="Riverside Stadium",
        defaults={
            "address": "1 Riverside Drive\nParramatta NSW 2150\nAustralia",
            "timezone": VENUE_TZ,
            "latitude": Decimal("-33.807500"),
            "longitude": Decimal("151.003900"),
        },
    )
    zone = ZoneInfo(VENUE_TZ)
    today = timezone.localdate(timezone=zone)
    for code, name, days_ahead, start, hours in EVENTS:
        starts = datetime.combine(today + timedelta(days=days_ahead), start, tzinfo=zone)
        event, _ = Event.objects.get_or_create(
            code=code,
            defaults={"name": name, "venue": venue, "starts_at": starts, "ends_at": starts + timedelta(hours=hours),
                      "status": Event.Status.ON_SALE},
        )
        for p_code, p_name, kind, seats, price, entitlements in PACKAGES:
            Package.objects.get_or_create(
                event=event,
                code=p_code,
                defaults={"name": p_name, "inventory_kind": kind, "seats_per_unit": seats,
                          "unit_price": Decimal(price), "tax_rate": Decimal("0.1000"),
                          "ledger_account_code": "200", "ledger_tax_type": "OUTPUT",
                          "entitlements": entitlements},
            )
    return venue


def seed_two_factor() -> list[str]:
    """DEBUG only: demo staff whose role requires two-factor get the published demo secret (see `totp_code`)."""
    from .signin import two_factor

    if not settings.DEBUG:
        return []
    users = get_user_model().objects.filter(email__in=[email for email, *_ in STAFF])
    return [user.email for user in users if two_factor.required_for(user) and two_factor.enrol_demo(user)]


@transaction.atomic
def seed() -> dict:
    created_staff = seed_staff()
    seed_two_factor()
    seed_catalogue()
    return {"staff_created": created_staff}
