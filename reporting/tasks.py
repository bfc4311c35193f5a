"""Lane 07 periodic tasks."""

from celery import shared_task


@shared_task(name="reporting.tasks.run_retention", ignore_result=True)
def run_retention() -> int:
    """Daily (CELERY_BEAT_SCHEDULE): erase what each event's retention policy says is due."""
    from .privacy import retention

    result = retention.run(actor="system")
    return sum(plan.total for plan in result["plans"]) + result["portal_links"]


@shared_task(name="reporting.tasks.refresh_booking_snapshot", ignore_result=True)
def refresh_booking_snapshot(booking_id: int) -> None:
    """Recompute one booking's profile snapshot from the source tables (idempotent)."""
    from django.core.cache import cache

    from .profile import pending_key, refresh_snapshot

    cache.delete(pending_key(booking_id))  # first: a change committed from now on queues another refresh
    refresh_snapshot(booking_id)
