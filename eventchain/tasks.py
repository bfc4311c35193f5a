"""Kernel Celery tasks: outbox delivery."""

from celery import shared_task

from . import jobs, outbox


@shared_task(name="eventchain.tasks.deliver_outbox_message", ignore_result=True)
def deliver_outbox_message(message_id: int) -> None:
    outbox.deliver_now(message_id)


@shared_task(name="eventchain.tasks.dispatch_outbox", ignore_result=True)
def dispatch_outbox(limit: int = 100) -> int:
    return outbox.dispatch_due(limit)


@shared_task(name="eventchain.tasks.resume_stalled_jobs", ignore_result=True)
def resume_stalled_jobs() -> int:
    return len(jobs.resume_stalled())
