from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from eventchain import permissions_map


class Command(BaseCommand):
    help = ("Print the role × capability matrix and what each capability covers (console pages, API endpoints, "
            "services) as Markdown, read from the code. --write refreshes that part of docs/roles.md.")

    def add_arguments(self, parser):
        parser.add_argument("--write", action="store_true", help="Rewrite the generated block of docs/roles.md.")

    def handle(self, *args, write: bool, **options):
        if write:
            path = Path(settings.BASE_DIR) / "docs" / "roles.md"
            permissions_map.write_reference(path)
            self.stdout.write(f"Updated {path}")
            return
        self.stdout.write(permissions_map.reference_markdown())
