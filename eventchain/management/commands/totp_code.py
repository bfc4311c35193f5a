"""Print the current two-factor code for a staff user: a local-demo convenience that refuses in production."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from eventchain.signin import two_factor


class Command(BaseCommand):
    help = "Print the current TOTP code for a staff user's authenticator (DEBUG only, for demos)."

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email, **options):
        if not settings.DEBUG:
            raise CommandError("totp_code only runs with DEBUG on: in production codes come from the person's app.")
        user = get_user_model().objects.filter(email__iexact=email).first()
        device = two_factor.confirmed_device(user) if user else None
        if device is None:
            raise CommandError(f"{email} has no confirmed two-factor device. Run `manage.py seed_demo` first.")
        self.stdout.write(two_factor.current_code(device))
