"""Lane 06 columns: email recipients, portal activity, transfers, uploads and the guest address book."""

from eventchain.privacy import Category, FieldRule, Retention, Strategy, declare_not_personal, register_many

GUEST = Retention.GUEST_CONTACT


def _contact(strategy=Strategy.ANONYMISE, *, subject=False, why="", group=""):
    return FieldRule(Category.CONTACT, strategy, GUEST, subject=subject, why=why, group=group)


MASK_TEXT = FieldRule(Category.FREE_TEXT, Strategy.MASK, GUEST)
PAYLOAD = FieldRule(Category.PAYLOAD, Strategy.MASK, GUEST)


def register() -> None:
    register_many({
        "distribution.DeliveryMessage": {
            "recipient_email": _contact(subject=True, why="Who a ticket email went to"),
            "recipient_name": _contact(), "subject": MASK_TEXT, "context": PAYLOAD, "requested_by": MASK_TEXT,
            "last_error": MASK_TEXT, "smtp_response": MASK_TEXT,
        },
        "distribution.TrackingEvent": {"data": FieldRule(Category.IDENTIFIER, Strategy.ERASE, GUEST,
                                                         why="User agent of an email open, claim details")},
        "distribution.PortalLoginLink": {
            "requested_ip": FieldRule(Category.IDENTIFIER, Strategy.ERASE, GUEST, why="IP that asked for a link"),
            "token_hash": FieldRule(Category.SECRET, Strategy.HASHED, Retention.NONE, why="Magic-link token"),
        },
        "distribution.TicketTransfer": {
            "from_email": _contact(subject=True, why="Previous holder of a transferred ticket", group="from"),
            "from_name": _contact(group="from"), "from_phone": _contact(Strategy.ERASE, group="from"),
            "to_email": _contact(subject=True, group="to"), "to_name": _contact(group="to"), "actor_label": MASK_TEXT,
            "reason": MASK_TEXT,
        },
        # An xlsx cannot be masked in place: the whole raw file goes when a guest on it is erased.
        "distribution.GuestUpload": {"content": FieldRule(Category.PAYLOAD, Strategy.ERASE, GUEST),
                                     "errors": PAYLOAD, "uploaded_by": MASK_TEXT},
        "distribution.ClaimLink": {
            "sent_to": _contact(subject=True, why="Guest a claim link was sent to"), "created_by": MASK_TEXT,
            "token_hash": FieldRule(Category.SECRET, Strategy.HASHED, Retention.NONE, why="Claim-link token"),
        },
        "distribution.EventMessageSent": {"recipient_email": _contact(subject=True)},
        "distribution.AddressBookEntry": {
            "email": _contact(subject=True, why="Everyone a buyer has named"), "name": _contact(),
            "phone": _contact(Strategy.ERASE),
            "requirements": FieldRule(Category.FREE_TEXT, Strategy.ERASE, GUEST),
        },
    })
    declare_not_personal("distribution.EventMessage", {"body": "Staff-written template text"})
