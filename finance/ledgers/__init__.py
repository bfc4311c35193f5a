"""Ledger adapters behind one interface (base.Ledger), chosen in settings or in the console.

`EVENTCHAIN_LEDGER` is the default; a LedgerConnection marked `in_use` in the console overrides it.
Each invoice remembers the ledger it was raised for, so switching later never orphans one.
"""

from django.conf import settings

from ..models import LedgerBackend, LedgerConnection
from .base import Ledger


def active_backend() -> str:
    chosen = LedgerConnection.objects.filter(in_use=True).values_list("backend", flat=True).first()
    return chosen or settings.EVENTCHAIN_LEDGER


def get_ledger(backend: str) -> Ledger:
    if backend == LedgerBackend.XERO:
        from .xero import XeroLedger

        return XeroLedger()
    if backend == LedgerBackend.BUSINESS_CENTRAL:
        from .business_central import BusinessCentralLedger

        return BusinessCentralLedger()
    from .local import LocalLedger

    return LocalLedger()


def is_external(backend: str) -> bool:
    return backend != LedgerBackend.LOCAL
