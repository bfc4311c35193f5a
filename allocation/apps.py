from django.apps import AppConfig


class AllocationConfig(AppConfig):
    name = "allocation"
    verbose_name = "Lane 03 Stock allocation"

    def ready(self):
        from . import pii, receivers  # noqa: F401  (connects the signal receivers)

        pii.register()
