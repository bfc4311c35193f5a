"""manage.py pii_inventory [--write]: print the personal-data classification, or refresh docs/privacy.md."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from eventchain import privacy

START, END = "<!-- pii-inventory:start -->", "<!-- pii-inventory:end -->"


def docs_path() -> Path:
    return Path(settings.BASE_DIR) / "docs" / "privacy.md"


def documented_table(text: str) -> str:
    if START not in text or END not in text:
        raise CommandError(f"docs/privacy.md must hold the table between {START} and {END}.")
    return text.split(START, 1)[1].split(END, 1)[0].strip("\n") + "\n"


class Command(BaseCommand):
    help = "Print the field-level personal data classification (Markdown); --write refreshes docs/privacy.md."

    def add_arguments(self, parser):
        parser.add_argument("--write", action="store_true", help="Replace the table in docs/privacy.md.")

    def handle(self, *args, write=False, **options):
        table = privacy.inventory_markdown()
        if not write:
            self.stdout.write(table, ending="")
            return
        path = docs_path()
        text = path.read_text()
        documented_table(text)
        before, rest = text.split(START, 1)
        after = rest.split(END, 1)[1]
        path.write_text(f"{before}{START}\n{table}{END}{after}")
        self.stdout.write(f"Wrote {len(privacy.inventory_rows())} classified fields to {path}.")
