from django.conf import settings
from django.core.management.base import BaseCommand

from allocation import demo as allocation_demo
from buyers import demo as buyers_demo
from distribution import demo as distribution_demo
from eventchain import demo as kernel_demo
from reporting import demo as reporting_demo
from tickets import demo as tickets_demo
from tickets import demo_journey

# Each lane adds its own demo rows after the lanes it depends on (reporting may import every lane).
LANE_SEEDERS = [kernel_demo.seed, buyers_demo.seed, allocation_demo.seed, tickets_demo.seed, demo_journey.seed,
                distribution_demo.seed,
                reporting_demo.seed]


class Command(BaseCommand):
    help = "Load demo data: Riverside Stadium, events GF2026 and SF2026, packages and staff users. Idempotent."

    def handle(self, *args, **options):
        for seeder in LANE_SEEDERS:
            seeder()
        self.stdout.write(self.style.SUCCESS("Demo data is in place."))
        self.stdout.write(
            f"Staff sign in with password '{settings.EVENTCHAIN_DEMO_PASSWORD}': admin@example.com (every role), "
            "sales1@, sales2@, fulfilment@, finance@, ticketing@, reporting@example.com"
        )
        if settings.DEBUG:
            self.stdout.write(
                "admin@ and finance@ also enter a two-factor code (demo secret, DEBUG only): "
                "python manage.py totp_code admin@example.com"
            )
