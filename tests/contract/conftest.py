from tests.distribution.conftest import smtp  # noqa: F401 — the loopback SMTP server
