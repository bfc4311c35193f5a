"""Lane 05 Celery tasks: thin, take ids, enqueued on commit by services."""

from celery import shared_task
from django.contrib.auth import get_user_model

from eventchain import jobs

from . import services


@shared_task(name="tickets.tasks.issue_tickets", ignore_result=True)
def issue_tickets(job_id: str, booking_id: int, actor_id: int | None = None, channel: str | None = None) -> None:
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    try:
        services.run_issuance(job_id=job_id, booking_id=booking_id, actor=actor, channel=channel)
    except Exception:  # recorded on the job (and logged) by run_issuance; a retry is a new job
        return


@jobs.resumer(services.JOB_KIND)
def resume_issuance(job) -> None:
    """A stalled issuance job runs again from where its tickets are: staged ones are produced, none twice."""
    issue_tickets.delay(str(job.pk), int(job.object_id), job.created_by_id)
