"""Helpers for sign-in tests: a password step, and the code an authenticator app would show."""

from django_otp.plugins.otp_totp.models import TOTPDevice

from eventchain.signin import two_factor
from tests.conftest import PASSWORD


def password_step(client, email: str, password: str = PASSWORD, **extra):
    return client.post("/login/", {"username": email, "password": password, **extra})


def enrolled(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Test app", confirmed=True)


def code_for(device: TOTPDevice) -> str:
    device.refresh_from_db()
    return two_factor.current_code(device)


def wrong_code(device: TOTPDevice) -> str:
    return f"{(int(code_for(device)) + 500000) % 1000000:06d}"
