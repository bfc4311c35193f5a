"""Gapless document numbers per prefix: INV-000123, CN-000007.

The sequence row is locked (SELECT … FOR UPDATE) and bumped inside the caller's transaction, so a
number is only used if the invoice that took it commits; a rolled-back invoice rolls its number back
too, and concurrent invoices queue on the row instead of sharing or skipping numbers.
"""

from django.db import IntegrityError, transaction

from .models import InvoiceSequence

DIGITS = 6


def format_number(prefix: str, number: int) -> str:
    return f"{prefix}-{number:0{DIGITS}d}"


def next_number(prefix: str) -> str:
    """Take the next number for `prefix`. Must run inside the transaction that stores the document."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_number() must run inside the transaction that saves the numbered document.")
    sequence = InvoiceSequence.objects.select_for_update().filter(prefix=prefix).first()
    if sequence is None:
        try:
            with transaction.atomic():  # savepoint: a concurrent first use of the prefix may win the insert
                InvoiceSequence.objects.create(prefix=prefix)
        except IntegrityError:
            pass
        sequence = InvoiceSequence.objects.select_for_update().get(prefix=prefix)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return format_number(prefix, sequence.last_number)
