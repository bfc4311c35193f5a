"""EventChain settings, read from the environment.

With nothing set, EventChain runs locally: DEBUG on, embedded SQLite, Celery tasks run in-process.
With DEBUG off it is a production run and refuses to start while a required variable is missing.
"""

import os
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
# pytest imports itself before pytest-django loads these settings, so a test run is recognised without
# relying on an environment variable set early enough.
TESTING = env_bool("EVENTCHAIN_TESTING", "pytest" in sys.modules)

REQUIRED_IN_PRODUCTION = ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "EVENTCHAIN_CRM_WEBHOOK_SECRET")
if not DEBUG:
    missing = [name for name in REQUIRED_IN_PRODUCTION if not os.environ.get(name)]
    if missing:
        raise ImproperlyConfigured(
            "EventChain is running with DEBUG off (production) but these environment variables are "
            f"not set: {', '.join(missing)}. Set them, or set DEBUG=1 for a local run."
        )

SECRET_KEY = os.environ.get("SECRET_KEY") or "insecure-local-development-key-do-not-use-in-production"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if not DEBUG else "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "ninja",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "eventchain",
    "buyers",
    "allocation",
    "finance",
    "tickets",
    "distribution",
    "reporting",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "eventchain.security_headers.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "eventchain.signin.idle.IdleTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "eventchain.api.idempotency.IdempotencyKeyMiddleware",
]

if not DEBUG:
    # Production serves collected static files itself; runserver and tests serve them from the finders.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "eventchain.urls"
WSGI_APPLICATION = "eventchain.wsgi.application"
ASGI_APPLICATION = "eventchain.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "eventchain.console.navigation",
                "eventchain.security_headers.csp_nonce",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    # Hashing cost is not what the suite tests; production keeps Django's default hasher.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

