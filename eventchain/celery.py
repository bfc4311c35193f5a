"""The Celery application: ledger sync, rendering and email run here when REDIS_URL is set."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eventchain.settings")

app = Celery("eventchain")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
