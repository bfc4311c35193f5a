"""Content-Security-Policy, Permissions-Policy, HSTS and cookie flags (issue 9 part 5)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings

ROOT = Path(__file__).resolve().parents[2]
LANES = ("eventchain", "buyers", "allocation", "finance", "tickets", "distribution", "reporting")


def directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def assert_strict_page_policy(response):
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    scripts = policy["script-src"]
    assert "'self'" in scripts
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts
    assert [s for s in scripts if s.startswith("'nonce-")], scripts
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"][0] == "'self'"
    assert policy["img-src"] == ["'self'", "data:"]
    assert "camera=()" in response["Permissions-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    return policy


@pytest.mark.django_db
def test_console_page_carries_a_strict_policy_with_a_fresh_nonce_each_time(staff_client):
    client = staff_client("admin")
    first = client.get("/console/")
    second = client.get("/console/")
    assert first.status_code == 200
    nonce_one = [s for s in assert_strict_page_policy(first)["script-src"] if s.startswith("'nonce-")][0]
    nonce_two = [s for s in assert_strict_page_policy(second)["script-src"] if s.startswith("'nonce-")][0]
    assert nonce_one != nonce_two
    assert len(nonce_one) > len("'nonce-'") + 20


@pytest.mark.django_db
def test_portal_sign_in_and_api_docs_carry_the_policy(client):
    portal = client.get("/portal/sign-in/")
    assert portal.status_code == 200
    assert_strict_page_policy(portal)
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assert_strict_page_policy(docs)
    # Swagger UI's assets are served from our own static files, never a CDN (the policy would refuse one).
    assert b"cdn" not in docs.content.lower()
    assert b"/static/ninja/swagger-ui-bundle.js" in docs.content


@pytest.mark.django_db
def test_error_pages_carry_the_policy(staff_client):
    missing = Client().get("/console/no-such-page/")
    assert missing.status_code == 404
    assert_strict_page_policy(missing)
    refused = staff_client(None).get("/console/audit/")
    assert refused.status_code == 403
    assert_strict_page_policy(refused)


@pytest.mark.django_db
@pytest.mark.urls("tests.eventchain.urls_security")
def test_server_error_page_carries_the_policy():
    response = Client(raise_request_exception=False).get("/test-only/broken/")
    assert response.status_code == 500
    assert_strict_page_policy(response)


@pytest.mark.django_db
@pytest.mark.urls("tests.eventchain.urls_security")
def test_templates_get_the_same_nonce_the_header_allows():
    response = Client().get("/test-only/nonce/")
    nonce = re.search(rb'nonce="([^"]+)"', response.content).group(1).decode()
    assert nonce
    assert f"'nonce-{nonce}'" in directives(response)["script-src"]


@pytest.mark.django_db
@pytest.mark.urls("tests.eventchain.urls_security")
def test_svg_opened_on_its_own_cannot_run_script():
    response = Client().get("/test-only/logo.svg")
    policy = directives(response)
    assert policy["default-src"] == ["'none'"]
    assert "sandbox" in policy


@pytest.mark.django_db
def test_json_answers_are_not_given_a_page_policy(api):
    response = api("admin").get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert "Content-Security-Policy" not in response


@override_settings(OIDC_OP_AUTHORIZATION_ENDPOINT="https://login.microsoftonline.com/tenant/oauth2/v2.0/authorize")
def test_form_action_allows_the_identity_provider_a_sign_in_form_is_redirected_to():
    from eventchain.security_headers import form_action_sources

    assert form_action_sources() == ["'self'", "https://login.microsoftonline.com"]


# --- templates: no inline script without a nonce, no inline handlers, nothing htmx would have to eval

INLINE_HANDLER = re.compile(r"""\s(on[a-z]+)\s*=""", re.IGNORECASE)
TAG = re.compile(r"<[a-zA-Z][^<>]*>", re.DOTALL)


def browser_templates() -> list[Path]:
    roots = [ROOT / "templates", *[ROOT / lane / "templates" for lane in LANES]]
    found = []
    for root in roots:
        for path in root.rglob("*.html"):
            relative = path.relative_to(root).as_posix()
            # Emails are read in mail clients, where the page policy does not apply.
            if "/email/" in f"/{relative}":
                continue
            found.append(path)
    return found


def template_problems(text: str) -> list[str]:
    problems = []
    for tag in TAG.findall(text):
        name = tag[1:].split(None, 1)[0].rstrip(">").lower()
        if name == "script":
            is_data = re.search(r'type\s*=\s*"application/(ld\+)?json"', tag)
            if "src=" not in tag and 'nonce="{{ csp_nonce }}"' not in tag and not is_data:
                problems.append(f"inline <script> without nonce: {tag[:80]}")
        handler = INLINE_HANDLER.search(tag)
        if handler:
            problems.append(f"inline handler {handler.group(1)}=: {tag[:80]}")
        if re.search(r"\shx-on[:-]", tag):
            problems.append(f"hx-on (evaluated code): {tag[:80]}")
        if re.search(r"javascript:", tag, re.IGNORECASE):
            problems.append(f"javascript: URL: {tag[:80]}")
        if re.search(r"""\shx-(vals|vars)\s*=\s*['"]\s*(js:|javascript:)""", tag) or " hx-vars=" in tag:
            problems.append(f"hx-vals js:/hx-vars (evaluated code): {tag[:80]}")
        trigger = re.search(r"""\shx-trigger\s*=\s*(['"])(.*?)\1""", tag, re.DOTALL)
        if trigger and "[" in trigger.group(2):
            problems.append(f"hx-trigger filter (evaluated code): {tag[:80]}")
    return problems


def test_the_scan_recognises_what_the_policy_refuses():
    assert template_problems('<script>alert(1)</script>')
    assert template_problems('<button onclick="go()">')
    assert template_problems('<form hx-on::after-request="x()">')
    assert template_problems('<a href="javascript:void(0)">')
    assert template_problems("""<div hx-trigger="keyup[key=='Enter']">""")
    assert template_problems("""<div hx-vals='js:{a: 1}'>""")
    assert not template_problems('<script src="/static/js/console.js" defer></script>')
    assert not template_problems('<script nonce="{{ csp_nonce }}">x()</script>')
    assert not template_problems('<input data-select-on-focus data-online="1" hx-trigger="change delay:1s">')


def test_no_template_has_script_the_policy_would_refuse():
    templates = browser_templates()
    assert len(templates) > 50
    problems = [f"{path.relative_to(ROOT)}: {problem}" for path in templates for problem in template_problems(path.read_text())]
    assert problems == []


def test_console_and_portal_turn_off_htmx_eval_and_load_behaviours_from_a_file():
    for name in ("base.html", "portal/base.html"):
        text = (ROOT / "templates" / name).read_text()
        assert '"allowEval":false' in text
        assert "js/console.js" in text
    assert (ROOT / "static" / "js" / "console.js").exists()


# --- HSTS, secure cookies, production settings


@pytest.mark.django_db
@override_settings(SECURE_HSTS_SECONDS=31536000, SECURE_HSTS_INCLUDE_SUBDOMAINS=True, SECURE_HSTS_PRELOAD=True,
                   SESSION_COOKIE_SECURE=True, CSRF_COOKIE_SECURE=True)
def test_https_answers_carry_hsts_and_cookies_are_secure_httponly_lax(make_staff):
    from tests.conftest import PASSWORD

    user = make_staff("admin")
    client = Client()
    login_page = client.get("/login/", secure=True)
    assert login_page["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    csrf = login_page.cookies["csrftoken"]
    assert csrf["secure"] and csrf["httponly"] and csrf["samesite"] == "Lax"
    signed_in = client.post("/login/", {"username": user.email, "password": PASSWORD}, secure=True)
    assert signed_in.status_code == 302
    session = signed_in.cookies["sessionid"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"


def _production(code: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "EVENTCHAIN_TESTING"}}
    environment.update(
        DEBUG="0", SECRET_KEY="q8#Lm2!Zt7vKp4@Wb9^Yn3&Hc6*Jd1(Fs5)Ge-Ua_Ki+Oo=Ee", ALLOWED_HOSTS="tickets.example.com",
        DATABASE_URL=os.environ.get("DATABASE_URL", "sqlite:////tmp/eventchain-check.sqlite3"),
        EVENTCHAIN_CRM_WEBHOOK_SECRET="crm-secret", DJANGO_SETTINGS_MODULE="eventchain.settings",
    )
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True,
                          timeout=120)


def test_production_settings_turn_on_hsts_https_and_secure_cookies():
    result = _production(
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SESSION_COOKIE_SECURE,"
        " s.CSRF_COOKIE_SECURE, s.CSRF_COOKIE_HTTPONLY, s.SESSION_COOKIE_SAMESITE, s.X_FRAME_OPTIONS,"
        " 'eventchain.security_headers.SecurityHeadersMiddleware' in s.MIDDLEWARE)"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "31536000", "True", "True", "True", "True", "Lax", "DENY", "True"]
