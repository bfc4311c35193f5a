"""The gate's decision for one code, apart from storage: pure, so every answer is easy to test.

Order matters and follows what a steward can act on: a code that is not ours (invalid), for another
event (wrong_event), no longer current (revoked), outside its window (not_yet_valid / expired), then
whether the guest is already inside (duplicate, unless the event allows re-entry).
"""

from dataclasses import dataclass
from datetime import datetime

from ..models import ScanResult

MESSAGES = {
    ScanResult.ADMITTED: "Admit.",
    ScanResult.DUPLICATE: "Already admitted{at}. Do not admit; send the guest to the exception desk.",
    ScanResult.REVOKED: "This code was revoked{why}. Do not admit; the guest should show their newest ticket.",
    ScanResult.INVALID: "Not a valid EventChain ticket{why}. Do not admit.",
    ScanResult.WRONG_EVENT: "This ticket is for another event. Do not admit.",
    ScanResult.NOT_YET_VALID: "Entry has not opened yet for this ticket (from {when}).",
    ScanResult.EXPIRED: "This ticket's entry window has closed ({when}).",
}


@dataclass(frozen=True)
class TicketState:
    """What the gate needs of the ticket row, read under its lock."""

    event_id: int
    generation: int
    status: str  # tickets.models.TicketStatus value
    admitted_at: datetime | None  # first admission, None if never
    admitted_gate: str = ""


@dataclass(frozen=True)
class Window:
    opens: datetime | None
    closes: datetime | None


@dataclass(frozen=True)
class Decision:
    result: str
    message: str
    reentry: bool = False


def narrowed(code_window: Window, event_window: Window) -> Window:
    """The code's window cut down by the event's entry window (doors open / close), where one is set."""
    opens = max(filter(None, (code_window.opens, event_window.opens)), default=None)
    closes = min(filter(None, (code_window.closes, event_window.closes)), default=None)
    return Window(opens, closes)


def _local(moment: datetime, tz) -> str:
    return moment.astimezone(tz).strftime("%-d %b %H:%M")


def decide(*, claim_generation: int, claim_event_id: int, device_event_id: int, ticket: TicketState | None,
           window: Window, at: datetime, allow_reentry: bool, tz) -> Decision:
    if claim_event_id != device_event_id:
        return Decision(ScanResult.WRONG_EVENT, MESSAGES[ScanResult.WRONG_EVENT])
    if ticket is None or ticket.event_id != claim_event_id:
        return Decision(ScanResult.INVALID, MESSAGES[ScanResult.INVALID].format(why=": no such ticket"))
    if ticket.status == "staged":
        return Decision(ScanResult.INVALID, MESSAGES[ScanResult.INVALID].format(why=": the ticket was never issued"))
    if claim_generation > ticket.generation:
        return Decision(ScanResult.INVALID, MESSAGES[ScanResult.INVALID].format(why=": unknown generation"))
    if ticket.status == "revoked":
        return Decision(ScanResult.REVOKED, MESSAGES[ScanResult.REVOKED].format(why=""))
    if claim_generation < ticket.generation:
        return Decision(ScanResult.REVOKED, MESSAGES[ScanResult.REVOKED].format(why=" when the ticket was reissued"))
    if window.opens and at < window.opens:
        return Decision(ScanResult.NOT_YET_VALID, MESSAGES[ScanResult.NOT_YET_VALID].format(when=_local(window.opens, tz)))
    if window.closes and at > window.closes:
        return Decision(ScanResult.EXPIRED, MESSAGES[ScanResult.EXPIRED].format(when=_local(window.closes, tz)))
    if ticket.admitted_at is not None:
        if allow_reentry:
            return Decision(ScanResult.ADMITTED, "Admit (re-entry).", reentry=True)
        where = f" at {ticket.admitted_gate}" if ticket.admitted_gate else ""
        at_text = f"{where} {_local(ticket.admitted_at, tz)}"
        return Decision(ScanResult.DUPLICATE, MESSAGES[ScanResult.DUPLICATE].format(at=at_text))
    return Decision(ScanResult.ADMITTED, MESSAGES[ScanResult.ADMITTED])


INVALID_REASONS = {
    "malformed": "the text is not an EC1 ticket code",
    "unknown_key": "it was not signed with this event's keys",
    "bad_signature": "its signature does not match (forged or altered)",
}


def invalid(reason: str) -> Decision:
    """A string that failed to decode or verify (tickets.codes.CodeError.reason says how)."""
    why = INVALID_REASONS.get(reason, "it could not be read")
    return Decision(ScanResult.INVALID, f"Not a valid EventChain ticket: {why}. Do not admit.")
