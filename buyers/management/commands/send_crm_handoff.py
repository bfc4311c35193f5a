"""Sign a CRM handoff JSON file the way the webhook expects and POST it (or just print the signature)."""

import json
import sys
import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from buyers import webhook

DEFAULT_URL = "http://127.0.0.1:8000/api/v1/crm/handoff"


class Command(BaseCommand):
    help = (
        "Sign FILE with EVENTCHAIN_CRM_WEBHOOK_SECRET (HMAC-SHA256 over '<timestamp>.<body>') and POST it to the "
        "handoff webhook. Prints the HTTP status and the answer; --print-only shows the headers and a curl line."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The handoff JSON, sent byte for byte as signed ('-' for stdin).")
        parser.add_argument("--url", default=DEFAULT_URL, help=f"Webhook URL (default {DEFAULT_URL}).")
        parser.add_argument("--secret", help="Shared secret (default: EVENTCHAIN_CRM_WEBHOOK_SECRET).")
        parser.add_argument("--timestamp", type=int, help="Unix seconds to sign with (default: now).")
        parser.add_argument("--print-only", action="store_true", help="Print headers and curl; send nothing.")

    def handle(self, *args, **options):
        body = self._read(options["file"])
        secret = options["secret"] or settings.EVENTCHAIN_CRM_WEBHOOK_SECRET
        headers = webhook.signed_headers(secret, body, timestamp=options["timestamp"])
        if options["print_only"]:
            for name, value in headers.items():
                self.stdout.write(f"{name}: {value}")
            header_args = " ".join(f"-H '{name}: {value}'" for name, value in headers.items())
            self.stdout.write(f"curl -sS -X POST {options['url']} -H 'Content-Type: application/json' "
                              f"{header_args} --data-binary @{options['file']}")
            return
        status, answer = self._post(options["url"], body, headers)
        self.stdout.write(f"HTTP {status}")
        self.stdout.write(answer)
        if status >= 400:
            raise CommandError(f"The webhook refused the handoff (HTTP {status}).")

    def _read(self, name: str) -> bytes:
        if name == "-":
            body = sys.stdin.buffer.read()
        else:
            path = Path(name)
            if not path.is_file():
                raise CommandError(f"No such file: {name}")
            body = path.read_bytes()
        try:
            json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            # Sent anyway would only earn a 422; say so before signing.
            raise CommandError(f"{name} is not valid JSON: {exc}") from exc
        return body

    def _post(self, url: str, body: bytes, headers: dict) -> tuple[int, str]:
        if not url.startswith(("http://", "https://")):
            raise CommandError("--url must be an http:// or https:// URL.")
        request = urllib.request.Request(  # noqa: S310 — the scheme is checked above
            url, data=body, method="POST", headers={"Content-Type": "application/json", **headers}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()
        except urllib.error.URLError as exc:
            raise CommandError(f"Could not reach {url}: {exc.reason}") from exc
