"""Lane 04 columns: invoice addressees are financial records (legal hold); ledger tokens are secrets."""

from eventchain.privacy import Category, FieldRule, Retention, Strategy, declare_not_personal, register_many

HELD = FieldRule(Category.FINANCIAL, Strategy.KEEP_FOR_TAX, Retention.FINANCIAL,
                 why="A tax invoice must be kept unchanged for the tax period")


def register() -> None:
    register_many({
        "finance.Invoice": {"bill_to_name": HELD, "bill_to_email": FieldRule(
            Category.FINANCIAL, Strategy.KEEP_FOR_TAX, Retention.FINANCIAL, subject=True, why=HELD.why),
            "bill_to_address": HELD, "bill_to_tax_number": HELD},
        "finance.LedgerConnection": {"token_ciphertext": FieldRule(
            Category.SECRET, Strategy.ENCRYPTED, Retention.NONE, why="Ledger OAuth token set (Fernet)")},
        "finance.LedgerWebhook": {"raw_body": HELD, "headers": HELD},
        "finance.UnmatchedReceipt": {"raw": HELD},
    })
    declare_not_personal("finance.Invoice", {"supplier_name": "Our own company name",
                                             "sync_note": "What the ledger said about the invoice"})
    declare_not_personal("finance.CreditNote", {"note": "Why the credit note was raised"})
    declare_not_personal("finance.LedgerConnection", {"tenant_name": "The ledger organisation's name"})
