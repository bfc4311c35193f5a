"""Lane 07 periodic tasks."""

from celery import shared_task


@shared_task(name="reporting.tasks.run_retention", ignore_result=True)
def run_retention() -> int:
    """Daily (CELERY_BEAT_SCHEDULE): erase what each event's retention policy says is due."""
    from .privacy import retention

    result = retention.run(actor="system")
    return sum(plan.total for plan in result["plans"]) + result["portal_links"]


@shared_task(name="reporting.tasks.refresh_dirty_snapshots", ignore_result=True)
def refresh_dirty_snapshots() -> int:
    """Refresh every booking marked since the last flush: queued after commits (at most one waiting at a time),
    and every minute by beat (CELERY_BEAT_SCHEDULE) for marks whose flush was never queued or was lost."""
    from .profile import refresh_dirty

    return refresh_dirty()
