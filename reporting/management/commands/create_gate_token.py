from django.core.management.base import BaseCommand, CommandError

from eventchain.errors import DomainError
from reporting.gate import devices


class Command(BaseCommand):
    help = "Create a scanner token for an event's gate and print only the token (stored hashed, never shown again)."

    def add_arguments(self, parser):
        parser.add_argument("--event", required=True, help="Event code, e.g. GF2026.")
        parser.add_argument("--gate", required=True, help="Gate the scanner works at, e.g. 'Gate A'.")

    def handle(self, *args, event, gate, **options):
        try:
            _, raw = devices.create_gate_device(actor="command:create_gate_token", event_code=event, gate=gate)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(raw)
