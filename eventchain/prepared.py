"""Named prepared statements for the few hot statements whose planning costs more than running them.

Django sends SQL with its values interpolated (psycopg's client-side binding), so PostgreSQL parses and plans
every statement afresh. For the gate's six-table scanner read that planning was about 0.4 ms of server CPU
against 0.06 ms to run it (bench/request_costs.py, docs/performance.md). `execute` PREPAREs such a statement
once per database connection and EXECUTEs it after that; other databases run the SQL as it is. Prepared
statements live in the server session, so a pooler in front of PostgreSQL must keep sessions (PgBouncer's
session mode, not transaction mode).
"""

import weakref

from django.db import connection

# Prepared statement names per open connection (a reconnect gets a new connection object, and prepares again).
_prepared: "weakref.WeakKeyDictionary[object, set[str]]" = weakref.WeakKeyDictionary()


def _numbered(sql: str, count: int) -> str:
    """Django's %s placeholders as PostgreSQL's $1 … $n (the statements given here hold no other %)."""
    for n in range(1, count + 1):
        sql = sql.replace("%s", f"${n}", 1)
    return sql


def execute(cursor, name: str, sql: str, params: list) -> None:
    """Run `sql` with `params` on `cursor` as the prepared statement `name` (a plain identifier)."""
    if connection.vendor != "postgresql":
        cursor.execute(sql, params)
        return
    names = _prepared.setdefault(connection.connection, set())
    if name not in names:
        cursor.execute(f"PREPARE {name} AS {_numbered(sql, len(params))}")
        names.add(name)
    cursor.execute(f"EXECUTE {name}({', '.join(['%s'] * len(params))})", params)
