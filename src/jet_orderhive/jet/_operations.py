"""One flow per Jet operation: the request it sends, how safe it is to repeat, how to read it.

Each function takes the client's :class:`~jet_orderhive.jet._core.Core` and returns a flow that
the sync or async shell drives; neither shell knows any endpoint.

Which writes are "one-time" (retried only when Jet provably did not act, see ``_retry``):
acknowledge, shipped, refund create and return complete. The first three are Jet's own examples
of non-repeatable actions; completing a return moves money (Jet refunds the customer), and a
repeated complete after a lost answer would surface as a confusing 400/409, so it is treated the
same way. Price, inventory and archive set desired state and the bulk-file steps overwrite or
re-register the same file, so those repeat freely.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import TypeAlias
from urllib.parse import urlsplit, urlunsplit

import attrs

from jet_orderhive import _json
from jet_orderhive._errors import JetOrderhiveValueError
from jet_orderhive.jet import _logging
from jet_orderhive.jet._body import ACCEPT_ENCODING
from jet_orderhive.jet._convert import JetModel
from jet_orderhive.jet._core import Core, parse_model
from jet_orderhive.jet._effects import ApiCall, Flow, HttpRequest, RawResponse, Sleep
from jet_orderhive.jet._retry import Safety
from jet_orderhive.jet._urls import (
    check_query_value,
    check_upload_url,
    is_plain_id,
    is_sendable,
    jet_path,
)
from jet_orderhive.jet.enums import FileStatus, FileType, OrderStatus, ReturnStatus
from jet_orderhive.jet.errors import (
    JetAuthError,
    JetError,
    JetInputError,
    JetPayloadError,
    JetRateLimited,
    JetTransportError,
)
from jet_orderhive.jet.models import (
    Acknowledgement,
    ArchiveStatus,
    CompleteReturn,
    FileUploaded,
    FulfillmentNode,
    FulfillmentNodes,
    InventoryUpdate,
    JetFile,
    JetOrder,
    JetRefund,
    JetReturn,
    MerchantSku,
    NodePrice,
    NodeQuantity,
    OrderUrls,
    PriceUpdate,
    RefundCreated,
    RefundRequest,
    ReturnUrls,
    ShipNotice,
    SkuUrls,
    UploadToken,
)

__all__ = [
    "FIRST_FILE_POLL",
    "SYSTEMIC_ERRORS",
    "BulkRecord",
    "OrderFetch",
    "SkuPager",
    "acknowledge_order",
    "archive_sku",
    "complete_return",
    "create_refund",
    "fetch_order",
    "get_file",
    "get_order",
    "get_refund",
    "get_return",
    "get_sku",
    "list_fulfillment_nodes",
    "list_order_ids",
    "list_return_ids",
    "order_or_raise",
    "ship_order",
    "sku_page",
    "update_inventory",
    "update_price",
    "upload_file",
    "wait_for_file",
]

#: Errors that hit every request alike: a batch stops on them instead of recording each order.
SYSTEMIC_ERRORS = (JetAuthError, JetTransportError, JetRateLimited)

#: One record of a bulk file: a request model or the JSON object it stands for.
BulkRecord: TypeAlias = JetModel | Mapping[str, _json.JsonValue]

#: Seconds before the first re-poll of a bulk file; later waits double up to the poll interval.
FIRST_FILE_POLL = 0.25

_PENDING_FILE = frozenset(
    {FileStatus.ACKNOWLEDGED, FileStatus.PROCESSING, FileStatus.MERCHANT_ACKNOWLEDGED}
)


def _status_text(status: str) -> str:
    if not isinstance(status, str) or not status:
        raise JetInputError(f"expected a Jet status, got {ascii(status)[:40]}; nothing was sent")
    return str(status)  # a JetEnum member's str() is its wire value


def _usable(operation: str, listed: Sequence[str], usable: Callable[[str], bool]) -> list[str]:
    """The listed entries the client can use; the others are logged (not quoted) and left out.

    A list entry such as ``<id>?x=1`` or ``a%2Fb`` would otherwise become an id that names
    another resource, or one that no request can carry.
    """
    kept = [entry for entry in listed if usable(entry)]
    left_out = len(listed) - len(kept)
    if left_out:
        _logging.logger.warning(
            "%s: Jet listed %d %s that %s not plain ids; left out",
            operation,
            left_out,
            "entry" if left_out == 1 else "entries",
            "is" if left_out == 1 else "are",
        )
    return kept


# -- orders ------------------------------------------------------------------------------------


def list_order_ids(
    core: Core,
    status: OrderStatus | str,
    *,
    cancelled: bool | None = None,
    node: str | None = None,
) -> Flow[list[str]]:
    """``GET /orders/{status}``: the ids (at most 1,000) Jet lists under ``status``."""
    query: list[tuple[str, str]] = []
    if cancelled is not None:
        query.append(("isCancelled", "true" if cancelled else "false"))
    if node is not None:
        query.append(("fulfillment_node", check_query_value(node, "fulfillment node id")))
    call = ApiCall(
        operation="list_order_ids",
        method="GET",
        path=jet_path("/orders/{}", _status_text(status)),
        query=tuple(query),
    )
    response = yield from core.call(call)
    return _usable(call.operation, parse_model(call, response, OrderUrls).order_ids, is_plain_id)


def _order_call(order_id: str) -> ApiCall:
    return ApiCall(
        operation="get_order",
        method="GET",
        path=jet_path("/orders/withoutShipmentDetail/{}", order_id),
    )


def _read_order(call: ApiCall, response: RawResponse, order_id: str) -> JetOrder:
    """The order in ``response``, which must be the order ``order_id`` it was fetched as."""
    order = parse_model(call, response, JetOrder)
    if order.merchant_order_id != order_id:
        # Taken as is, it would overwrite the order it names, and the listed one would vanish.
        raise JetPayloadError(
            f"Jet's answer for order {order_id} describes another order",
            errors=[
                f"merchant_order_id: expected {order_id}, the id the order was fetched under, "
                f"got {order.merchant_order_id[:64]!a}"
            ],
            model="JetOrder",
            method=call.method,
            path=call.path,
            status=response.status,
        )
    return order


def get_order(core: Core, order_id: str) -> Flow[JetOrder]:
    """``GET /orders/withoutShipmentDetail/{id}``; the body must carry that very id."""
    call = _order_call(order_id)
    response = yield from core.call(call)
    return _read_order(call, response, order_id)


def _raw_repr(raw: bytes | None) -> str:
    return "None" if raw is None else f"<{len(raw)} bytes>"


@attrs.frozen(kw_only=True)
class OrderFetch:
    """The outcome of fetching one order in a batch: the order, or the error and raw bytes.

    ``raw`` is Jet's response body exactly as it came over the wire whenever a 2xx answer
    arrived (still gzip-compressed if Jet compressed it; cut at ``max_response_bytes`` if the
    answer was larger), so a payload that fails to parse can be quarantined byte for byte. The
    repr shows its size, never its content.
    """

    order_id: str
    order: JetOrder | None = None
    error: JetError | None = None
    raw: bytes | None = attrs.field(default=None, repr=_raw_repr)

    @property
    def ok(self) -> bool:
        """Whether the order was fetched and parsed."""
        return self.error is None


def fetch_order(core: Core, order_id: str) -> Flow[OrderFetch]:
    """Fetch one order for a batch; per-order failures come back inside the result."""
    try:
        call = _order_call(order_id)
        response = yield from core.call(call)
    except SYSTEMIC_ERRORS:
        raise
    except JetError as error:
        return OrderFetch(order_id=order_id, error=error)
    try:
        order = _read_order(call, response, order_id)
    except JetError as error:
        return OrderFetch(order_id=order_id, error=error, raw=response.raw)
    return OrderFetch(order_id=order_id, order=order, raw=response.raw)


def order_or_raise(fetched: OrderFetch) -> JetOrder:
    """The fetched order, or raise the error that stopped it."""
    if fetched.error is not None:
        raise fetched.error
    assert fetched.order is not None
    return fetched.order


def acknowledge_order(core: Core, order_id: str, ack: Acknowledgement) -> Flow[None]:
    """``PUT /orders/{id}/acknowledge`` (one-time write)."""
    call = ApiCall(
        operation="acknowledge_order",
        method="PUT",
        path=jet_path("/orders/{}/acknowledge", order_id),
        body=ack.to_dict(),
        safety=Safety.UNSAFE,
    )
    yield from core.call(call)


def ship_order(core: Core, order_id: str, notice: ShipNotice) -> Flow[None]:
    """``PUT /orders/{id}/shipped``: shipments and cancellations (one-time write)."""
    call = ApiCall(
        operation="ship_order",
        method="PUT",
        path=jet_path("/orders/{}/shipped", order_id),
        body=notice.to_dict(),
        safety=Safety.UNSAFE,
    )
    yield from core.call(call)


# -- merchant SKUs -----------------------------------------------------------------------------


def get_sku(core: Core, sku: str) -> Flow[MerchantSku]:
    """``GET /merchant-skus/{sku}``."""
    call = ApiCall(operation="get_sku", method="GET", path=jet_path("/merchant-skus/{}", sku))
    response = yield from core.call(call)
    return parse_model(call, response, MerchantSku)


def sku_page(core: Core, offset: int, limit: int) -> Flow[list[str]]:
    """``GET /merchant-skus?offset=&limit=``: one page of the merchant's SKUs."""
    if offset < 0 or limit < 1:
        raise JetOrderhiveValueError("offset must be >= 0 and page_size >= 1")
    call = ApiCall(
        operation="list_skus",
        method="GET",
        path="/merchant-skus",
        query=(("offset", str(offset)), ("limit", str(limit))),
    )
    response = yield from core.call(call)
    return _usable(call.operation, parse_model(call, response, SkuUrls).skus, is_sendable)


