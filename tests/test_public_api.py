"""The public API contract of design §3: names, import lines and call shapes users rely on."""

from __future__ import annotations

import importlib
import inspect
import re
import typing
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import attrs
import pytest

import jet_orderhive
from jet_orderhive import (
    AsyncJetClient,
    Integration,
    IntegrationSettings,
    JetClient,
    Mappings,
    MemoryStorage,
    SQLiteStorage,
    Storage,
    SyncReport,
)
from jet_orderhive.jet import ClientOptions, JetFile, JetOrder
from jet_orderhive.orderhive import Customer, SalesOrder
from jet_orderhive.testing import JetSandbox

ROOT = Path(__file__).resolve().parents[1]

SUBPACKAGES = [
    "jet_orderhive",
    "jet_orderhive.json",
    "jet_orderhive.jet",
    "jet_orderhive.orderhive",
    "jet_orderhive.mapping",
    "jet_orderhive.storage",
    "jet_orderhive.sync",
    "jet_orderhive.testing",
]

# The import lines of design §3, verbatim.
CONTRACT_IMPORTS = """
from jet_orderhive import (
    JetClient, AsyncJetClient,
    Integration, IntegrationSettings,
    Mappings,
    Storage, MemoryStorage, SQLiteStorage,
    SyncReport,
)
from jet_orderhive.jet import JetOrder, OrderStatus as JetOrderStatus, JetError
from jet_orderhive.orderhive import (
    SalesOrder, Customer, Address, LineItem, ExtraItem, Shipment, OrderStatus,
)
from jet_orderhive.testing import JetSandbox
"""

# Jet operation -> its parameter names after self, as design §3 lists them.
CLIENT_OPERATIONS: dict[str, list[str]] = {
    "list_order_ids": ["status", "cancelled", "node"],
    "get_order": ["order_id"],
    "iter_orders": ["status", "cancelled", "concurrency"],
    "acknowledge_order": ["order_id", "ack"],
    "ship_order": ["order_id", "notice"],
    "update_inventory": ["sku", "quantities"],
    "update_price": ["sku", "price", "node_prices"],
    "archive_sku": ["sku", "archived"],
    "get_sku": ["sku"],
    "iter_skus": ["page_size"],
    "list_return_ids": ["status"],
    "get_return": ["return_id"],
    "complete_return": ["return_id", "body"],
    "list_fulfillment_nodes": [],
    "upload_file": ["kind", "records", "file_name"],
}

ENGINE_STEPS = [
    "import_orders",
    "push_stock",
    "push_prices",
    "confirm",
    "ship",
    "cancel",
    "flush_pushes",
    "sync_archived_products",
    "import_returns",
    "run_once",
]


def _parameters(function: Callable[..., object]) -> dict[str, inspect.Parameter]:
    parameters = dict(inspect.signature(function).parameters)
    parameters.pop("self", None)
    return parameters


def _public_attrs_classes(module_name: str) -> list[type]:
    module = importlib.import_module(module_name)
    found = [getattr(module, name) for name in module.__all__]
    return [obj for obj in found if isinstance(obj, type) and attrs.has(obj)]


def test_the_documented_import_lines_work() -> None:
    namespace: dict[str, object] = {}
    exec(CONTRACT_IMPORTS, namespace)  # noqa: S102 - fixed text of this file
    assert namespace["JetOrderStatus"] is importlib.import_module("jet_orderhive.jet").OrderStatus
    assert namespace["OrderStatus"] is not namespace["JetOrderStatus"]


@pytest.mark.parametrize("module_name", SUBPACKAGES)
def test_every_name_in_all_resolves_once(module_name: str) -> None:
    module = importlib.import_module(module_name)
    exported = module.__all__
    assert len(exported) == len(set(exported)), f"{module_name}.__all__ repeats a name"
    missing = [name for name in exported if not hasattr(module, name)]
    assert missing == []


def test_package_root_exports_the_contract_names() -> None:
    contract = {
        "JetClient",
        "AsyncJetClient",
        "Integration",
        "IntegrationSettings",
        "Mappings",
        "Storage",
        "MemoryStorage",
        "SQLiteStorage",
        "SyncReport",
    }
    assert contract <= set(jet_orderhive.__all__)


