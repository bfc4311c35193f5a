import uuid

from django.http import HttpRequest
from ninja import Router, Schema

from ..errors import NotFound
from ..models import Job
from .auth import needs_capability, require, staff_token

router = Router(tags=["jobs"], auth=staff_token)


class JobOut(Schema):
    id: str
    status: str
    done: int
    total: int
    errors: list[str]


def job_payload(job: Job) -> dict:
    return {"id": str(job.pk), "status": job.status, "done": job.done, "total": job.total,
            "errors": [str(e) for e in job.errors]}


@router.get("/jobs/{job_id}",
            openapi_extra=needs_capability("view_console"), response=JobOut, summary="Progress of long work")
def get_job(request: HttpRequest, job_id: str):
    require(request, "view_console")
    try:
        job = Job.objects.get(pk=uuid.UUID(job_id))
    except (Job.DoesNotExist, ValueError) as exc:  # a malformed id is simply not found
        raise NotFound("No such job.") from exc
    return job_payload(job)
