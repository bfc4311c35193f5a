"""Logs never carry personal data or credentials: a filter on every handler rewrites each record.

It removes email addresses, EC1 ticket codes (tickets/codes.py), bearer and API/gate tokens
(eventchain/tokens.py, reporting/gate/devices.py), tokens in portal, claim, tracking and wallet URLs
(distribution/links.py, portal/urls.py), Apple pass auth tokens and phone numbers. Installed from
settings.LOGGING on the console handler; code should still log ids, not people.
"""

import logging
import re

EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
TICKET_CODE = re.compile(r"EC1:[A-Z2-7]{16,}")
BEARER = re.compile(r"(?i)\b(bearer|applepass|token)(\s+|=|:\s*)[\w.~+/=:-]{8,}")
API_TOKEN = re.compile(r"\b(ec_|ecg_)[\w-]{16,}")
# /portal/sign-in/<token>/, /portal/claim/<token>/, /portal/o/<token>.gif, /portal/f/<token>/ and similar.
URL_TOKEN = re.compile(r"(/(?:sign-in|claim|o|f|reauth|magic|link)/)([\w.:~-]{16,})")
QUERY_TOKEN = re.compile(r"(?i)([?&](?:token|code|key|sig|signature|state)=)[^&\s\"']+")
PHONE = re.compile(r"(?<![\w/.:-])(?:\+\d{1,3}[ -]?(?:\(?\d\)?[ -]?){7,12}\d|0[2-478](?:[ -]?\d){8})(?![\w/.:-])")

RULES: list[tuple[re.Pattern, str]] = [
    (TICKET_CODE, "EC1:[code]"),
    (BEARER, r"\1\2[token]"),
    (API_TOKEN, r"\1[token]"),
    (URL_TOKEN, r"\1[token]"),
    (QUERY_TOKEN, r"\1[token]"),
    (EMAIL, "[email]"),
    (PHONE, "[phone]"),
]


def redact(text: str) -> str:
    for pattern, replacement in RULES:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites the formatted message (and any traceback text) of every record; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_eventchain_redacted", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep the template, drop the arguments
            message = str(record.msg)
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        record._eventchain_redacted = True
        return True
