import time

from django.core.management.base import BaseCommand

from eventchain import outbox


class Command(BaseCommand):
    help = "Deliver due outbox messages now (what Celery beat does every few seconds)."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="Keep polling every --interval seconds.")
        parser.add_argument("--interval", type=float, default=5.0)

    def handle(self, *args, loop, interval, **options):
        while True:
            count = outbox.dispatch_due(limit=200)
            self.stdout.write(f"processed {count} outbox message(s)")
            if not loop:
                return
            time.sleep(interval)
