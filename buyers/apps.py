from django.apps import AppConfig


class BuyersConfig(AppConfig):
    name = "buyers"
    verbose_name = "Lane 02 Buyer management"

    def ready(self):
        from . import pii

        pii.register()  # personal-data classification (eventchain/privacy.py)
