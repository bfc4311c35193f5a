import pytest

from reporting import demo
from reporting.models import GateSettings, Scan

pytestmark = pytest.mark.django_db


def test_demo_seed_is_idempotent_and_checks_in_some_guests(catalogue, tickets):
    first = demo.seed()
    assert first["gate_settings_created"] == 2 and first["scans_recorded"] == 5  # 4 of 8 guests, one twice
    assert GateSettings.objects.get(event__code="GF2026").allow_reentry is False
    assert GateSettings.objects.get(event__code="SF2026").allow_reentry is True
    # GF2026 allows no re-entry, so the guest who tries twice is turned away the second time.
    assert sorted(Scan.objects.values_list("result", flat=True)) == ["admitted"] * 4 + ["duplicate"]
    again = demo.seed()
    assert again["gate_settings_created"] == 0 and again["scans_recorded"] == 0
    assert Scan.objects.count() == 5
