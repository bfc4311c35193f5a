from django.core.management.base import BaseCommand

from reporting.profile import refresh_all


class Command(BaseCommand):
    help = "Recompute every booking's profile snapshot (a backfill; changes keep it current by themselves)."

    def handle(self, *args, **options):
        self.stdout.write(f"{refresh_all()} booking snapshots refreshed.")
