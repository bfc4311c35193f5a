"""TOTP two-factor codes for local passwords (django-otp devices), and who must have one."""

import base64
from binascii import unhexlify

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.db import transaction
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from .. import audit
from ..errors import NotFound, ValidationFailed

DEVICE_NAME = "Authenticator app"
# Demo only (`seed_demo` with DEBUG on): 20 bytes anyone reading the source knows, so never a real secret.
DEMO_TOTP_KEY = b"EVENTCHAIN-DEMO-ONLY".hex()


def required_for(user) -> bool:
    required = set(settings.EVENTCHAIN_2FA_REQUIRED_ROLES)
    return bool(required) and user.groups.filter(name__in=required).exists()


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def pending_device(user) -> TOTPDevice:
    """The unconfirmed device an enrolment shows; made once, so reloading the page keeps the same secret."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def secret_text(device: TOTPDevice) -> str:
    """The base32 secret people type into an authenticator app, in groups of four."""
    raw = base64.b32encode(unhexlify(device.key)).decode().rstrip("=")
    return " ".join(raw[i:i + 4] for i in range(0, len(raw), 4))


def qr_svg(device: TOTPDevice) -> str:
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return image.to_string(encoding="unicode")


def current_code(device: TOTPDevice) -> str:
    """The code an authenticator shows now (the `totp_code` demo command and tests use it)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def verify(device: TOTPDevice, code: str) -> bool:
    code = "".join((code or "").split())
    return bool(code.isdigit()) and device.verify_token(code)


def confirm_enrolment(*, actor, device: TOTPDevice, code: str) -> TOTPDevice:
    if not verify(device, code):
        raise ValidationFailed("That code does not match. Check the app shows EventChain and enter the newest code.",
                               field="code")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit.record(actor or device.user, "eventchain.two_factor_enrolled",
                     f"{device.user.email} set up two-factor sign-in", target=device.user)
    return device


def reset(*, actor, user_id: int) -> None:
    """Remove a person's devices (lost phone): their next sign-in enrols again if their role requires it."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        raise NotFound("No such staff user.")
    with transaction.atomic():
        removed, _ = TOTPDevice.objects.filter(user=user).delete()
        audit.record(actor, "eventchain.two_factor_reset", f"Two-factor sign-in reset for {user.email}",
                     target=user, data={"devices_removed": removed})


def enrol_demo(user) -> bool:
    """Give a demo user the published demo secret; only ever called with DEBUG on."""
    if not settings.DEBUG or confirmed_device(user):
        return False
    TOTPDevice.objects.filter(user=user).delete()
    TOTPDevice.objects.create(user=user, name="Demo authenticator (DEBUG only)", key=DEMO_TOTP_KEY, confirmed=True)
    return True
