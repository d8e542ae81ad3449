"""HTTP/1.1 on the wire, sans-I/O: one request's bytes out, one answer's events in.

The clients' own connection pools (:mod:`jet_orderhive.jet._wire`) write requests and read
answers with this module; the sockets, timeouts and pools are theirs. It speaks only what the
clients need: requests whose whole body is known, answers framed by ``Content-Length``, by
``chunked`` transfer coding or by the end of the connection, informational ``1xx`` answers
skipped. Everything an answer could use to make the reader hang, grow without bound or read
one answer as another is refused as a :class:`ProtocolError`: an oversized head or chunk-size
line, too many header lines, folded or malformed header lines, a ``Content-Length`` that is not
one decimal number, a transfer coding other than ``chunked``, a body cut short.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Final
from urllib.parse import quote, urlsplit

import attrs

__all__ = [
    "MAX_HEAD_BYTES",
    "MAX_HEADER_LINES",
    "Head",
    "Origin",
    "ProtocolError",
    "ResponseParser",
    "encode_request",
]

#: The largest answer head (status line and header lines) read; Jet's are well under 2 KiB.
MAX_HEAD_BYTES: Final = 64 * 1024
#: The most header lines one answer (or its trailer) may have.
MAX_HEADER_LINES: Final = 100
#: The longest chunk-size line (size and extensions).
_MAX_CHUNK_LINE: Final = 1024
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}
_TOKEN: Final = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_STATUS_LINE: Final = re.compile(rb"HTTP/1\.([01]) ([0-9]{3})(?: ([^\x00-\x08\x0a-\x1f\x7f]*))?")
_FIELD_VALUE: Final = re.compile(rb"[^\x00-\x08\x0a-\x1f\x7f]*")
_CHUNK_SIZE: Final = re.compile(rb"([0-9A-Fa-f]{1,16})[ \t]*(?:;[^\r\n]*)?")
# What may stay as it is in a request target: RFC 3986's unreserved and reserved characters and
# the percent sign of an existing escape. Anything else (a space, a non-ASCII letter) is escaped.
_TARGET_SAFE: Final = "!#$%&'()*+,/:;=?@[]~"
_HEADER_TEXT: Final = re.compile(r"[\x20-\x7e\x80-\xff\t]*")
#: A path or query that needs no escaping: RFC 3986's characters for them, and whole escapes.
_CLEAN_TARGET: Final = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*")


class ProtocolError(Exception):
    """The peer broke HTTP/1.1, or a request cannot be written; ``str()`` says how."""


@attrs.frozen
class Origin:
    """Where a connection goes: scheme, host (as in the URL, brackets off) and port."""

    scheme: str
    host: str
    port: int


@attrs.frozen
class Head:
    """An answer's status line and headers; ``headers`` has lower-case names, repeats joined."""

    status: int
    reason: str
    headers: dict[str, str]
    http10: bool


def encode_request(
    method: str, url: str, headers: Iterable[tuple[str, str]], content: bytes | None
) -> tuple[Origin, bytes]:
    """The origin to connect to and the complete bytes of the request, head and body.

    ``Host`` and ``Content-Length`` are written here (a body, or an empty one for a method that
    normally carries one); a header line that would break the framing (CR, LF, NUL) is refused.
    """
    if not _TOKEN.fullmatch(method.encode("ascii", "replace")):
        raise ProtocolError(f"the method {method!r} is not an HTTP token")
    origin, authority = _origin(_url_start(url))
    parts = urlsplit(url)
    path, query = parts.path or "/", parts.query
    # Ids and SKUs are already escaped by the client; only a stray character needs quoting.
    target = path if _CLEAN_TARGET.fullmatch(path) else quote(path, safe=_TARGET_SAFE)
    if query:
        target += "?" + (
            query if _CLEAN_TARGET.fullmatch(query) else quote(query, safe=_TARGET_SAFE)
        )
    lines = [f"{method} {target} HTTP/1.1", f"Host: {authority}"]
    for name, value in headers:
        if not _TOKEN.fullmatch(name.encode("ascii", "replace")):
            raise ProtocolError(f"the header name {name!r} is not an HTTP token")
        if not _HEADER_TEXT.fullmatch(value):
            raise ProtocolError(f"the value of the {name} header holds a control character")
        lines.append(f"{name}: {value}")
    body = content or b""
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    lines.append("\r\n")
    try:
        head = "\r\n".join(lines).encode("latin-1")
    except UnicodeEncodeError:
        raise ProtocolError("a header value holds a character outside Latin-1") from None
    return origin, head + body


