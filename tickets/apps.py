"""Lane 05 Tickets."""
from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = "Lane 05 Tickets"

    def ready(self):
        from . import pii, receivers, wallet_outbox  # noqa: F401 - registers signal receivers and outbox handlers

        pii.register()
