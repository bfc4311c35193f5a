"""Browser tests: Playwright driving the system Chromium against Django's live server."""

import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(os.environ.get("EVENTCHAIN_SCREENSHOTS", Path(__file__).resolve().parents[2] / "artifacts" / "screens"))

# Playwright's sync API runs an event loop in this thread; the ORM calls tests make around it are safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Browser tests need Debian's chromium at {CHROMIUM}: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot(page):
    """screenshot("name") saves a full-page PNG under artifacts/screens for people to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        path = SHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def _two_factor_device(email: str):
    """The user's confirmed authenticator, made if their role requires one; None when no code is asked."""
    from django.contrib.auth import get_user_model
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from eventchain.signin import two_factor

    user = get_user_model().objects.filter(email__iexact=email).first()
    if user is None:
        return None
    device = two_factor.confirmed_device(user)
    if device is None and two_factor.required_for(user):
        device = TOTPDevice.objects.create(user=user, name="Browser test", confirmed=True)
    if device is not None:
        # A code is accepted once per 30 s step; tests sign the same person in more often than that.
        TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1, throttling_failure_count=0)
        device.refresh_from_db()
    return device


@pytest.fixture
def sign_in(page, live_server):
    """sign_in(email, password): the password step, then the two-factor code step when the user has one."""

    def go(email: str = "admin@example.com", password: str = "eventchain-demo"):
        from eventchain.signin import two_factor

        device = _two_factor_device(email)
        page.goto(f"{live_server.url}/login/")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        if device is not None:
            page.wait_for_url(f"{live_server.url}/login/verify/")
            page.get_by_label("Authentication code").fill(two_factor.current_code(device))
            page.get_by_role("button", name="Verify").click()
        page.wait_for_url(f"{live_server.url}/console/")

    return go


AXE = Path(__file__).resolve().parents[2] / "static" / "vendor" / "axe-core" / "axe-4.14.1.min.js"
SERIOUS = {"serious", "critical"}


@pytest.fixture(scope="session")
def axe():
    """axe(page) → the serious and critical accessibility violations axe-core finds on the page as loaded.

    axe is injected as an inline script, which a strict Content-Security-Policy refuses: give it a page
    from a context made with bypass_csp=True."""

    def run(page) -> list[dict]:
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.add_script_tag(path=str(AXE))
        results = page.evaluate("""() => axe.run(document, {
            runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
            resultTypes: ["violations"],
        })""")
        return [
            {"id": v["id"], "impact": v["impact"], "help": v["help"],
             "targets": [" ".join(map(str, node["target"])) for node in v["nodes"]][:5]}
            for v in results["violations"] if v["impact"] in SERIOUS
        ]

    return run
