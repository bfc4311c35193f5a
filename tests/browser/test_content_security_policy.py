"""With the Content-Security-Policy on, Chromium refuses nothing on the console, portal, API docs and admin."""

import re

import pytest
from django.core.management import call_command

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIOLATION = re.compile(r"Content Security Policy|Refused to (execute|load|apply|evaluate|frame|connect)", re.I)


@pytest.fixture
def violations(page):
    """Every CSP refusal Chromium reports, from the console and from `securitypolicyviolation` events."""
    seen: list[str] = []
    page.on("console", lambda message: seen.append(f"console {message.type}: {message.text}")
            if VIOLATION.search(message.text) else None)
    page.on("pageerror", lambda error: seen.append(f"page error: {error}"))
    # Init scripts come from the browser's debugging channel, so the policy does not block this listener.
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => console.error("
        "'Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
    )
    return seen


def visit(page, url: str):
    response = page.goto(url)
    page.wait_for_load_state("networkidle")
    return response


def test_pages_run_without_a_single_policy_violation(page, live_server, sign_in, violations):
    call_command("seed_demo")
    login = visit(page, f"{live_server.url}/login/")
    assert "script-src 'self' 'nonce-" in login.headers["content-security-policy"]

    sign_in()
    for path in ("/console/", "/console/audit/", "/console/outbox/", "/console/tickets/designs/GF2026/",
                 "/console/reporting/events/GF2026/gate/"):
        visit(page, f"{live_server.url}{path}")
    # The ticket design preview arrives by htmx (an image or a sandboxed frame) under the same policy.
    visit(page, f"{live_server.url}/console/tickets/designs/GF2026/")
    page.locator("#preview img, #preview iframe, #preview .notice").first.wait_for()

    visit(page, f"{live_server.url}/api/v1/docs")
    page.locator(".swagger-ui .info .title").wait_for()  # Swagger UI rendered from local assets

    visit(page, f"{live_server.url}/django-admin/")
    visit(page, f"{live_server.url}/portal/sign-in/")
    assert violations == []

    # The watch works: an inline script added to the page is refused and reported.
    page.evaluate("() => { const s = document.createElement('script'); s.textContent = 'window.ran = 1';"
                  " document.body.appendChild(s); }")
    page.wait_for_timeout(200)
    assert page.evaluate("window.ran === undefined")
    assert violations and all("script-src" in v or "inline" in v for v in violations), violations


def test_the_check_in_desk_clears_the_code_after_an_answer_without_inline_script(page, live_server, sign_in,
                                                                                 violations):
    call_command("seed_demo")
    sign_in()
    visit(page, f"{live_server.url}/console/reporting/events/GF2026/desk/")
    field = page.get_by_label("Ticket code")
    field.fill("EC1:NOT-A-REAL-CODE")
    page.get_by_role("button", name="Check").click()
    page.locator("#desk-result .verdict").wait_for()
    # static/js/console.js does what the old hx-on attribute did: empty the field, ready for the next code.
    page.wait_for_function("document.getElementById('desk-code').value === ''")
    assert page.evaluate("document.activeElement.id") == "desk-code"
    assert violations == []
