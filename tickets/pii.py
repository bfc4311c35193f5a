"""Lane 05 columns: guests' contact details, and the events' signing keys (secrets)."""

from eventchain.privacy import Category, FieldRule, Retention, Strategy, register_many

GUEST = Retention.GUEST_CONTACT


def register() -> None:
    register_many({
        "tickets.Guest": {
            "email": FieldRule(Category.CONTACT, Strategy.ANONYMISE, GUEST, subject=True,
                               why="A guest named on a booking"),
            "name": FieldRule(Category.CONTACT, Strategy.ANONYMISE, GUEST),
            "phone": FieldRule(Category.CONTACT, Strategy.ERASE, GUEST),
            "requirements": FieldRule(Category.FREE_TEXT, Strategy.ERASE, GUEST,
                                      why="Dietary and access needs can be health data"),
        },
        "tickets.SigningKey": {"private_key_encrypted": FieldRule(
            Category.SECRET, Strategy.ENCRYPTED, Retention.NONE, why="Ed25519 private key (Fernet)")},
        "tickets.Ticket": {
            "google_save_url": FieldRule(Category.PAYLOAD, Strategy.ERASE, GUEST,
                                         why="A signed Google Wallet JWT carrying the holder's name"),
            "apple_auth_token": FieldRule(Category.SECRET, Strategy.PLAINTEXT_SECRET, Retention.NONE,
                                          why="Apple Wallet web service token; compared as is (known gap)"),
        },
        "tickets.AppleRegistration": {
            "device_library_id": FieldRule(Category.IDENTIFIER, Strategy.ANONYMISE, GUEST,
                                           why="Identifies the guest's phone (unique per pass: pseudonymised)"),
            "push_token": FieldRule(Category.IDENTIFIER, Strategy.ERASE, GUEST),
        },
    })
