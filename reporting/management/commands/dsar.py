"""manage.py dsar find|export|erase <email>: a subject access or erasure request from the shell."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from eventchain.errors import DomainError
from reporting.privacy.erase import erase_person
from reporting.privacy.export import export_for_request
from reporting.privacy.people import find_person

ACTOR = "command:dsar"


class Command(BaseCommand):
    help = "Find, export (ZIP of JSON + CSV) or erase everything about a person, by email (docs/privacy.md)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["find", "export", "erase"])
        parser.add_argument("email")
        parser.add_argument("--output", default="", help="export: where to write the ZIP (default: its own name).")
        parser.add_argument("--reason", default="", help="erase: why (required; no names).")
        parser.add_argument("--force", action="store_true", help="erase: revoke live tickets for upcoming events.")

    def handle(self, action, email, output="", reason="", force=False, **options):
        try:
            if action == "find":
                person = find_person(email)
                for label, count in person.counts().items():
                    self.stdout.write(f"{label}: {count}")
                self.stdout.write(f"{sum(person.counts().values())} row(s) in {len(person.counts())} table(s).")
            elif action == "export":
                name, content = export_for_request(email=email, actor=ACTOR)
                path = Path(output or name)
                path.write_bytes(content)
                self.stdout.write(f"Wrote {path} ({len(content)} bytes).")
            else:
                result = erase_person(email=email, actor=ACTOR, reason=reason, force=force)
                for label, count in result.counts.items():
                    self.stdout.write(f"{label}: {count} row(s) erased")
                for held in result.held:
                    self.stdout.write(f"Held {held['model']} #{held['id']}: {held['reason']}")
                self.stdout.write(f"Done: {result.reference}.")
        except DomainError as exc:
            raise CommandError(exc.message) from exc
