"""The built-in ledger: EventChain's own invoices are the books; finance records receipts by hand or API."""

from .base import ConnectionCheck, Ledger, LedgerRejected, PaymentFeed


class LocalLedger(Ledger):
    backend = "local"
    label = "Built-in ledger"

    def post_invoice(self, invoice, *, idempotency_key: str, retrying: bool):
        raise LedgerRejected("The built-in ledger keeps invoices in EventChain; there is nothing to send.")

    def post_credit_note(self, credit_note, *, idempotency_key: str, retrying: bool):
        raise LedgerRejected("The built-in ledger keeps credit notes in EventChain; there is nothing to send.")

    def fetch_payments(self, since):
        return PaymentFeed()

    def fetch_invoice_payments(self, external_id: str):
        return PaymentFeed()

    def check_connection(self) -> ConnectionCheck:
        return ConnectionCheck(True, "The built-in ledger needs no connection: receipts are recorded in EventChain.")