def test_package_root_exports_the_error_tree_shipments_and_json_type() -> None:
    from jet_orderhive import jet, mapping, orderhive, storage, sync

    same_as = {
        "JetOrderhiveError": None,
        "JetError": jet.JetError,
        "MappingError": mapping.MappingError,
        "StorageError": storage.StorageError,
        "OrderNotStored": sync.OrderNotStored,
        "Shipment": orderhive.Shipment,
        "ShipmentLine": orderhive.ShipmentLine,
        "JsonValue": jet_orderhive.json.JsonValue,
    }
    assert set(same_as) <= set(jet_orderhive.__all__)
    for name, original in same_as.items():
        if original is not None:
            assert getattr(jet_orderhive, name) is original, name
    root = jet_orderhive.JetOrderhiveError
    for name in ("JetError", "MappingError", "StorageError", "OrderNotStored"):
        assert issubclass(getattr(jet_orderhive, name), root), name


def test_star_import_of_the_root_gives_exactly_all() -> None:
    namespace: dict[str, object] = {}
    exec("from jet_orderhive import *", namespace)  # noqa: S102 - fixed text
    namespace.pop("__builtins__")
    assert set(namespace) == set(jet_orderhive.__all__)


def test_client_takes_credentials_then_keyword_only_options() -> None:
    parameters = _parameters(JetClient)
    assert list(parameters)[:2] == ["user", "secret"]
    for name in ("transport", "http_client"):
        assert parameters[name].kind is inspect.Parameter.KEYWORD_ONLY
        assert parameters[name].default is None
    assert {"base_url", "timeout", "max_retries"} <= ClientOptions.__optional_keys__


def test_client_defaults_to_jets_production_url() -> None:
    client = JetClient(user="u", secret="s")
    try:
        assert client.base_url == "https://merchant-api.jet.com/api"
    finally:
        client.close()


def test_client_accepts_base_url_timeout_and_max_retries_by_keyword() -> None:
    with JetClient(
        user="u", secret="s", base_url="http://127.0.0.1:9/api", timeout=2.5, max_retries=1
    ) as client:
        assert client.base_url == "http://127.0.0.1:9/api"


def test_from_env_reads_user_secret_and_base_url() -> None:
    environ = {
        "JET_API_USER": "env-user",
        "JET_API_SECRET": "env-secret",
        "JET_API_BASE_URL": "http://127.0.0.1:9/api",
    }
    with JetClient.from_env(environ) as client:
        assert client.user == "env-user"
        assert client.base_url == "http://127.0.0.1:9/api"


@pytest.mark.parametrize("operation", sorted(CLIENT_OPERATIONS))
def test_client_operation_has_the_documented_parameters(operation: str) -> None:
    assert list(_parameters(getattr(JetClient, operation))) == CLIENT_OPERATIONS[operation]


@pytest.mark.parametrize("operation", sorted(CLIENT_OPERATIONS))
def test_async_client_mirrors_each_operation_as_async(operation: str) -> None:
    method = getattr(AsyncJetClient, operation)
    assert list(_parameters(method)) == CLIENT_OPERATIONS[operation]
    assert inspect.iscoroutinefunction(method) or inspect.isasyncgenfunction(method)


def test_optional_filters_of_the_order_list_are_keyword_only() -> None:
    parameters = _parameters(JetClient.list_order_ids)
    assert parameters["cancelled"].kind is inspect.Parameter.KEYWORD_ONLY
    assert parameters["node"].kind is inspect.Parameter.KEYWORD_ONLY
    assert _parameters(JetClient.iter_orders)["concurrency"].kind is inspect.Parameter.KEYWORD_ONLY


def test_update_price_and_archive_sku_have_the_documented_defaults() -> None:
    assert _parameters(JetClient.update_price)["node_prices"].default is None
    assert _parameters(JetClient.archive_sku)["archived"].default is True


def test_typed_results_of_get_order_and_upload_file() -> None:
    # Compared by name: the annotations stay strings under postponed evaluation.
    assert inspect.signature(JetClient.get_order).return_annotation == JetOrder.__name__
    assert inspect.signature(JetClient.upload_file).return_annotation == JetFile.__name__


def test_both_clients_are_context_managers() -> None:
    assert callable(JetClient.__enter__)
    assert callable(JetClient.__exit__)
    assert inspect.iscoroutinefunction(AsyncJetClient.__aenter__)
    assert inspect.iscoroutinefunction(AsyncJetClient.__aexit__)


