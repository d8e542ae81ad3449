"""One error tree: everything the library raises derives from `JetOrderhiveError`.

Input errors also derive from the built-in they used to be, so ``except ValueError`` (or
``TypeError``, ``KeyError``) in existing code keeps catching them.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

import jet_orderhive
from jet_orderhive import (
    JetError,
    JetOrderhiveError,
    MappingError,
    MemoryStorage,
    OrderNotStored,
    SQLiteStorage,
    StorageError,
)
from jet_orderhive.mapping import MappingContext
from jet_orderhive.orderhive import LineItem, SalesOrder, ShipmentLine
from jet_orderhive.sync import integration

PACKAGE = Path(jet_orderhive.__file__).resolve().parent
# Where input errors must be library errors; sync/ and jet/ are covered by their own classes.
CHECKED = [
    "jet",
    "orderhive",
    "mapping",
    "storage",
    "sync",
    "_json.py",
    "cli.py",
    "_cli_inspect.py",
]
BUILTINS = {"ValueError", "TypeError", "KeyError", "LookupError", "RuntimeError", "Exception"}


def _error_classes() -> list[type[BaseException]]:
    exported = [getattr(jet_orderhive, name) for name in jet_orderhive.__all__]
    return [obj for obj in exported if isinstance(obj, type) and issubclass(obj, BaseException)]


def test_the_root_exports_every_error_family_and_the_shipment_records() -> None:
    names = set(jet_orderhive.__all__)
    assert {
        "JetOrderhiveError",
        "JetError",
        "JetAuthError",
        "JetNotFound",
        "JetValidationError",
        "JetConflict",
        "JetRateLimited",
        "JetServerError",
        "JetTransportError",
        "JetPayloadError",
        "JetInputError",
        "MappingError",
        "StorageError",
        "StorageBusyError",
        "TransactionAborted",
        "UnsupportedSchemaError",
        "RecordNotFound",
        "OrderNotStored",
        "Shipment",
        "ShipmentLine",
    } <= names


def test_every_exported_error_derives_from_the_root() -> None:
    classes = _error_classes()
    assert len(classes) >= 15
    outside = [cls.__name__ for cls in classes if not issubclass(cls, JetOrderhiveError)]
    assert outside == []


@pytest.mark.parametrize(
    ("family", "builtin"),
    [
        (JetError, Exception),
        (StorageError, Exception),
        (MappingError, ValueError),
        (OrderNotStored, KeyError),
    ],
    ids=lambda value: getattr(value, "__name__", str(value)),
)
def test_each_family_is_a_library_error_and_keeps_its_builtin(
    family: type[BaseException], builtin: type[BaseException]
) -> None:
    assert issubclass(family, JetOrderhiveError)
    assert issubclass(family, builtin)


def test_order_not_stored_lives_in_sync_errors_and_is_re_exported() -> None:
    from jet_orderhive.sync.errors import OrderNotStored as defined

    assert integration.OrderNotStored is defined is OrderNotStored
    assert "import_orders" in str(OrderNotStored("a" * 32))


def _naive_clock() -> datetime:
    return datetime(2026, 1, 1)  # naive on purpose: the mistake under test


INPUT_ERRORS: dict[str, tuple[Callable[[], object], type[BaseException]]] = {
    "negative shipped quantity": (
        lambda: ShipmentLine(sku="A", quantity_shipped=-1),
        ValueError,
    ),
    "float money": (
        lambda: LineItem(
            sku="A",
            name="a",
            variant_id="v",
            quantity_ordered=1,
            price=9.99,  # type: ignore[arg-type]
            row_total=Decimal("9.99"),
        ),
        TypeError,
    ),
    "fractional shipped quantity": (
        lambda: ShipmentLine(sku="A", quantity_shipped=1.5),  # type: ignore[arg-type]
        TypeError,
    ),
    "unreadable order record": (lambda: SalesOrder.from_dict({"line_items": 3}), ValueError),
    "naive mapping clock": (lambda: MappingContext(clock=_naive_clock).now(), ValueError),
    "unknown outbox key": (lambda: MemoryStorage().mark_done("no-such-push"), KeyError),
    "unlinked sku": (lambda: MemoryStorage().set_sku_archived("NOPE", True), KeyError),
    "str quarantine payload": (
        lambda: MemoryStorage().quarantine("order", "x", "text", "why"),  # type: ignore[arg-type]
        TypeError,
    ),
    "negative stock": (lambda: MemoryStorage().set_pushed_stock_many({("A", ""): -1}), ValueError),
    "in-memory sqlite": (lambda: SQLiteStorage(":memory:"), ValueError),
    "float in json": (lambda: jet_orderhive.json.dumps({"price": 9.99}), TypeError),
}


@pytest.mark.parametrize("case", sorted(INPUT_ERRORS))
def test_an_input_error_is_a_library_error_and_its_builtin(case: str) -> None:
    call, builtin = INPUT_ERRORS[case]
    with pytest.raises(JetOrderhiveError) as caught:
        call()
    assert isinstance(caught.value, builtin)


def _bare_raises(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and node.exc is not None:
            target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(target, ast.Name) and target.id in BUILTINS:
                found.append(f"{path.name}:{node.lineno} raises {target.id}")
    return found


def test_no_checked_module_raises_a_bare_builtin() -> None:
    paths: list[Path] = []
    for entry in CHECKED:
        where = PACKAGE / entry
        paths += sorted(where.rglob("*.py")) if where.is_dir() else [where]
    assert len(paths) > 10
    assert [hit for path in paths for hit in _bare_raises(path)] == []


def test_the_bare_raise_check_sees_one(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    raise ValueError('x')\n\ndef g():\n    raise KeyError\n")
    assert [hit.split(" ", 1)[1] for hit in _bare_raises(module)] == [
        "raises ValueError",
        "raises KeyError",
    ]