class SkuPager:
    """Walks Jet's SKU pages: where the next page starts, and when the listing is over.

    A short page ends it. So does a page longer than asked for, or the very page just read
    again: Jet ignored ``limit`` or ``offset`` and already sent what it has, and asking for the
    next page would go on forever.
    """

    __slots__ = ("_last", "offset", "page_size")

    def __init__(self, page_size: int) -> None:
        if page_size < 1:
            raise JetOrderhiveValueError(f"page_size must be at least 1, got {page_size}")
        self.page_size = page_size
        #: Where the next page starts; None once the listing is over.
        self.offset: int | None = 0
        self._last: list[str] | None = None

    def take(self, page: list[str]) -> list[str]:
        """The SKUs of ``page`` to hand on, and move :attr:`offset` past it."""
        if self.offset is None:
            raise JetOrderhiveValueError("the SKU listing is already over; list the SKUs again")
        if page and page == self._last:
            self.offset = None
            return []
        self._last = page
        if len(page) == self.page_size:
            self.offset += self.page_size
        else:
            self.offset = None
        return page


def update_inventory(
    core: Core, sku: str, quantities: Sequence[NodeQuantity] | InventoryUpdate
) -> Flow[None]:
    """``PATCH /merchant-skus/{sku}/inventory``: Jet's current form, which touches listed nodes."""
    path = jet_path("/merchant-skus/{}/inventory", sku)
    body = (
        quantities
        if isinstance(quantities, InventoryUpdate)
        else InventoryUpdate(fulfillment_nodes=tuple(quantities))
    )
    call = ApiCall(
        operation="update_inventory",
        method="PATCH",
        path=path,
        body=body.to_dict(),
    )
    yield from core.call(call)


