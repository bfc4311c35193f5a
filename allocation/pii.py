"""Lane 03 columns whose names look personal (see eventchain/privacy.py): none of them are about guests."""

from eventchain.privacy import Category, FieldRule, Retention, Strategy, declare_not_personal, register_many


def register() -> None:
    register_many({
        "allocation.AllocationNote": {"actor_label": FieldRule(Category.FREE_TEXT, Strategy.MASK, Retention.NONE,
                                                               why="Who acted: staff or a contact's email")},
        "allocation.Manifest": {"created_by_label": FieldRule(Category.FREE_TEXT, Strategy.MASK, Retention.NONE)},
    })
    declare_not_personal("allocation.Area", {"name": "A venue area"})
    declare_not_personal("allocation.Hold", {"name": "A stock hold's label"})
    declare_not_personal("allocation.EventUnit", {"note": "Why stock is blocked"})
    declare_not_personal("allocation.PoolShare", {"note": "Why a pool share was given"})
    declare_not_personal("allocation.AllocationUpload", {"file_name": "An allocation file's name"})
