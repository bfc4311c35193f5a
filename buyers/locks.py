"""Transaction-scoped Postgres advisory locks on a name (e.g. a CRM deal id).

Other databases (SQLite in local demos) serialise writers on their own, so the lock is a no-op there.
"""

import hashlib

from django.db import connection


def lock_key(namespace: str, value: str) -> int:
    """A stable signed 64-bit key for pg_advisory_xact_lock."""
    digest = hashlib.sha256(f"{namespace}:{value}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def advisory_xact_lock(namespace: str, value: str) -> None:
    """Block until this transaction holds the lock; released at commit or rollback. Call inside atomic()."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_key(namespace, value)])
