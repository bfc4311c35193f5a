"""Lane 07 columns: gate scans (codes and device ids) and the activity log's data."""

from eventchain.privacy import Category, FieldRule, Retention, Strategy, declare_not_personal, register_many

SCANS = Retention.SCANS


def register() -> None:
    register_many({
        "reporting.Scan": {
            "device_id": FieldRule(Category.IDENTIFIER, Strategy.ERASE, SCANS, why="The scanning handset"),
            "code": FieldRule(Category.IDENTIFIER, Strategy.ERASE, SCANS, why="The ticket code presented"),
            "response": FieldRule(Category.PAYLOAD, Strategy.MASK, SCANS, why="Holder name shown at the gate"),
        },
        "reporting.ScanImport": {"content": FieldRule(Category.PAYLOAD, Strategy.ERASE, SCANS),
                                 "results": FieldRule(Category.PAYLOAD, Strategy.MASK, SCANS)},
        "reporting.BookingActivity": {"summary": FieldRule(Category.FREE_TEXT, Strategy.MASK, Retention.NONE),
                                      "data": FieldRule(Category.PAYLOAD, Strategy.MASK, Retention.NONE)},
    })
    declare_not_personal("reporting.ScanImport", {"file_name": "A gate manager export's file name"})
