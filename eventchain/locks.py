"""Transaction-scoped Postgres advisory locks on a name (a CRM deal id, a velocity rule's subject).

Other databases (SQLite in local demos) serialise writers on their own, so the lock is a no-op there.
"""

import hashlib

from django.db import connection


def lock_key(namespace: str, value: str) -> int:
    """A stable signed 64-bit key for pg_advisory_xact_lock."""
    digest = hashlib.sha256(f"{namespace}:{value}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def advisory_xact_lock(*names: tuple[str, str]) -> None:
    """Block until this transaction holds the lock on each (namespace, value), in one statement; released at
    commit or rollback. Call inside atomic(). Callers taking several keep them in one order."""
    if connection.vendor != "postgresql" or not names:
        return
    calls = ", ".join("pg_advisory_xact_lock(%s)" for _ in names)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {calls}", [lock_key(namespace, value) for namespace, value in names])
