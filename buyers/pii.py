"""Lane 02 columns that hold personal data (see eventchain/privacy.py)."""

from eventchain.privacy import Category, FieldRule, Retention, Strategy, declare_not_personal, register_many

CONTACT = Category.CONTACT


def register() -> None:
    register_many({
        "buyers.Contact": {
            "email": FieldRule(CONTACT, Strategy.ANONYMISE, Retention.NONE, subject=True,
                               why="The buyer's coordinator: kept while the account is active; DSAR anonymises"),
            "name": FieldRule(CONTACT, Strategy.ANONYMISE, Retention.NONE),
            "phone": FieldRule(CONTACT, Strategy.ERASE, Retention.NONE),
            "role": FieldRule(CONTACT, Strategy.ERASE, Retention.NONE),
        },
        "buyers.BillingEntity": {
            "email": FieldRule(Category.FINANCIAL, Strategy.KEEP_FOR_TAX, Retention.FINANCIAL, subject=True,
                               why="Invoice addressee: a tax record, held for the tax period"),
            "address_line1": FieldRule(Category.FINANCIAL, Strategy.KEEP_FOR_TAX, Retention.FINANCIAL),
            "address_line2": FieldRule(Category.FINANCIAL, Strategy.KEEP_FOR_TAX, Retention.FINANCIAL),
            "postcode": FieldRule(Category.FINANCIAL, Strategy.KEEP_FOR_TAX, Retention.FINANCIAL),
        },
        "buyers.Buyer": {
            "notes": FieldRule(Category.FREE_TEXT, Strategy.MASK, Retention.NONE,
                               why="Staff notes about the account may name people"),
            "unmatched_agent_email": FieldRule(CONTACT, Strategy.ERASE, Retention.NONE, subject=True, group="agent",
                                               why="A sales agent's email from the CRM, until one is assigned"),
            "unmatched_agent_name": FieldRule(CONTACT, Strategy.ERASE, Retention.NONE, group="agent"),
        },
        "buyers.Booking": {
            "special_requirements": FieldRule(Category.FREE_TEXT, Strategy.MASK, Retention.GUEST_CONTACT,
                                              why="Dietary/access needs may name guests"),
        },
        "buyers.CrmHandoff": {
            "raw_body": FieldRule(Category.PAYLOAD, Strategy.MASK, Retention.GUEST_CONTACT,
                                  why="The CRM's JSON with contact names, emails and phones"),
            "headers": FieldRule(Category.PAYLOAD, Strategy.MASK, Retention.GUEST_CONTACT),
            "errors": FieldRule(Category.PAYLOAD, Strategy.MASK, Retention.NONE),
        },
    })
    declare_not_personal("buyers.Buyer", {"name": "The corporate account's name"})
    declare_not_personal("buyers.BillingEntity", {"legal_name": "A company's legal name (a tax record)"})
