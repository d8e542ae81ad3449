"""URL safety: path segments that stay one segment, and base and upload URLs that stay private.

Everything here is a pure check or encoding; the clients call it before any request is built.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Iterable
from typing import Final
from urllib.parse import quote, urlsplit

from jet_orderhive._errors import JetOrderhiveValueError
from jet_orderhive.jet.errors import JetInputError

__all__ = [
    "DEFAULT_BASE_URL",
    "MAX_SEGMENT_CHARS",
    "check_base_url",
    "check_query_value",
    "check_segment",
    "check_upload_url",
    "encode_segment",
    "is_plain_id",
    "is_sendable",
    "jet_path",
    "segment_refusals",
]

DEFAULT_BASE_URL: Final = "https://merchant-api.jet.com/api"
#: The longest id, SKU or query value the client sends. Jet's own ids are 32 characters and Jet
#: never published a SKU limit; 255 leaves room for any real SKU while keeping URLs short.
MAX_SEGMENT_CHARS: Final = 255
# RFC 3986 unreserved characters only: Jet's ids are 32 hex digits, and nothing that could be a
# path, query or fragment delimiter (or need escaping at all) is an id.
_PLAIN_ID: Final = re.compile(rf"[A-Za-z0-9._~-]{{1,{MAX_SEGMENT_CHARS}}}")
_LOOPBACK_NAMES: Final = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
#: No lone surrogate and no control character (Unicode category Cc is exactly U+0000-U+001F and
#: U+007F-U+009F): one regex pass instead of a category lookup per character, which made this
#: check the largest cost of planning a push of many SKUs.
_NOTHING_REFUSED: Final = re.compile("[^\x00-\x1f\x7f-\x9f\ud800-\udfff]*")


def _preview(value: str) -> str:
    """A short, printable, single-line rendering of a refused value for an error message."""
    shown = ascii(value[:24])
    return shown if len(value) <= 24 else f"{shown}... ({len(value)} characters)"


def _refusal(value: object, what: str, *, empty_ok: bool) -> str | None:
    """Why ``value`` cannot be sent as an id, SKU or query value; None when it can."""
    if not isinstance(value, str):
        return f"{what} must be a string, got {type(value).__name__}"
    if not value:
        return None if empty_ok else f"{what} must not be empty"
    if len(value) > MAX_SEGMENT_CHARS:
        return f"{what} is longer than {MAX_SEGMENT_CHARS} characters ({len(value)})"
    if _NOTHING_REFUSED.fullmatch(value) is not None:
        return None
    for index, char in enumerate(value):
        code = ord(char)
        if 0xD800 <= code <= 0xDFFF:
            # Cannot be encoded as UTF-8, so it can form no URL at all.
            return f"{what} holds a lone surrogate U+{code:04X} at index {index}"
        if unicodedata.category(char) == "Cc":
            return f"{what} holds the control character U+{code:04X} at index {index}"
    return None


def check_segment(value: str, what: str = "id or SKU") -> str:
    """``value`` if it can be sent as one path segment; raise :class:`JetInputError` if not.

    Refused: non-strings, the empty string, more than :data:`MAX_SEGMENT_CHARS` characters,
    lone surrogates (no UTF-8 form) and control characters (U+0000-U+001F, U+007F-U+009F).
    """
    reason = _refusal(value, what, empty_ok=False)
    if reason is not None:
        shown = f" ({_preview(value)})" if isinstance(value, str) and value else ""
        raise JetInputError(f"{reason}{shown}; nothing was sent to Jet")
    return value


def segment_refusals(values: Iterable[object], what: str = "id or SKU") -> dict[str, str]:
    """For each of ``values`` that :func:`check_segment` refuses, the error it would raise.

    One pass for many values (a push of thousands of SKUs): a value that is plainly fine costs
    one regular-expression match; only the refused ones are looked at closely.
    """
    refused: dict[str, str] = {}
    fine = _NOTHING_REFUSED.fullmatch
    for value in values:
        if type(value) is str and 0 < len(value) <= MAX_SEGMENT_CHARS and fine(value):
            continue
        try:
            check_segment(value, what)  # type: ignore[arg-type]
        except JetInputError as error:
            refused[value] = str(error)  # type: ignore[index]
    return refused


def check_query_value(value: str, what: str) -> str:
    """Like :func:`check_segment` for a query-string value, where empty is allowed."""
    reason = _refusal(value, what, empty_ok=True)
    if reason is not None:
        shown = f" ({_preview(value)})" if isinstance(value, str) and value else ""
        raise JetInputError(f"{reason}{shown}; nothing was sent to Jet")
    return value


def is_plain_id(value: str) -> bool:
    """Whether ``value`` (from a list Jet returned) is an id the client may use: 1 to
    :data:`MAX_SEGMENT_CHARS` unreserved URL characters, and not ``.`` or ``..``."""
    return _PLAIN_ID.fullmatch(value) is not None and value not in (".", "..")


def is_sendable(value: str) -> bool:
    """Whether :func:`check_segment` accepts ``value`` (a SKU Jet listed, for instance)."""
    return _refusal(value, "value", empty_ok=False) is None


def encode_segment(value: str, what: str = "id or SKU") -> str:
    """Percent-encode one path segment so that it stays exactly one segment on the wire.

    Nothing is left unescaped except RFC 3986 unreserved characters, so ``/``, ``?``, ``#``,
    ``%`` and spaces in a SKU cannot change the path. A segment of only dots (or one that starts
    with ``../`` or ``./``) has its dots escaped too, because URL normalisation would otherwise
    remove it and send the request to another resource.
    """
    check_segment(value, what)
    encoded = quote(value, safe="")
    if set(value) == {"."} or value.startswith(("../", "./")):
        encoded = encoded.replace(".", "%2E")
    return encoded


def jet_path(template: str, *values: str) -> str:
    """Fill each ``{}`` of a path template with an encoded segment: ``jet_path("/x/{}", sku)``.

    Raises :class:`JetInputError` naming the template for a value no request can carry.
    """
    try:
        return template.format(*(encode_segment(value) for value in values))
    except JetInputError as error:
        raise JetInputError(error.message, path=template) from None


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _check_secure(url: str, what: str) -> str:
    """The host of ``url``; refuse anything but https, or http to a loopback host."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        # Not the URL itself: a signed upload URL carries its credential in the query.
        got = f"the scheme {parts.scheme!r}" if parts.scheme else "no scheme"
        raise JetOrderhiveValueError(f"{what} must be an absolute https:// URL, got {got}")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise JetOrderhiveValueError(
            f"refusing plain http:// to {parts.hostname!r} for the {what}: credentials and data "
            "would cross the network unencrypted; use https:// (http:// is allowed only for "
            "loopback hosts such as the sandbox on 127.0.0.1)"
        )
    return parts.hostname


