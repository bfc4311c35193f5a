"""APNs pushes that tell Wallet a pass changed (Apple then fetches it from our web service).

A Wallet push is an empty JSON body to `/3/device/<push token>` with the pass type id as topic,
over HTTP/2 with the Pass Type ID certificate. The standard library has no HTTP/2 client, so the
sender is an interface: `HttpxSender` (httpx with HTTP/2) in production; `use()` replaces it.
"""

from dataclasses import dataclass
from typing import Protocol


class PushUnavailable(Exception):
    """No HTTP/2 client is installed (add httpx[http2]) or the certificate is not configured."""


@dataclass(frozen=True)
class PushResult:
    status: int
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def token_dead(self) -> bool:
        """The device no longer wants pushes for this token: forget the registration."""
        return self.status == 410 or (self.status == 400 and self.reason in {"BadDeviceToken", "DeviceTokenNotForTopic"})

    @property
    def transient(self) -> bool:
        return self.status == 429 or self.status >= 500


class PushSender(Protocol):
    def push(self, push_token: str, topic: str) -> PushResult: ...


class HttpxSender:
    def __init__(self, *, host: str, cert: str, key: str, ca_bundle: str = ""):
        try:
            import httpx
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise PushUnavailable("APNs needs an HTTP/2 client: install httpx[http2].") from exc
        try:
            import h2  # noqa: F401 - httpx needs it for http2=True
        except ImportError as exc:  # pragma: no cover
            raise PushUnavailable("APNs needs HTTP/2 support: install httpx[http2] (the h2 package).") from exc
        import ssl

        context = ssl.create_default_context(cafile=ca_bundle or None)
        context.load_cert_chain(cert, key)  # the Pass Type ID certificate authenticates us to APNs
        self._client = httpx.Client(http2=True, verify=context, base_url=host, timeout=20.0)

    def push(self, push_token: str, topic: str) -> PushResult:
        response = self._client.post(
            f"/3/device/{push_token}", headers={"apns-topic": topic, "apns-push-type": "background"}, content=b"{}",
        )
        reason = ""
        if response.status_code != 200 and response.content:
            reason = response.json().get("reason", "")
        return PushResult(response.status_code, reason)


_override: PushSender | None = None


def use(sender: PushSender | None) -> None:
    """Replace the sender (tests, or a deployment with its own push gateway); None restores the default."""
    global _override
    _override = sender


def sender() -> PushSender:
    if _override is not None:
        return _override
    from django.conf import settings

    if not settings.APPLE_PASS_CERT or not settings.APPLE_PASS_KEY:
        raise PushUnavailable("APNs needs APPLE_PASS_CERT and APPLE_PASS_KEY.")
    return HttpxSender(host=settings.APNS_HOST, cert=settings.APPLE_PASS_CERT, key=settings.APPLE_PASS_KEY,
                       ca_bundle=settings.APNS_CA_BUNDLE)
