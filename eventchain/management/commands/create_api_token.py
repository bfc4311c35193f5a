from django.core.management.base import BaseCommand, CommandError

from eventchain import tokens
from eventchain.errors import DomainError


class Command(BaseCommand):
    help = "Create a staff API token and print only the token (it is stored hashed and never shown again)."

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="Email of the staff user the token acts as.")
        parser.add_argument("--name", required=True, help="Where the token is used, e.g. 'CRM production'.")

    def handle(self, *args, user, name, **options):
        try:
            _, raw = tokens.create_api_token(actor="command:create_api_token", user_email=user, name=name)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(raw)
