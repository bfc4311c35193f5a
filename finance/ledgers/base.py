"""The small interface every ledger adapter implements, and what it hands back.

Adapters raise `LedgerUnavailable` for anything retrying can fix (429, 5xx, timeouts, an expired
connection) and `LedgerRejected` when the ledger refused the content; the outbox handlers turn those
into RetryLater / PermanentFailure. Posting must be idempotent: the adapter is told when it is a
retry so it can look the document up by our number before sending it again.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal


class LedgerError(Exception):
    pass


class LedgerUnavailable(LedgerError):
    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.retry_after = retry_after


class LedgerRejected(LedgerError):
    """The ledger refused the document; the message says what to fix."""


@dataclass(frozen=True)
class PostResult:
    external_id: str
    external_number: str = ""
    total: Decimal | None = None


@dataclass(frozen=True)
class LedgerReceipt:
    """One payment as the ledger recorded it (Xero: a Payment against an invoice)."""

    external_id: str
    invoice_external_id: str
    invoice_number: str
    amount: Decimal
    received_on: date
    reference: str = ""
    raw: dict = field(default_factory=dict)


@dataclass(frozen=True)
class LedgerBalance:
    """How much of an invoice the ledger considers settled (Business Central: total − remainingAmount)."""

    invoice_external_id: str
    invoice_number: str
    settled: Decimal
    modified_at: datetime
    raw: dict = field(default_factory=dict)


@dataclass
class PaymentFeed:
    receipts: list[LedgerReceipt] = field(default_factory=list)
    balances: list[LedgerBalance] = field(default_factory=list)


@dataclass(frozen=True)
class ConnectionCheck:
    ok: bool
    message: str


class Ledger(ABC):
    backend: str
    label: str

    @abstractmethod
    def post_invoice(self, invoice, *, idempotency_key: str, retrying: bool) -> PostResult: ...

    @abstractmethod
    def post_credit_note(self, credit_note, *, idempotency_key: str, retrying: bool) -> PostResult: ...

    @abstractmethod
    def fetch_payments(self, since: datetime | None) -> PaymentFeed:
        """Payments changed since `since` (None: everything the ledger has for our invoices)."""

    @abstractmethod
    def fetch_invoice_payments(self, external_id: str) -> PaymentFeed:
        """Payments of one invoice, re-read after a webhook hinted that it changed."""

    @abstractmethod
    def check_connection(self) -> ConnectionCheck: ...
