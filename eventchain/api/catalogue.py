from django.http import HttpRequest
from ninja import Router, Schema

from ..errors import NotFound
from ..models import Event
from .auth import needs_capability, require, staff_token

router = Router(tags=["events"], auth=staff_token)


class EventOut(Schema):
    code: str
    name: str
    venue: str
    timezone: str
    starts_at: str
    ends_at: str
    status: str


def event_payload(event: Event) -> dict:
    tz = event.tz
    return {
        "code": event.code,
        "name": event.name,
        "venue": event.venue.name,
        "timezone": event.venue.timezone,
        "starts_at": event.starts_at.astimezone(tz).isoformat(),
        "ends_at": event.ends_at.astimezone(tz).isoformat(),
        "status": event.status,
    }


@router.get("/events/{code}",
            openapi_extra=needs_capability("view_console"), response=EventOut, summary="An event of the catalogue")
def get_event(request: HttpRequest, code: str):
    require(request, "view_console")
    event = Event.objects.select_related("venue").filter(code=code).first()
    if event is None:
        raise NotFound(f"No event has the code {code!r}.")
    return event_payload(event)
