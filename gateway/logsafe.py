"""Keep secrets and personal numbers out of the log, aiohttp's own messages included.

aiohttp logs a request it cannot parse with the offending header line (`Authorization: Bearer …`,
a query with an ID number) in the exception text. The filter below replaces such a record with
the status and the kind of error, and scrubs every other record of tokens, ID and phone numbers
and resident links before any handler writes it.
"""

from __future__ import annotations

import logging
import re
import traceback

from aiohttp.http_exceptions import HttpProcessingError

LOGGERS = ("aiohttp.server", "aiohttp.access", "aiohttp.web", "aiohttp.internal", "aiohttp.client",
           "qrgate", "qrgate.gateway", "web.sessions")
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(?i)(bearer|basic)\s+[^\s'\"\\,;]+"), r"\1 ***"),
    (re.compile(r"\bqg[a-z]_[A-Za-z0-9_\-]+"), "qg*_***"),  # our token and device credential prefixes
    (re.compile(r"(?i)(cookie:\s*|qg_session=|qg_login_csrf=|csrf_token=|password=)[^\s'\"\\;&]+"), r"\1***"),
    (re.compile(r"/p/[A-Za-z0-9_\-]+"), "/p/***"),  # a resident link opens a person's pass
    (re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])|(?<![0-9A-Za-z])\d{15}(?![0-9A-Za-z])"),
     "[id number]"),
    (re.compile(r"(?<!\d)(?:\+?86[\s-]?)?1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}(?!\d)"), "[phone]"),
]


def scrub(text: str) -> str:
    """The text with every credential, ID or phone number and resident-link token masked."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


SCRUBBED = "qrgate_scrubbed"  # set on a record once the filter has rewritten it


class RedactingFilter(logging.Filter):
    """Rewrites records in place; never drops one (a refused request should still be seen)."""

    def filter(self, record: logging.LogRecord) -> bool:
        # the filter sits on the logger and on the root handlers: a record passes both, and is
        # scrubbed once (the patterns cost ~10 us a line, and every request logs one)
        if getattr(record, SCRUBBED, False):
            return True
        setattr(record, SCRUBBED, True)
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, HttpProcessingError):
            # the message quotes the raw bytes of the bad line: keep only what kind of error it was
            record.msg = "unparsable HTTP request: %s %s (its bytes are not logged)"
            record.args = (exc.code, type(exc).__name__)
            record.exc_info, record.exc_text, record.stack_info = None, None, None
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: log it as it is rather than lose the record
            message = str(record.msg)
        record.msg, record.args = scrub(message), None
        if record.exc_info:
            record.exc_text = scrub("".join(traceback.format_exception(*record.exc_info)).rstrip())
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True


FILTER = RedactingFilter()


def install() -> None:
    """Attach the filter to our and aiohttp's loggers and to every root handler (idempotent)."""
    for name in LOGGERS:
        logging.getLogger(name).addFilter(FILTER)
    for handler in logging.getLogger().handlers:
        handler.addFilter(FILTER)
