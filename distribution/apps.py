from django.apps import AppConfig


class DistributionConfig(AppConfig):
    name = "distribution"
    verbose_name = "Lane 06 Ticket distribution"

    def ready(self):
        # Outbox handler for email, signal receivers (reissue → re-send, wallet adds), portal download rule.
        from . import pii, receivers  # noqa: F401
        from .channels import email  # noqa: F401
        from .guestlists import emails as guestlist_emails
        from .portal import session

        guestlist_emails.register()
        pii.register()

        session.install_download_rule()
