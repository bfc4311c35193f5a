"""Lane 07 Buyer data and reporting."""
from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = "Lane 07 Buyer data and reporting"

    def ready(self):
        from eventchain.api.auth import register_scanner_authenticator

        from . import outcomes, pii, receivers  # noqa: F401 - signal receivers and the CRM outbox handler
        from .gate import devices

        register_scanner_authenticator(devices.authenticate)
        pii.register()
