"""Signed tokens in email URLs: the open-tracking pixel and tracked downloads.

A token is the whole permission for what it names (a guest is not signed in to anything), so it
binds the ticket's generation: once a ticket is reissued or transferred, links in older emails stop
working and the holder of the old email cannot fetch the new code.
"""

from django.conf import settings
from django.core import signing
from django.urls import reverse

from . import conf

SALT = "distribution.track"
FILE_KINDS = ("pdf", "pkpass", "google", "bundle")


def absolute(path: str) -> str:
    return f"{settings.EVENTCHAIN_BASE_URL}{path}"


def _dumps(payload: dict) -> str:
    return signing.dumps(payload, salt=SALT, compress=True)


def loads(token: str) -> dict | None:
    max_age = conf.get("EVENTCHAIN_TRACKED_LINK_DAYS") * 24 * 3600
    try:
        payload = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.BadSignature:  # also SignatureExpired
        return None
    return payload if isinstance(payload, dict) else None


def pixel_url(message_id: int) -> str:
    return absolute(reverse("portal:open-pixel", args=[_dumps({"m": message_id})]))


def ticket_file_url(message_id: int | None, ticket, kind: str) -> str:
    token = _dumps({"m": message_id, "t": ticket.pk, "g": ticket.generation, "k": kind})
    return absolute(reverse("portal:tracked-file", args=[token]))


def bundle_url(message_id: int | None, booking_id: int, generations: list[tuple[int, int]]) -> str:
    """The booking's combined PDF as it was when sent; any reissue since makes the link stale."""
    token = _dumps({"m": message_id, "b": booking_id, "k": "bundle", "s": sorted(generations)})
    return absolute(reverse("portal:tracked-file", args=[token]))


def portal_url() -> str:
    return absolute(reverse("portal:home"))


def portal_booking_url(booking_id: int) -> str:
    return absolute(reverse("portal:booking", args=[booking_id]))
