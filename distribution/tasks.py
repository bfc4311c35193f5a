"""Lane 06 Celery tasks: thin, take ids, enqueued on commit by services."""

from celery import shared_task

from .services import sending


@shared_task(name="distribution.tasks.distribute", ignore_result=True)
def distribute(job_id: str, booking_id: int, mode: str, actor: dict) -> None:
    try:
        sending.run_distribution(job_id=job_id, booking_id=booking_id, mode=mode,
                                 actor=sending.resolve_actor(actor))
    except Exception:  # recorded on the job (and logged) by run_distribution
        return
