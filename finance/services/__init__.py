"""Lane 04 writes. Each module holds one family of business actions; the names below are the lane's API."""

from .invoicing import credit_cancelled_booking, mark_posted, raise_from_manifest, retry_sync
from .payments import (
    apply_ledger_balance,
    apply_ledger_receipt,
    flag,
    match_receipt,
    record_payment,
    record_receipt,
    resolve_item,
)
from .settlement import release_if_terms_met, terms_met

__all__ = [
    "apply_ledger_balance", "apply_ledger_receipt", "credit_cancelled_booking", "flag", "mark_posted",
    "match_receipt", "raise_from_manifest", "record_payment", "record_receipt", "release_if_terms_met",
    "resolve_item", "retry_sync", "terms_met",
]
