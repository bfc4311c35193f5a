"""Lane 03 Celery tasks."""

from celery import shared_task

from . import services


@shared_task(name="allocation.tasks.release_expired_holds", ignore_result=True)
def release_expired_holds() -> int:
    """Periodic (CELERY_BEAT_SCHEDULE): holds past their expiry go back on sale."""
    return services.release_expired_holds()
