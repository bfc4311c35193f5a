"""Which booking status may follow which: the one table every lane's transition goes through."""

from eventchain.lifecycle import BookingStatus as S

# A move not listed here is refused. `allocated → confirmed` is the allocation lane releasing stock
# (after which details may be amended again); cancelled is reachable from every state before closed.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.CONFIRMED, S.CANCELLED}),
    S.CONFIRMED: frozenset({S.ALLOCATED, S.CANCELLED}),
    S.ALLOCATED: frozenset({S.CONFIRMED, S.INVOICED, S.CANCELLED}),
    S.INVOICED: frozenset({S.RELEASED, S.CANCELLED}),
    S.RELEASED: frozenset({S.ISSUED, S.CANCELLED}),
    S.ISSUED: frozenset({S.DISTRIBUTED, S.CANCELLED}),
    S.DISTRIBUTED: frozenset({S.CLOSED, S.CANCELLED}),
    S.CLOSED: frozenset(),
    S.CANCELLED: frozenset(),
}

# Statuses in which event, package and headcount may still be amended: stock is not (or no longer) held.
AMENDABLE_STATUSES = frozenset({S.DRAFT, S.CONFIRMED})


def can_move(from_status: str, to_status: str) -> bool:
    return to_status in ALLOWED_TRANSITIONS.get(from_status, frozenset())


def next_statuses(from_status: str) -> list[str]:
    order = list(S.values)
    return sorted(ALLOWED_TRANSITIONS.get(from_status, frozenset()), key=order.index)