def update_price(
    core: Core, sku: str, price: Decimal, node_prices: Sequence[NodePrice] | None = None
) -> Flow[None]:
    """``PUT /merchant-skus/{sku}/price``, optionally with per-node prices."""
    path = jet_path("/merchant-skus/{}/price", sku)
    body = PriceUpdate(
        price=price, fulfillment_nodes=tuple(node_prices) if node_prices is not None else None
    )
    call = ApiCall(
        operation="update_price",
        method="PUT",
        path=path,
        body=body.to_dict(),
    )
    yield from core.call(call)


def archive_sku(core: Core, sku: str, archived: bool) -> Flow[None]:
    """``PUT /merchant-skus/{sku}/status/archive``: stop (or resume) selling ``sku``."""
    call = ApiCall(
        operation="archive_sku",
        method="PUT",
        path=jet_path("/merchant-skus/{}/status/archive", sku),
        body=ArchiveStatus(is_archived=archived).to_dict(),
    )
    yield from core.call(call)


# -- returns and refunds -----------------------------------------------------------------------


def list_return_ids(core: Core, status: ReturnStatus | str) -> Flow[list[str]]:
    """``GET /returns/{status}``: ids of the returns in ``status`` (spaces are encoded)."""
    call = ApiCall(
        operation="list_return_ids",
        method="GET",
        path=jet_path("/returns/{}", _status_text(status)),
    )
    response = yield from core.call(call)
    listed = parse_model(call, response, ReturnUrls).return_ids
    return _usable(call.operation, listed, is_plain_id)


def get_return(core: Core, return_id: str) -> Flow[JetReturn]:
    """``GET /returns/state/{id}``."""
    call = ApiCall(
        operation="get_return", method="GET", path=jet_path("/returns/state/{}", return_id)
    )
    response = yield from core.call(call)
    return parse_model(call, response, JetReturn)


def complete_return(core: Core, return_id: str, body: CompleteReturn) -> Flow[None]:
    """``PUT /returns/{id}/complete`` (one-time write: Jet refunds the customer)."""
    call = ApiCall(
        operation="complete_return",
        method="PUT",
        path=jet_path("/returns/{}/complete", return_id),
        body=body.to_dict(),
        safety=Safety.UNSAFE,
    )
    yield from core.call(call)


def create_refund(
    core: Core, order_id: str, alt_refund_id: str, body: RefundRequest
) -> Flow[RefundCreated]:
    """``POST /refunds/{order_id}/{alt_refund_id}`` (one-time write)."""
    call = ApiCall(
        operation="create_refund",
        method="POST",
        path=jet_path("/refunds/{}/{}", order_id, alt_refund_id),
        body=body.to_dict(),
        safety=Safety.UNSAFE,
    )
    response = yield from core.call(call)
    return parse_model(call, response, RefundCreated)


