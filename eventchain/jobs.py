"""Progress for long work. The work itself runs in a lane's Celery task; this only counts.

A job whose worker died (SIGKILL, OOM, a lost machine) stops making progress while its broker message
waits out the visibility timeout (an hour on Redis). Lanes register a resumer per kind; the periodic
`resume_stalled` hands a job that made no progress for EVENTCHAIN_JOB_STALL_SECONDS back to it. Lane
jobs are resumable (re-running continues, never duplicates), so a late redelivery is harmless too.
"""

import logging
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from . import audit
from .models import Job

log = logging.getLogger(__name__)

Resumer = Callable[[Job], None]
_resumers: dict[str, Resumer] = {}


def resumer(kind: str) -> Callable[[Resumer], Resumer]:
    """Register how to start a job of this kind again (usually: queue its task with the job's id)."""

    def register(func: Resumer) -> Resumer:
        _resumers[kind] = func
        return func

    return register


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


def resume_stalled() -> list[str]:
    """Hand jobs with no progress for the stall timeout back to their lane; returns the ids resumed."""
    now = timezone.now()
    cutoff = now - timedelta(seconds=settings.EVENTCHAIN_JOB_STALL_SECONDS)
    stalled = Job.objects.filter(status__in=[Job.Status.QUEUED, Job.Status.RUNNING], updated_at__lt=cutoff,
                                 kind__in=list(_resumers))
    resumed = []
    for job in stalled:
        note = (f"Resumed at {timezone.localtime(now):%H:%M:%S}: no progress for "
                f"{settings.EVENTCHAIN_JOB_STALL_SECONDS:g} s at {job.done} of {job.total} (the worker stopped).")
        with transaction.atomic():
            # Claimed by moving updated_at: a second scheduler pass sees fresh progress and leaves it alone.
            claimed = Job.objects.filter(pk=job.pk, updated_at=job.updated_at).update(
                updated_at=now, errors=[*job.errors, note])
            if not claimed:
                continue
            audit.record(None, "jobs.resumed", f"{job.kind} job resumed after its worker stopped",
                         target=job, data={"done": job.done, "total": job.total})
            transaction.on_commit(lambda job=job: _resumers[job.kind](job))
        log.warning("job %s (%s) stalled at %s/%s; resumed", job.pk, job.kind, job.done, job.total)
        resumed.append(str(job.pk))
    return resumed