def check_base_url(url: str) -> str:
    """Return ``url`` without a trailing slash; refuse plain HTTP except to this machine."""
    _check_secure(url, "base_url")
    parts = urlsplit(url)
    if parts.username is not None or parts.password is not None:
        # Shown in the client's repr and in logs; Jet signs in with user and secret instead.
        raise JetOrderhiveValueError(
            "base_url must not carry a user name or password; pass user= and secret= instead"
        )
    if parts.query or parts.fragment:
        raise JetOrderhiveValueError(f"base_url must not have a query or fragment, got {url!r}")
    return url.rstrip("/")


#: The longest upload URL taken from Jet; Azure's signed blob URLs are a few hundred characters.
MAX_UPLOAD_URL_CHARS: Final = 4096


def check_upload_url(url: str) -> None:
    """Refuse a bulk-file upload URL that is not https (or loopback http, for the sandbox), is
    longer than :data:`MAX_UPLOAD_URL_CHARS`, or holds anything but visible ASCII; the
    ``ValueError`` never quotes the URL (its query is a credential)."""
    if len(url) > MAX_UPLOAD_URL_CHARS:
        raise JetOrderhiveValueError(
            f"upload URL is {len(url)} characters long, over {MAX_UPLOAD_URL_CHARS}"
        )
    for index, char in enumerate(url):
        if not "\x21" <= char <= "\x7e":
            raise JetOrderhiveValueError(f"upload URL holds U+{ord(char):04X} at index {index}")
    _check_secure(url, "upload URL")
