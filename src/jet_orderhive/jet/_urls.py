"""URL safety: path segments that stay one segment, and base and upload URLs that stay private.

Everything here is a pure check or encoding; the clients call it before any request is built.
"""

from __future__ import annotations

import ipaddress
from typing import Final
from urllib.parse import quote, urlsplit

__all__ = [
    "DEFAULT_BASE_URL",
    "check_base_url",
    "check_upload_url",
    "encode_segment",
    "jet_path",
]

DEFAULT_BASE_URL: Final = "https://merchant-api.jet.com/api"
_LOOPBACK_NAMES: Final = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def encode_segment(value: str) -> str:
    """Percent-encode one path segment so that it stays exactly one segment on the wire.

    Nothing is left unescaped except RFC 3986 unreserved characters, so ``/``, ``?``, ``#``,
    ``%`` and spaces in a SKU cannot change the path. A segment of only dots (or one that starts
    with ``../`` or ``./``) has its dots escaped too, because URL normalisation would otherwise
    remove it and send the request to another resource.
    """
    if not value:
        raise ValueError("an id or SKU in a Jet path must not be empty")
    encoded = quote(value, safe="")
    if set(value) == {"."} or value.startswith(("../", "./")):
        encoded = encoded.replace(".", "%2E")
    return encoded


def jet_path(template: str, *values: str) -> str:
    """Fill each ``{}`` of a path template with an encoded segment: ``jet_path("/x/{}", sku)``."""
    return template.format(*(encode_segment(value) for value in values))


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
        raise ValueError(f"{what} must be an absolute https:// URL, got {parts.scheme or url!r}")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ValueError(
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
        raise ValueError(
            "base_url must not carry a user name or password; pass user= and secret= instead"
        )
    if parts.query or parts.fragment:
        raise ValueError(f"base_url must not have a query or fragment, got {url!r}")
    return url.rstrip("/")


def check_upload_url(url: str) -> None:
    """Refuse a bulk-file upload URL that is not https (or loopback http, for the sandbox)."""
    _check_secure(url, "upload URL")
