"""Kernel columns that can hold personal data or secrets (see eventchain/privacy.py)."""

from .privacy import Category, FieldRule, Retention, Strategy, declare_not_personal, register_many

MASK_TEXT = FieldRule(Category.FREE_TEXT, Strategy.MASK, Retention.NONE,
                      why="Summaries and errors may name a person; masked, never deleted")
MASK_PAYLOAD = FieldRule(Category.PAYLOAD, Strategy.MASK, Retention.NONE,
                         why="Outbound payloads and stored answers may carry an email or name")


def register() -> None:
    register_many({
        "eventchain.AuditEntry": {"actor_label": MASK_TEXT, "summary": MASK_TEXT, "data": MASK_PAYLOAD},
        "eventchain.OutboxMessage": {"payload": MASK_PAYLOAD, "last_error": MASK_TEXT},
        "eventchain.OutboxAttempt": {"error": MASK_TEXT},
        "eventchain.Job": {"errors": MASK_PAYLOAD},
        "eventchain.IdempotencyRecord": {"response_body": MASK_PAYLOAD},
        # Velocity rules (eventchain/models/velocity.py): who acted, and staff notes on a raised flag.
        "eventchain.VelocityEvent": {"actor_label": MASK_TEXT},
        "eventchain.Flag": {"note": MASK_TEXT},
        "eventchain.ApiToken": {"token_hash": FieldRule(Category.SECRET, Strategy.HASHED, Retention.NONE,
                                                        why="Staff API token, stored as SHA-256")},
    })
    declare_not_personal("eventchain.ApiToken", {"name": "A token's label, e.g. 'CRM production'"})
    declare_not_personal("eventchain.Venue", {"name": "A venue", "address": "The venue's street address"})
    declare_not_personal("eventchain.Event", {"name": "An event's title"})
    declare_not_personal("eventchain.Package", {"name": "A hospitality package"})
