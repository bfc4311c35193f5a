"""Rendered ticket files on disk (MEDIA_ROOT/tickets/rendered/<event>/).

A file's name carries the ticket id, its generation and a digest of the design version and every
value printed, so a stale file is never served: a reissue, a guest rename or a template change
names a different file. `invalidate_*` removes the old ones so the folder does not grow.
"""

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from django.conf import settings


def event_dir(event_id: int) -> Path:
    return Path(settings.MEDIA_ROOT) / "tickets" / "rendered" / str(event_id)


def digest(*parts) -> str:
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()[:16]


def ticket_file(event_id: int, ticket_id: int, generation: int, key: str, suffix: str) -> Path:
    return event_dir(event_id) / f"t{ticket_id}-g{generation}-{key}{suffix}"


def booking_file(event_id: int, booking_id: int, key: str) -> Path:
    return event_dir(event_id) / f"b{booking_id}-{key}.pdf"


def write_atomic(path: Path, data: bytes) -> None:
    """Readers see the old file or the whole new one, never a partial write."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def invalidate_ticket(event_id: int, ticket_id: int, booking_id: int | None = None) -> int:
    removed = 0
    folder = event_dir(event_id)
    patterns = [f"t{ticket_id}-*"] + ([f"b{booking_id}-*"] if booking_id else [])
    for pattern in patterns:
        for path in folder.glob(pattern):
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def invalidate_booking(event_id: int, booking_id: int) -> None:
    for path in event_dir(event_id).glob(f"b{booking_id}-*"):
        path.unlink(missing_ok=True)


def invalidate_event(event_id: int) -> None:
    shutil.rmtree(event_dir(event_id), ignore_errors=True)
