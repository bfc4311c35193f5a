"""Without Redis there is no Celery beat: `runserver` polls the outbox itself so retries still happen."""

import logging
import threading
import time

from django.db import close_old_connections

log = logging.getLogger(__name__)
POLL_SECONDS = 10


def _poll_forever():
    from . import outbox

    while True:
        time.sleep(POLL_SECONDS)
        try:
            outbox.dispatch_due()
        except Exception:  # noqa: BLE001 — a bad row must not stop the poller; it is logged
            log.exception("local outbox poll failed")
        finally:
            close_old_connections()


def start_local_outbox_poller() -> None:
    thread = threading.Thread(target=_poll_forever, name="eventchain-outbox-poller", daemon=True)
    thread.start()
