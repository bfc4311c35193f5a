"""Lane 03 writes. Every business action on stock is one function here, in one transaction, audited."""

from .holds import block_units, create_hold, release_expired_holds, release_hold, unblock_units
from .intake import process_upload, upload_requests
from .manifest import (
    Confirmed,
    amend_allocation,
    cancel_allocation,
    confirm_allocation,
    manifest_payload,
    release_everything,
)
from .reserve import Outcome, allocate_booking, grant_comp, release_units, reserve_units
from .setup import (
    add_overflow,
    delete_comp_rule,
    ensure_event_stock,
    import_layout,
    open_event_stock,
    remove_overflow,
    save_comp_rule,
)

__all__ = [
    "Confirmed",
    "Outcome",
    "add_overflow",
    "allocate_booking",
    "amend_allocation",
    "block_units",
    "cancel_allocation",
    "confirm_allocation",
    "create_hold",
    "delete_comp_rule",
    "ensure_event_stock",
    "grant_comp",
    "import_layout",
    "manifest_payload",
    "open_event_stock",
    "process_upload",
    "release_everything",
    "release_expired_holds",
    "release_hold",
    "release_units",
    "remove_overflow",
    "reserve_units",
    "save_comp_rule",
    "unblock_units",
    "upload_requests",
]
