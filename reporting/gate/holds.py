"""Scanner devices under the kernel's velocity rules: many failed scans from one device hold it for review.

Only `invalid` answers count (forged, altered or unknown codes): revoked, duplicate and out-of-window
answers are ordinary at a busy gate. A held device gets 403 with the API's standard error body on
scan uploads; the scan answer's shape stays exactly as API.md fixes it. The device keeps its
unsent scans (offline scanners retry), so nothing is lost once staff release it.
"""

from django.urls import reverse

from eventchain import velocity
from eventchain.errors import PermissionRefused

from ..models import ScanResult

SUBJECT_TYPE = "gate_device"
FAILED = frozenset({ScanResult.INVALID})


def device_subject(device) -> velocity.Subject:
    return velocity.Subject(SUBJECT_TYPE, str(device.pk), f"Scanner {device.gate} at {device.event.code} (#{device.pk})",
                            reverse("reporting:gate", args=[device.event.code]))


def count_failed_scan(device, result: str) -> None:
    if result in FAILED:
        velocity.observe("device_failed_scans", subject=device_subject(device), actor=f"scanner:{device.pk}")


def ensure_not_held(device) -> None:
    """PermissionRefused (403) while a velocity flag holds the device; `held` was read with the token."""
    if not getattr(device, "held", False):
        return
    flag = velocity.holding_flag(SUBJECT_TYPE, device.pk)
    if flag is None:  # released since the token was read
        return
    raise PermissionRefused(
        f"This scanner is held for review after {flag.count} failed scans in "
        f"{velocity.describe_window(flag.window_seconds)}. Scan at another device and ask an EventChain admin to "
        "release it in the review queue; scans kept on this device can be uploaded again after that."
    )
