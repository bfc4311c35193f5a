"""Demo rows for lane 06: guest names on issued demo bookings, so the portal and the distribution console
have people to show. Nothing is emailed by seeding; staff send from the console. Idempotent: a booking
that already has guests keeps them."""

from buyers.models import Booking
from eventchain.lifecycle import BookingStatus
from tickets import services as ticket_services
from tickets.models import Guest

FIRST = ["Alex", "Sam", "Jordan", "Taylor", "Morgan", "Riley", "Casey", "Jamie", "Drew", "Quinn", "Harper", "Avery"]
LAST = ["Nguyen", "Smith", "Patel", "Williams", "Chen", "Brown", "Singh", "Taylor", "Kelly", "Murphy", "Ali", "Jones"]


def demo_guests(booking: Booking) -> list[dict]:
    count = max(1, booking.headcount - 2)  # a couple of names still to come, as in real life
    domain = booking.buyer.name.split()[0].lower() + ".example"
    return [{"name": f"{FIRST[n % len(FIRST)]} {LAST[(n * 5 + booking.pk) % len(LAST)]}",
             "email": f"{FIRST[n % len(FIRST)].lower()}.{n + 1}@{domain}"} for n in range(count)]


def seed() -> dict:
    named = []
    bookings = Booking.objects.filter(status__in=[BookingStatus.ISSUED, BookingStatus.DISTRIBUTED]).select_related(
        "buyer")
    for booking in bookings:
        if Guest.objects.filter(booking=booking).exists():
            continue
        ticket_services.set_guest_list(booking_id=booking.pk, guests=demo_guests(booking), actor="demo")
        named.append(booking.reference)
    return {"guests_named": named}