@pytest.mark.parametrize("module_name", ["jet_orderhive.jet", "jet_orderhive.orderhive"])
def test_public_models_are_slotted_and_keyword_only(module_name: str) -> None:
    classes = _public_attrs_classes(module_name)
    assert classes, f"{module_name} exports no attrs models"
    for cls in classes:
        assert "__slots__" in cls.__dict__, f"{cls.__name__} is not slotted"
        positional = [field.name for field in attrs.fields(cls) if not field.kw_only]
        assert positional == [], f"{cls.__name__} takes {positional} positionally"


def test_every_jet_wire_model_has_from_dict_and_to_dict() -> None:
    wire_models = [
        cls
        for cls in _public_attrs_classes("jet_orderhive.jet")
        if cls.__module__ == "jet_orderhive.jet.models"
    ]
    assert len(wire_models) >= 40, "the wire models are no longer exported from jet_orderhive.jet"
    lacking = [
        cls.__name__
        for cls in wire_models
        if not (
            callable(getattr(cls, "from_dict", None)) and callable(getattr(cls, "to_dict", None))
        )
    ]
    assert lacking == []


def test_a_jet_order_goes_from_raw_json_to_model_and_back() -> None:
    sandbox = JetSandbox(seed=11)
    order_id = sandbox.generate_orders(1)[0]
    raw = sandbox.order(order_id)
    order = JetOrder.from_dict(raw)
    assert order.merchant_order_id == order_id
    assert JetOrder.from_dict(order.to_dict()) == order
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        order.merchant_order_id = "changed"  # type: ignore[misc]


def test_integration_takes_client_and_storage_then_keyword_only_options() -> None:
    parameters = _parameters(Integration)
    assert list(parameters)[:2] == ["client", "storage"]
    for name in ("settings", "mappings", "clock"):
        assert parameters[name].kind is inspect.Parameter.KEYWORD_ONLY


@pytest.mark.parametrize("step", ENGINE_STEPS)
def test_every_engine_step_returns_a_sync_report(step: str) -> None:
    assert typing.get_type_hints(getattr(Integration, step))["return"] is SyncReport


def test_engine_step_parameters_keep_the_documented_shape() -> None:
    assert list(_parameters(Integration.confirm)) == ["order_id"]
    assert list(_parameters(Integration.ship)) == ["order_id", "shipment"]
    cancel = _parameters(Integration.cancel)
    assert list(cancel) == ["order_id", "lines", "reason"]
    assert cancel["lines"].default is None
    assert list(_parameters(Integration.push_stock)) == ["levels"]
    assert list(_parameters(Integration.push_prices)) == ["prices"]


def test_settings_defaults_are_the_documented_ones() -> None:
    settings = IntegrationSettings()
    assert settings.push_stock is True
    assert settings.push_order_status is True
    assert settings.push_price is True
    assert settings.auto_archive is True
    assert settings.initial_sync_days == 30
    assert settings.import_created is False
    assert settings.confirm_on_import is True
    assert settings.dry_run is False
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        settings.dry_run = True  # type: ignore[misc]


def test_sync_report_offers_dict_and_notebook_views() -> None:
    report = Integration(JetSandbox(seed=2).client(), MemoryStorage()).import_orders()
    assert isinstance(report.to_dict(), dict)
    assert "<table" in report._repr_html_()


@pytest.mark.parametrize("adapter", [MemoryStorage, SQLiteStorage])
def test_reference_adapters_satisfy_the_storage_protocol(
    adapter: type[Storage], tmp_path: Path
) -> None:
    storage = adapter() if adapter is MemoryStorage else adapter(tmp_path / "s.sqlite")
    assert isinstance(storage, Storage)
    assert storage.get_order("no-such-order") is None
    assert storage.get_customer("nobody@example.com") is None


def test_storage_reads_back_orders_and_customers() -> None:
    assert list(_parameters(Storage.get_order)) == ["jet_order_id", "account"]
    assert list(_parameters(Storage.get_customer)) == ["email", "account"]
    hints_order = typing.get_type_hints(Storage.get_order)["return"]
    hints_customer = typing.get_type_hints(Storage.get_customer)["return"]
    assert hints_order == SalesOrder | None
    assert hints_customer == Customer | None