def get_refund(core: Core, refund_authorization_id: str) -> Flow[JetRefund]:
    """``GET /refunds/state/{id}``."""
    call = ApiCall(
        operation="get_refund",
        method="GET",
        path=jet_path("/refunds/state/{}", refund_authorization_id),
    )
    response = yield from core.call(call)
    return parse_model(call, response, JetRefund)


# -- set-up and bulk files ---------------------------------------------------------------------


def list_fulfillment_nodes(core: Core) -> Flow[list[FulfillmentNode]]:
    """``GET /setup/fulfillmentNodes``."""
    call = ApiCall(operation="list_fulfillment_nodes", method="GET", path="/setup/fulfillmentNodes")
    response = yield from core.call(call)
    return list(parse_model(call, response, FulfillmentNodes).fulfillment_nodes)


def _file_body(records: Mapping[str, BulkRecord]) -> bytes:
    content = {
        sku: record.to_dict() if isinstance(record, JetModel) else record
        for sku, record in records.items()
    }
    # mtime=0 makes the bytes depend on the records only, so equal uploads are byte-equal.
    return gzip.compress(_json.dumps(content).encode(), mtime=0)


def upload_file(
    core: Core, kind: FileType, records: Mapping[str, BulkRecord], *, file_name: str | None = None
) -> Flow[JetFile]:
    """The bulk-file flow: upload token, gzipped PUT to the blob URL, then register the file."""
    if not records:
        raise JetOrderhiveValueError("a bulk file needs at least one record")
    token_call = ApiCall(operation="upload_token", method="GET", path="/files/uploadToken")
    response = yield from core.call(token_call)
    upload = parse_model(token_call, response, UploadToken)
    try:
        check_upload_url(upload.url)
    except ValueError as exc:
        raise JetPayloadError(
            f"Jet's upload URL cannot be used: {exc}",
            model="UploadToken",
            method=token_call.method,
            path=token_call.path,
            status=response.status,
        ) from None
    parts = urlsplit(upload.url)
    # The path names the blob; the query is the signature, which must stay out of logs/errors.
    shown = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    content = _file_body(records)
    blob_call = ApiCall(operation="upload_blob", method="PUT", path=shown, authenticated=False)

    def build(_token: str | None) -> HttpRequest:
        # No Jet Authorization header: the SAS signature in the URL is the blob's credential.
        return HttpRequest(
            method="PUT",
            url=upload.url,
            headers=(
                ("Accept-Encoding", ACCEPT_ENCODING),
                ("x-ms-blob-type", "BlockBlob"),
                ("Content-Type", "application/octet-stream"),
            ),
            content=content,
        )

    yield from core.send(blob_call, build)
    name = file_name or f"{kind.value.lower()}-{upload.file_id}.json.gz"
    register = ApiCall(
        operation="file_uploaded",
        method="POST",
        path="/files/uploaded",
        body=FileUploaded(url=upload.url, file_type=kind, file_name=name).to_dict(),
    )
    response = yield from core.call(register)
    return parse_model(register, response, JetFile)


def get_file(core: Core, jet_file_id: str) -> Flow[JetFile]:
    """``GET /files/{jet_file_id}``: how far Jet got processing a bulk file."""
    call = ApiCall(operation="get_file", method="GET", path=jet_path("/files/{}", jet_file_id))
    response = yield from core.call(call)
    return parse_model(call, response, JetFile)


def wait_for_file(
    core: Core, jet_file_id: str, *, timeout: float, poll_interval: float
) -> Flow[JetFile]:
    """Poll :func:`get_file` until Jet has processed the file; ``TimeoutError`` past ``timeout``.

    The first wait is short (:data:`FIRST_FILE_POLL`) and each one doubles up to
    ``poll_interval``, so a small file costs a fraction of a second and a large one few polls.
    """
    if poll_interval <= 0 or timeout < 0:
        raise JetOrderhiveValueError("poll_interval must be positive and timeout not negative")
    deadline = core.monotonic() + timeout
    wait = min(FIRST_FILE_POLL, poll_interval)
    while True:
        status = yield from get_file(core, jet_file_id)
        if status.status not in _PENDING_FILE:
            return status
        remaining = deadline - core.monotonic()
        if remaining <= 0:
            raise TimeoutError(
                f"Jet file {jet_file_id} is still {status.status!s} after {timeout:g}s; "
                "poll again later with get_file()"
            )
        yield Sleep(min(wait, remaining))
        wait = min(wait * 2, poll_interval)