def _url_start(url: str) -> str:
    """``scheme://authority`` of ``url``: what its origin depends on."""
    begin = url.find("//")
    if begin < 0:
        return url
    end = len(url)
    for mark in "/?#":
        at = url.find(mark, begin + 2)
        if 0 <= at < end:
            end = at
    return url[:end]


@functools.lru_cache(maxsize=64)
def _origin(url_start: str) -> tuple[Origin, str]:
    """The origin and ``Host`` value of a URL (cached: a client talks to a handful of hosts)."""
    parts = urlsplit(url_start)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise ProtocolError(f"cannot send to a {scheme or 'relative'} URL")
    try:
        port = parts.port or _DEFAULT_PORTS[scheme]
    except ValueError:
        raise ProtocolError("the URL's port is not a number from 0 to 65535") from None
    host = parts.hostname
    authority = f"[{host}]" if ":" in host else host
    if port != _DEFAULT_PORTS[scheme]:
        authority += f":{port}"
    return Origin(scheme, host.lower(), port), authority


#: What :meth:`ResponseParser.read_body` returns while it needs more bytes.
NEED_DATA: Final = None
_LENGTH, _CHUNKED, _UNTIL_CLOSE, _NONE = range(4)


class ResponseParser:
    """Reads one answer to a request made with ``method`` from the bytes :meth:`feed` gives it.

    :meth:`read_head` and then :meth:`read_body` return ``None`` while they need more bytes;
    ``feed(b"")`` says the connection ended. After the body, :attr:`reusable` says whether the
    connection may carry another request.
    """

    __slots__ = (
        "_buffer",
        "_chunk_left",
        "_eof",
        "_framing",
        "_left",
        "_method",
        "_state",
        "_trailers",
        "done",
        "head",
        "reusable",
    )

    def __init__(self, method: str) -> None:
        self._method = method
        self._buffer = bytearray()
        self._eof = False
        self._framing = _NONE
        self._left = 0
        self._chunk_left = 0
        self._state = "size"  # within a chunked body: size line, data, its CRLF, trailer
        self._trailers = 0
        self.head: Head | None = None
        self.done = False
        self.reusable = False

    def feed(self, data: bytes) -> None:
        """Add the bytes just read; ``b""`` means the peer closed the connection."""
        if data:
            self._buffer += data
        else:
            self._eof = True

    # -- the head ------------------------------------------------------------------------------

    def read_head(self) -> Head | None:
        """The answer's head (an informational 1xx head is skipped), or None for more bytes."""
        while self.head is None:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self._buffer) > MAX_HEAD_BYTES:
                    raise ProtocolError(f"the answer's head is longer than {MAX_HEAD_BYTES} bytes")
                if self._eof:
                    raise ProtocolError(
                        "the server closed the connection without an answer"
                        if not self._buffer
                        else "the server closed the connection in the middle of the answer's head"
                    )
                return None
            if end > MAX_HEAD_BYTES:
                raise ProtocolError(f"the answer's head is longer than {MAX_HEAD_BYTES} bytes")
            raw = bytes(self._buffer[:end])
            del self._buffer[: end + 4]
            head = _parse_head(raw)
            if head.status == 101:
                raise ProtocolError("the server switched protocols, which was never asked for")
            if head.status >= 200:
                self.head = head
                self._frame(head)
        return self.head

    def _frame(self, head: Head) -> None:
        headers = head.headers
        keep_alive = not head.http10 and "close" not in _tokens(headers.get("connection", ""))
        if self._method == "HEAD" or head.status in (204, 304):
            self._framing = _NONE
        elif "transfer-encoding" in headers:
            if _tokens(headers["transfer-encoding"]) != ["chunked"]:
                raise ProtocolError(
                    f"the answer's transfer-encoding {headers['transfer-encoding']!r} is not "
                    "chunked, the only one a client may be sent unasked"
                )
            self._framing = _CHUNKED
        elif "content-length" in headers:
            self._framing = _LENGTH
            self._left = _content_length(headers["content-length"])
        else:
            self._framing = _UNTIL_CLOSE
            keep_alive = False
        self.reusable = keep_alive
        if self._framing == _NONE or (self._framing == _LENGTH and not self._left):
            self._finish()

    # -- the body ------------------------------------------------------------------------------

    def read_body(self) -> bytes | None:
        """The next piece of the body, ``b""`` once it is complete, or None for more bytes."""
        if self.done:
            return b""
        if self._framing == _LENGTH:
            return self._read_length()
        if self._framing == _CHUNKED:
            return self._read_chunked()
        return self._read_until_close()

    def _read_length(self) -> bytes | None:
        if not self._buffer:
            if self._eof:
                raise ProtocolError(f"the server closed the connection {self._left} bytes short")
            return NEED_DATA
        piece = bytes(self._buffer[: self._left])
        del self._buffer[: len(piece)]
        self._left -= len(piece)
        if not self._left:
            self._finish()
        return piece

    def _read_until_close(self) -> bytes | None:
        if self._buffer:
            piece = bytes(self._buffer)
            self._buffer.clear()
            return piece
        if self._eof:
            self._finish()
            return b""
        return NEED_DATA

    def _read_chunked(self) -> bytes | None:
        while True:
            if self._state == "data":
                if not self._buffer:
                    self._check_open("a chunk")
                    return NEED_DATA
                piece = bytes(self._buffer[: self._chunk_left])
                del self._buffer[: len(piece)]
                self._chunk_left -= len(piece)
                if not self._chunk_left:
                    self._state = "crlf"
                return piece
            line = self._line(_MAX_CHUNK_LINE if self._state != "trailer" else MAX_HEAD_BYTES)
            if line is None:
                self._check_open("the chunked body")
                return NEED_DATA
            if self._state == "crlf":
                if line:
                    raise ProtocolError("a chunk's data is longer than its size says")
                self._state = "size"
            elif self._state == "size":
                match = _CHUNK_SIZE.fullmatch(line)
                if match is None:
                    raise ProtocolError(f"a chunk-size line is malformed: {line[:40]!r}")
                self._chunk_left = int(match.group(1), 16)
                self._state = "data" if self._chunk_left else "trailer"
                self._trailers = 0
            elif line:  # a trailer field: bounded, then ignored
                self._trailers += 1
                if self._trailers > MAX_HEADER_LINES:
                    raise ProtocolError(f"the answer has more than {MAX_HEADER_LINES} trailers")
            else:
                self._finish()
                return b""

    def _line(self, limit: int) -> bytes | None:
        end = self._buffer.find(b"\r\n", 0, limit + 2)
        if end < 0:
            if len(self._buffer) > limit:
                raise ProtocolError(f"a line of the chunked body is longer than {limit} bytes")
            return None
        line = bytes(self._buffer[:end])
        del self._buffer[: end + 2]
        return line

    def _check_open(self, what: str) -> None:
        if self._eof:
            raise ProtocolError(f"the server closed the connection in the middle of {what}")

    def _finish(self) -> None:
        self.done = True
        if self._buffer:
            # Bytes past the end of the answer were never asked for: the connection is unusable.
            self.reusable = False


