"""Lane 07 tables: gate devices and scans, attendance, the buyer profile snapshot, outcomes for the CRM."""

from .attendance import Attendance
from .gate import GateDevice, GateSettings, Scan, ScanImport, ScanResult, ScanSource
from .outcomes import BuyerOutcome
from .privacy import RetentionPolicy
from .profile import BookingActivity, BookingSnapshot, SnapshotDirty

__all__ = [
    "Attendance", "BookingActivity", "BookingSnapshot", "BuyerOutcome", "GateDevice", "GateSettings", "RetentionPolicy",
    "Scan", "ScanImport", "ScanResult", "ScanSource", "SnapshotDirty",
]
