"""Lane 07 periodic tasks."""

from celery import shared_task


@shared_task(name="reporting.tasks.run_retention", ignore_result=True)
def run_retention() -> int:
    """Daily (CELERY_BEAT_SCHEDULE): erase what each event's retention policy says is due."""
    from .privacy import retention

    result = retention.run(actor="system")
    return sum(plan.total for plan in result["plans"]) + result["portal_links"]