def _tokens(value: str) -> list[str]:
    return [token.strip().lower() for token in value.split(",") if token.strip()]


def _content_length(value: str) -> int:
    # A list of equal values ("12, 12") is what a proxy may leave from repeated headers.
    values = {item.strip() for item in value.split(",")}
    if len(values) != 1:
        raise ProtocolError(f"the answer has conflicting content-lengths {value!r}")
    (text,) = values
    if not text.isdigit() or not text.isascii() or len(text) > 18:
        raise ProtocolError(f"the answer's content-length {value!r} is not a byte count")
    return int(text)


def _parse_head(raw: bytes) -> Head:
    lines = raw.split(b"\r\n")
    if len(lines) > MAX_HEADER_LINES + 1:
        raise ProtocolError(f"the answer has more than {MAX_HEADER_LINES} header lines")
    match = _STATUS_LINE.fullmatch(lines[0])
    if match is None:
        raise ProtocolError(f"the answer's status line is malformed: {lines[0][:40]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon or not _TOKEN.fullmatch(name):
            # A line led by white space is an obsolete fold, refused like any other bad line.
            raise ProtocolError(f"the answer has a malformed header line: {line[:40]!r}")
        value = value.strip(b" \t")
        if not _FIELD_VALUE.fullmatch(value):
            raise ProtocolError(f"the answer's {name.decode()} header holds a control character")
        key = name.decode("ascii").lower()
        text = value.decode("latin-1")
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    reason = (match.group(3) or b"").decode("latin-1")
    return Head(int(match.group(2)), reason, headers, match.group(1) == b"0")
