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


@shared_task(name="distribution.tasks.send_name_reminders", ignore_result=True)
def send_name_reminders() -> int:
    """Periodic (CELERY_BEAT_SCHEDULE): guest-name reminders due now, each stage once per booking."""
    from .guestlists import reminders

    return reminders.send_due()


@shared_task(name="distribution.tasks.send_event_messages", ignore_result=True)
def send_event_messages() -> int:
    """Periodic (CELERY_BEAT_SCHEDULE): pre-event logistics messages now due, each once per recipient."""
    from .guestlists import messages

    return messages.send_due_logistics()
