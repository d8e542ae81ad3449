"""The library's loggers and a filter that keeps credentials out of every log record.

The client never formats a secret or token into a message in the first place; the filter is the
second line of defence for anything (a hook, a host's own ``logger.debug(client_internals)``)
that would. Clients register their secret and current token here while they are open.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import Counter

__all__ = [
    "HTTP_LOGGERS",
    "LIBRARY_LOGGERS",
    "REDACTED",
    "RedactingFilter",
    "forget_secret",
    "guard_http_logs",
    "logger",
    "redact",
    "registered_count",
    "release_http_logs",
    "remember_secret",
    "root_logger",
]

REDACTED = "[REDACTED]"

#: The library's root logger; each of :data:`LIBRARY_LOGGERS` carries the filter as well.
root_logger = logging.getLogger("jet_orderhive")
#: Where the Jet client logs: DEBUG per request, WARNING per retry; never bodies or headers.
logger = logging.getLogger("jet_orderhive.jet")

_BEARER = re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]{8,}")
_PASS_FIELD = re.compile(r"""(?i)(["']?pass["']?\s*[:=]\s*)(["'])(?:\\.|(?!\2).)*\2""")
# The signature of a signed URL (Azure's SAS "sig", as in Jet's bulk-upload URLs, and the
# S3 / GCS equivalents): whoever holds the URL may write the blob until it expires.
_URL_SIGNATURE = re.compile(
    r"(?i)([?&](?:sig|signature|x-amz-signature|x-goog-signature|access_token)=)[^&\s\"'#<>]+"
)

_lock = threading.Lock()
# A count per value, because two clients may share one secret and close at different times.
_secrets: Counter[str] = Counter()


def remember_secret(value: str) -> None:
    """Redact ``value`` from every log record until :func:`forget_secret` is called for it."""
    if not value:
        return
    with _lock:
        _secrets[value] += 1


def forget_secret(value: str) -> None:
    """Undo one :func:`remember_secret` call for ``value``."""
    with _lock:
        if _secrets.get(value, 0) > 1:
            _secrets[value] -= 1
        else:
            _secrets.pop(value, None)


def registered_count() -> int:
    """How many distinct values are redacted now (each open client adds its secret and token)."""
    with _lock:
        return len(_secrets)


def redact(text: str) -> str:
    """``text`` with every registered secret, bearer token, ``"pass"`` value and URL signature
    masked."""
    with _lock:
        known = sorted(_secrets, key=len, reverse=True)
    for value in known:
        if value in text:
            text = text.replace(value, REDACTED)
    text = _BEARER.sub(rf"\1 {REDACTED}", text)
    text = _URL_SIGNATURE.sub(rf"\1{REDACTED}", text)
    return _PASS_FIELD.sub(rf"\1\2{REDACTED}\2", text)


class RedactingFilter(logging.Filter):
    """Rewrites a record's message so that no credential reaches any handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is the handler's problem, not ours to hide
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        if record.exc_info and not record.exc_text:
            # Formatters render the traceback later from exc_info unless exc_text is already
            # set, so render (and redact) it here: an exception message may quote a credential.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


#: Every logger the library emits on. The engine and the storage adapters log under their own
#: names, and their records would reach the host's handlers unfiltered without an instance each.
LIBRARY_LOGGERS = (
    "jet_orderhive",
    "jet_orderhive.jet",
    "jet_orderhive.sync",
    "jet_orderhive.storage",
    "jet_orderhive.mapping",
    "jet_orderhive.testing",
    "jet_orderhive.cli",
)


#: Where httpx and httpcore log about each request: httpx's INFO line holds the full URL (with
#: a bulk-upload URL's signature), httpcore's DEBUG lines hold response headers.
HTTP_LOGGERS = (
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)
_http_filter = RedactingFilter()
_http_guards = 0


def guard_http_logs() -> None:
    """Filter httpx's and httpcore's records too, until :func:`release_http_logs` is called.

    Counted, so the filters stay while any client is open and go with the last one: a host
    that uses httpx for other work keeps its records untouched once no Jet client is open.
    """
    global _http_guards
    with _lock:
        _http_guards += 1
        if _http_guards == 1:
            for name in HTTP_LOGGERS:
                logging.getLogger(name).addFilter(_http_filter)


def release_http_logs() -> None:
    """Undo one :func:`guard_http_logs` call."""
    global _http_guards
    with _lock:
        if _http_guards == 0:
            return
        _http_guards -= 1
        if _http_guards == 0:
            for name in HTTP_LOGGERS:
                logging.getLogger(name).removeFilter(_http_filter)


def _install() -> None:
    # A library leaves output to its host: without a handler of its own, Python's last-resort
    # handler would print every retry warning to stderr of an application that set up nothing.
    if not any(isinstance(h, logging.NullHandler) for h in root_logger.handlers):
        root_logger.addHandler(logging.NullHandler())
    # Logger filters apply only to records created on that very logger, so each library logger
    # that emits records gets its own instance.
    for name in LIBRARY_LOGGERS:
        target = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in target.filters):
            target.addFilter(RedactingFilter())


_install()
