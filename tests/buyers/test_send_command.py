"""`manage.py send_crm_handoff` signs a file and posts it to a running server."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from buyers import webhook
from buyers.models import Booking

from .conftest import HANDOFF


@pytest.fixture
def handoff_file(tmp_path):
    path = tmp_path / "handoff.json"
    path.write_text(json.dumps(HANDOFF, indent=2))
    return path


@pytest.mark.django_db(transaction=True)
def test_command_posts_a_signed_handoff_to_the_live_server(live_server, catalogue, handoff_file, capsys):
    url = f"{live_server.url}/api/v1/crm/handoff"
    call_command("send_crm_handoff", str(handoff_file), url=url)
    out = capsys.readouterr().out
    assert "HTTP 201" in out and '"status": "created"' in out
    assert Booking.objects.get().crm_deal_id == "CRM-DEAL-1042"
    call_command("send_crm_handoff", str(handoff_file), url=url)
    assert '"status": "duplicate"' in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_command_reports_a_refusal(live_server, catalogue, handoff_file):
    with pytest.raises(CommandError, match="HTTP 401"):
        call_command("send_crm_handoff", str(handoff_file), url=f"{live_server.url}/api/v1/crm/handoff",
                     secret="wrong")


def test_print_only_shows_verifiable_headers_and_a_curl_line(handoff_file, capsys, settings):
    call_command("send_crm_handoff", str(handoff_file), print_only=True, timestamp=1767225600)
    lines = capsys.readouterr().out.splitlines()
    headers = dict(line.split(": ", 1) for line in lines[:2])
    webhook.verify(secret=settings.EVENTCHAIN_CRM_WEBHOOK_SECRET, timestamp=headers["X-EventChain-Timestamp"],
                   signature_header=headers["X-EventChain-Signature"], body=handoff_file.read_bytes(),
                   now=1767225600)
    assert lines[2].startswith("curl ") and f"@{handoff_file}" in lines[2]


def test_invalid_json_is_refused_before_sending(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("send_crm_handoff", str(bad), print_only=True)


def test_the_readme_openssl_line_computes_the_same_signature(handoff_file, settings):
    import shutil
    import subprocess

    if shutil.which("openssl") is None:
        pytest.fail("openssl is missing: make test installs it (Debian package openssl)")
    script = (f"printf '%s.' 1767225600 | cat - '{handoff_file}' | "
              "openssl dgst -sha256 -hmac \"$SECRET\" -r | cut -d' ' -f1")
    result = subprocess.run(["sh", "-c", script], env={"SECRET": settings.EVENTCHAIN_CRM_WEBHOOK_SECRET,
                                                       "PATH": "/usr/bin:/bin"},
                            capture_output=True, text=True, check=True)
    expected = webhook.signature(settings.EVENTCHAIN_CRM_WEBHOOK_SECRET, 1767225600, handoff_file.read_bytes())
    assert f"sha256={result.stdout.strip()}" == expected
