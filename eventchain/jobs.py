"""Progress for long work. The work itself runs in a lane's Celery task; this only counts."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import Job


def start(*, kind: str, total: int, actor=None, target=None) -> Job:
    job = Job.objects.create(
        kind=kind,
        total=total,
        created_by=actor if getattr(actor, "pk", None) else None,
        object_type=target._meta.label_lower if target is not None else "",
        object_id=str(target.pk) if target is not None else "",
    )
    return job


def mark_running(job_id, *, total: int | None = None) -> None:
    fields = {"status": Job.Status.RUNNING, "updated_at": timezone.now()}
    if total is not None:
        fields["total"] = total
    Job.objects.filter(pk=job_id).exclude(status=Job.Status.DONE).update(**fields)


def advance(job_id, step: int = 1) -> None:
    Job.objects.filter(pk=job_id).update(done=F("done") + step, updated_at=timezone.now())


def set_done_count(job_id, done: int) -> None:
    Job.objects.filter(pk=job_id).update(done=done, updated_at=timezone.now())


def add_error(job_id, message: str) -> None:
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job_id)
        job.errors = [*job.errors, message]
        job.save(update_fields=["errors", "updated_at"])


def finish(job_id, *, failed: bool = False, error: str | None = None) -> None:
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job_id)
        job.status = Job.Status.FAILED if failed else Job.Status.DONE
        if error:
            job.errors = [*job.errors, error]
        if not failed:
            job.done = job.total
        job.save(update_fields=["status", "errors", "done", "updated_at"])
