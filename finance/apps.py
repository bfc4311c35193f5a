"""Lane 04 Finance integration."""
from django.apps import AppConfig


class FinanceConfig(AppConfig):
    name = "finance"
    verbose_name = "Lane 04 Finance integration"

    def ready(self):
        from allocation import signals as allocation_signals

        from . import outbox_handlers, pii, receivers  # noqa: F401 — registers the ledger outbox handlers

        pii.register()

        allocation_signals.manifest_published.connect(receivers.on_manifest_published,
                                                      dispatch_uid="finance-raise-invoice")
        allocation_signals.allocation_cancelled.connect(receivers.on_allocation_cancelled,
                                                        dispatch_uid="finance-credit-cancelled")
