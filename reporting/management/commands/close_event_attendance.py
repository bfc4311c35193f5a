from django.core.management.base import BaseCommand, CommandError

from eventchain.errors import DomainError
from eventchain.models import Event
from reporting.attendance import close_event_attendance


class Command(BaseCommand):
    help = ("Close an event's attendance once it is over: no-shows recorded, event and delivered bookings closed, "
            "buyer outcomes sent to the CRM.")

    def add_arguments(self, parser):
        parser.add_argument("--event", required=True, help="Event code, e.g. GF2026.")

    def handle(self, *args, event, **options):
        row = Event.objects.filter(code=event.strip().upper()).first()
        if row is None:
            raise CommandError(f"No event has the code {event!r}.")
        try:
            summary = close_event_attendance(actor="command:close_event_attendance", event_id=row.pk)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"{row.code} closed: {summary['admitted']} admitted, {summary['no_show']} no-shows, "
            f"{summary['bookings_closed']} bookings closed, {summary['outcomes']} buyer outcomes."
        )
