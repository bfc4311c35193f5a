import os

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_roles(sender, **kwargs):
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType

    from .roles import sync_roles

    sync_roles(Group, Permission, ContentType)


class EventChainConfig(AppConfig):
    name = "eventchain"
    verbose_name = "EventChain kernel"

    def ready(self):
        # Roles follow roles.py after every migrate, so a capability added in code reaches the groups.
        post_migrate.connect(_sync_roles, sender=self, dispatch_uid="eventchain-sync-roles")
        from django.conf import settings

        from . import pii, reauth  # noqa: F401  (reauth connects the login timestamp receiver)

        pii.register()

        if settings.CELERY_TASK_ALWAYS_EAGER and os.environ.get("RUN_MAIN") == "true":
            from .local_worker import start_local_outbox_poller

            start_local_outbox_poller()