AUTHENTICATION_BACKENDS = ["eventchain.auth.EmailBackend", "eventchain.signin.sso.EventChainOIDCBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-au"
TIME_ZONE = "Australia/Sydney"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Email: SMTP always; tests point it at a loopback server.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "20"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "EventChain <tickets@eventchain.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery: without REDIS_URL every task runs eagerly in-process, so one runserver is a whole system.
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
# One deployment's workers can be kept apart from another's on a shared Redis (the fault tests do this).
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("EVENTCHAIN_CELERY_QUEUE", "celery")
# How often beat hands due outbox rows and stalled jobs to a worker (tests shorten both).
EVENTCHAIN_OUTBOX_DISPATCH_SECONDS = float(os.environ.get("EVENTCHAIN_OUTBOX_DISPATCH_SECONDS", "10"))
EVENTCHAIN_JOB_STALL_SECONDS = float(os.environ.get("EVENTCHAIN_JOB_STALL_SECONDS", "600"))
CELERY_BEAT_SCHEDULE = {
    "outbox-dispatch-due": {"task": "eventchain.tasks.dispatch_outbox",
                            "schedule": EVENTCHAIN_OUTBOX_DISPATCH_SECONDS},
    "jobs-resume-stalled": {"task": "eventchain.tasks.resume_stalled_jobs",
                            "schedule": min(60.0, max(1.0, EVENTCHAIN_JOB_STALL_SECONDS / 4))},
    "finance-poll-ledger-payments": {"task": "finance.tasks.poll_ledger_payments", "schedule": 300.0},
    "finance-process-ledger-webhooks": {"task": "finance.tasks.process_pending_webhooks", "schedule": 60.0},
    "allocation-release-expired-holds": {"task": "allocation.tasks.release_expired_holds", "schedule": 60.0},
    "distribution-name-reminders": {"task": "distribution.tasks.send_name_reminders", "schedule": 3600.0},
    "distribution-event-messages": {"task": "distribution.tasks.send_event_messages", "schedule": 3600.0},
    "reporting-run-retention": {"task": "reporting.tasks.run_retention", "schedule": 86400.0},
    # A backstop: commits queue their own flush; this takes marks left by a broker outage or a killed worker.
    "reporting-refresh-dirty-snapshots": {"task": "reporting.tasks.refresh_dirty_snapshots", "schedule": 60.0},
}

CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# EventChain
EVENTCHAIN_BASE_URL = os.environ.get("EVENTCHAIN_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
EVENTCHAIN_CRM_WEBHOOK_SECRET = os.environ.get("EVENTCHAIN_CRM_WEBHOOK_SECRET", "local-crm-webhook-secret")
# Lane 07: where buyers' event outcomes go back to the CRM (signed like the handoff); empty URL: not sent.
EVENTCHAIN_CRM_CALLBACK_URL = os.environ.get("EVENTCHAIN_CRM_CALLBACK_URL", "")
EVENTCHAIN_CRM_CALLBACK_SECRET = os.environ.get("EVENTCHAIN_CRM_CALLBACK_SECRET", "")
EVENTCHAIN_LEDGER = os.environ.get("EVENTCHAIN_LEDGER", "local")
if EVENTCHAIN_LEDGER not in {"local", "xero", "business_central"}:
    raise ImproperlyConfigured(
        f"EVENTCHAIN_LEDGER is '{EVENTCHAIN_LEDGER}'; use one of: local, xero, business_central."
    )
EVENTCHAIN_CURRENCY = os.environ.get("EVENTCHAIN_CURRENCY", "AUD")
EVENTCHAIN_SUPPLIER_NAME = os.environ.get("EVENTCHAIN_SUPPLIER_NAME", "Riverside Hospitality Pty Ltd")
EVENTCHAIN_SUPPLIER_TAX_NUMBER = os.environ.get("EVENTCHAIN_SUPPLIER_TAX_NUMBER", "53 004 085 616")
EVENTCHAIN_OUTBOX_MAX_ATTEMPTS = int(os.environ.get("EVENTCHAIN_OUTBOX_MAX_ATTEMPTS", "8"))
EVENTCHAIN_OUTBOX_BASE_DELAY = float(os.environ.get("EVENTCHAIN_OUTBOX_BASE_DELAY", "5"))
EVENTCHAIN_OUTBOX_MAX_DELAY = float(os.environ.get("EVENTCHAIN_OUTBOX_MAX_DELAY", "3600"))
EVENTCHAIN_DEMO_PASSWORD = os.environ.get("EVENTCHAIN_DEMO_PASSWORD", "eventchain-demo")
# Data retention defaults per event, counted from the event's end (docs/privacy.md); events may override.
EVENTCHAIN_RETENTION_GUEST_CONTACT_DAYS = int(os.environ.get("EVENTCHAIN_RETENTION_GUEST_CONTACT_DAYS", "90"))
EVENTCHAIN_RETENTION_SCANS_DAYS = int(os.environ.get("EVENTCHAIN_RETENTION_SCANS_DAYS", "365"))
# Australian law asks for 5 years of tax records; 7 also covers amended assessments and the ATO's look-back.
EVENTCHAIN_RETENTION_FINANCIAL_YEARS = int(os.environ.get("EVENTCHAIN_RETENTION_FINANCIAL_YEARS", "7"))


# Fraud rules (eventchain.velocity): N actions on one subject within a window of seconds flag it and hold it
# for review. Each can be set in the environment as "N/seconds", e.g. EVENTCHAIN_VELOCITY_TICKET_REISSUES=3/86400;
# "0" turns a rule off.
def _velocity_rule(name: str, threshold: int, window: int) -> dict:
    raw = os.environ.get(f"EVENTCHAIN_VELOCITY_{name.upper()}", "").strip()
    if raw:
        count, _, seconds = raw.partition("/")
        threshold, window = int(count), int(seconds or window)
    return {"threshold": threshold, "window": window}


EVENTCHAIN_VELOCITY_RULES = {
    "ticket_reissues": _velocity_rule("ticket_reissues", 3, 24 * 3600),
    "buyer_transfers": _velocity_rule("buyer_transfers", 5, 3600),
    "session_downloads": _velocity_rule("session_downloads", 50, 10 * 60),
    "device_failed_scans": _velocity_rule("device_failed_scans", 10, 5 * 60),
}
# Requests per minute one staff API token may make (gate scanner tokens are not limited); 0 turns it off.
EVENTCHAIN_API_TOKEN_RATE_LIMIT = int(os.environ.get("EVENTCHAIN_API_TOKEN_RATE_LIMIT", "1200"))
# Buyer portal writes (guest saves, uploads, reissue, revoke, transfer, send) per signed-in session per minute.
EVENTCHAIN_PORTAL_ACTIONS_PER_MINUTE = int(os.environ.get("EVENTCHAIN_PORTAL_ACTIONS_PER_MINUTE", "30"))

# Lane 04 finance: invoice numbering, payment terms and the external ledgers (base URLs let tests use fakes).
EVENTCHAIN_INVOICE_PREFIX = os.environ.get("EVENTCHAIN_INVOICE_PREFIX", "INV")
EVENTCHAIN_CREDIT_NOTE_PREFIX = os.environ.get("EVENTCHAIN_CREDIT_NOTE_PREFIX", "CN")
EVENTCHAIN_PAYMENT_TERMS_DAYS = int(os.environ.get("EVENTCHAIN_PAYMENT_TERMS_DAYS", "14"))
EVENTCHAIN_LEDGER_TIMEOUT = float(os.environ.get("EVENTCHAIN_LEDGER_TIMEOUT", "20"))
XERO_API_BASE_URL = os.environ.get("XERO_API_BASE_URL", "https://api.xero.com").rstrip("/")
XERO_IDENTITY_URL = os.environ.get("XERO_IDENTITY_URL", "https://identity.xero.com").rstrip("/")
XERO_LOGIN_URL = os.environ.get("XERO_LOGIN_URL", "https://login.xero.com").rstrip("/")
XERO_CLIENT_ID = os.environ.get("XERO_CLIENT_ID", "")
XERO_CLIENT_SECRET = os.environ.get("XERO_CLIENT_SECRET", "")
XERO_WEBHOOK_KEY = os.environ.get("XERO_WEBHOOK_KEY", "")
BC_API_BASE_URL = os.environ.get("BC_API_BASE_URL", "https://api.businesscentral.dynamics.com/v2.0").rstrip("/")
BC_AUTHORITY = os.environ.get("BC_AUTHORITY", "https://login.microsoftonline.com").rstrip("/")
BC_TENANT_ID = os.environ.get("BC_TENANT_ID", "")
BC_ENVIRONMENT = os.environ.get("BC_ENVIRONMENT", "production")
BC_CLIENT_ID = os.environ.get("BC_CLIENT_ID", "")
BC_CLIENT_SECRET = os.environ.get("BC_CLIENT_SECRET", "")
BC_COMPANY_ID = os.environ.get("BC_COMPANY_ID", "")
# A CA bundle path for a private certificate authority (tests use one for the fake); empty means the system store.
BC_CA_BUNDLE = os.environ.get("BC_CA_BUNDLE", "")

# Lane 05 tickets: wallet credentials (paths to PEM files; empty means that wallet is not offered),
# APNs for pass updates, and how many processes render tickets during issuance.
APPLE_PASS_CERT = os.environ.get("APPLE_PASS_CERT", "")
APPLE_PASS_KEY = os.environ.get("APPLE_PASS_KEY", "")
APPLE_PASS_KEY_PASSWORD = os.environ.get("APPLE_PASS_KEY_PASSWORD", "")
APPLE_WWDR_CERT = os.environ.get("APPLE_WWDR_CERT", "")
APPLE_PASS_TYPE_ID = os.environ.get("APPLE_PASS_TYPE_ID", "")
APPLE_TEAM_ID = os.environ.get("APPLE_TEAM_ID", "")
APNS_HOST = os.environ.get("APNS_HOST", "https://api.push.apple.com").rstrip("/")
APNS_CA_BUNDLE = os.environ.get("APNS_CA_BUNDLE", "")  # empty: the system's trusted roots
GOOGLE_WALLET_API_BASE = os.environ.get(
    "GOOGLE_WALLET_API_BASE", "https://walletobjects.googleapis.com/walletobjects/v1"
).rstrip("/")
GOOGLE_WALLET_ISSUER_ID = os.environ.get("GOOGLE_WALLET_ISSUER_ID", "")
GOOGLE_WALLET_SERVICE_ACCOUNT_FILE = os.environ.get("GOOGLE_WALLET_SERVICE_ACCOUNT_FILE", "")
TICKETS_RENDER_WORKERS = int(os.environ.get("TICKETS_RENDER_WORKERS", "0"))  # 0: one per CPU core

NINJA_PAGINATION_PER_PAGE = 50

# Security: production (DEBUG off) passes `manage.py check --deploy` cleanly.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(12 * 3600)))
if REDIS_URL:
    # Every page reads the session: with Redis it comes from the cache, written through to the database.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Lax, not Strict: sign-in links from email and identity-provider redirects are cross-site GETs.
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# htmx sends the token from the page (hx-headers), so no script needs to read the cookie.
CSRF_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# Staff sign-in (issue 9): single sign-on through OpenID Connect (Microsoft Entra ID or any OIDC provider),
# two-factor codes for local passwords, lockout, re-authentication for sensitive actions and idle expiry.
OIDC_RP_CLIENT_ID = os.environ.get("OIDC_RP_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("OIDC_RP_CLIENT_SECRET", "")
OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("OIDC_OP_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = os.environ.get("OIDC_OP_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = os.environ.get("OIDC_OP_USER_ENDPOINT", "")  # empty: claims come from the ID token alone
OIDC_OP_JWKS_ENDPOINT = os.environ.get("OIDC_OP_JWKS_ENDPOINT", "")
OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_RP_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = os.environ.get("OIDC_RP_SCOPES", "openid email profile")
OIDC_TIMEOUT = float(os.environ.get("OIDC_TIMEOUT", "15"))
OIDC_CREATE_USER = True
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc_authentication_callback"
LOGIN_REDIRECT_URL_FAILURE = "/login/"
# The ID token's `iss` must equal this (Entra: https://login.microsoftonline.com/<tenant-id>/v2.0).
EVENTCHAIN_OIDC_ISSUER = os.environ.get("EVENTCHAIN_OIDC_ISSUER", "").rstrip("/")
# "<provider group id or name>=<role>,..." e.g. "3f2c...=finance,ops-admins=admin"; unmapped users are refused.
EVENTCHAIN_OIDC_GROUP_ROLES = os.environ.get("EVENTCHAIN_OIDC_GROUP_ROLES", "")
EVENTCHAIN_OIDC_GROUPS_CLAIMS = env_list("EVENTCHAIN_OIDC_GROUPS_CLAIMS", "groups,roles")
EVENTCHAIN_OIDC_LABEL = os.environ.get("EVENTCHAIN_OIDC_LABEL", "Sign in with Microsoft")
EVENTCHAIN_2FA_REQUIRED_ROLES = env_list("EVENTCHAIN_2FA_REQUIRED_ROLES", "admin,finance")
EVENTCHAIN_2FA_ISSUER = os.environ.get("EVENTCHAIN_2FA_ISSUER", "EventChain")
EVENTCHAIN_REAUTH_MAX_AGE = int(os.environ.get("EVENTCHAIN_REAUTH_MAX_AGE", "600"))
EVENTCHAIN_SESSION_IDLE_TIMEOUT = int(os.environ.get("EVENTCHAIN_SESSION_IDLE_TIMEOUT", str(30 * 60)))
EVENTCHAIN_LOCKOUT_FAILURES = int(os.environ.get("EVENTCHAIN_LOCKOUT_FAILURES", "5"))
EVENTCHAIN_LOCKOUT_IP_FAILURES = int(os.environ.get("EVENTCHAIN_LOCKOUT_IP_FAILURES", "20"))
EVENTCHAIN_LOCKOUT_WINDOW = int(os.environ.get("EVENTCHAIN_LOCKOUT_WINDOW", str(15 * 60)))
EVENTCHAIN_LOCKOUT_DURATION = int(os.environ.get("EVENTCHAIN_LOCKOUT_DURATION", str(15 * 60)))
OTP_TOTP_ISSUER = EVENTCHAIN_2FA_ISSUER

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Redacts emails, ticket codes, tokens and phone numbers from every record (eventchain/logredact.py).
    "filters": {"redact": {"()": "eventchain.logredact.RedactingFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "weasyprint.progress": {"level": "WARNING"},
                # runserver's request lines carry URLs (portal and claim tokens): through the redacting handler.
                "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
                "fontTools": {"level": "WARNING"}, "fontTools.subset": {"level": "ERROR"}},
}