def test_one_mapping_is_replaced_with_attrs_evolve() -> None:
    def my_customer(*args: object, **kwargs: object) -> None:
        return None

    default = Mappings.default()
    changed = attrs.evolve(default, customer=my_customer)
    assert changed.customer is my_customer
    for field in attrs.fields(Mappings):
        if field.name != "customer":
            assert getattr(changed, field.name) is getattr(default, field.name)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        default.customer = my_customer  # type: ignore[misc]


def test_sandbox_takes_and_gives_back_its_credentials() -> None:
    sandbox = JetSandbox(user="me", secret="my-secret-value")
    assert (sandbox.user, sandbox.secret) == ("me", "my-secret-value")
    defaults = JetSandbox()
    assert defaults.user
    assert defaults.secret


def test_sandbox_generates_ready_orders_by_default() -> None:
    assert _parameters(JetSandbox.generate_orders)["status"].default == "ready"
    sandbox = JetSandbox(seed=4)
    ids = sandbox.generate_orders(3)
    assert len(set(ids)) == 3
    assert {sandbox.order_status(order_id) for order_id in ids} == {"ready"}


def test_sandbox_client_is_a_jet_client_wired_in_process() -> None:
    sandbox = JetSandbox(seed=5)
    ids = sandbox.generate_orders(2)
    with sandbox.client() as client:
        assert isinstance(client, JetClient)
        assert sorted(client.list_order_ids("ready")) == sorted(ids)


def test_sandbox_serves_jets_api_on_loopback() -> None:
    sandbox = JetSandbox(seed=6)
    sandbox.add_sku("SKU-1", price=Decimal("5.00"))
    with sandbox.serve() as base_url:
        parts = urlsplit(base_url)
        assert parts.hostname == "127.0.0.1"
        assert parts.path == "/api"
        with JetClient(user=sandbox.user, secret=sandbox.secret, base_url=base_url) as client:
            assert client.get_sku("SKU-1").merchant_sku == "SKU-1"


def test_built_wheel_ships_py_typed() -> None:
    builders = pytest.importorskip(
        "hatchling.builders.wheel", reason="hatchling builds the wheel tree"
    )
    included = {
        entry.distribution_path
        for entry in builders.WheelBuilder(str(ROOT)).recurse_included_files()
    }
    assert "jet_orderhive/py.typed" in included
    assert "jet_orderhive/__init__.py" in included


@pytest.mark.parametrize("cls", [JetClient, AsyncJetClient], ids=lambda c: c.__name__)
def test_client_type_hints_resolve_at_runtime(cls: type[object]) -> None:
    # Tools such as documentation builders and validators read them with get_type_hints.
    for name, member in vars(cls).items():
        if callable(member) and not name.startswith("_"):
            typing.get_type_hints(member)


def _public_callables(module_name: str) -> list[tuple[str, Callable[..., object]]]:
    module = importlib.import_module(module_name)
    found: list[tuple[str, Callable[..., object]]] = []
    for name in module.__all__:
        obj = getattr(module, name)
        if inspect.isclass(obj):
            for member, value in vars(obj).items():
                if isinstance(value, property) and value.fget and not member.startswith("_"):
                    found.append((f"{name}.{member}", value.fget))
                elif callable(value) and (member == "__init__" or not member.startswith("_")):
                    found.append((f"{name}.{member}", getattr(value, "__func__", value)))
        elif inspect.isfunction(obj):
            found.append((name, obj))
    return found


def _mentions_any(hint: object) -> bool:
    return hint is typing.Any or any(_mentions_any(arg) for arg in typing.get_args(hint))


@pytest.mark.parametrize("module_name", SUBPACKAGES)
def test_public_signatures_are_free_of_any(module_name: str) -> None:
    leaks = []
    for label, function in _public_callables(module_name):
        try:
            hints = typing.get_type_hints(function)
        except NameError:
            # A name imported only for type checkers: read the annotation text instead.
            texts = [str(value) for value in getattr(function, "__annotations__", {}).values()]
            leaks += [label for text in texts if re.search(r"\bAny\b", text)]
            continue
        leaks += [f"{label} ({name})" for name, hint in hints.items() if _mentions_any(hint)]
    assert leaks == []
