"""The one converter between Jet's JSON and the wire models; every (un)structure hook lives here.

Rules it enforces (design §4):

- Money is ``Decimal``: read from JSON integers or exact ``Decimal`` (as produced by
  :func:`jet_orderhive._json.loads`), never from ``float`` (a float has already lost the cents,
  so it is refused with a hint) nor from strings or booleans (Jet always sent numbers).
- Datetimes are aware: every Jet form is read with ``parse_jet_datetime``. Request models write
  Jet's request form (7 digits and an explicit offset); response models write UTC values in Jet's
  own ``…0000000Z`` form and other offsets in the request form, so a round trip keeps the offset.
- Strings, integers and booleans are checked, not coerced: ``"5"`` is not an integer.
- ``None`` and an absent key both read as ``None``; ``to_dict`` omits ``None`` fields.
- Unknown keys of a response are kept in the model's ``extra`` mapping and written back.
- Every problem in a payload is collected and reported at once in a :class:`JetPayloadError`
  whose ``errors`` are JSON-path qualified: ``order_items[2].item_price.base_price: expected a
  number``.

Field metadata understood here (set in ``models``): ``wire`` (the JSON key when it is not the
attribute name), ``aliases`` (other keys accepted on reading), ``one_or_many`` (a lone object
reads as a one-element array).
"""

from __future__ import annotations

import contextlib
import itertools
import re
import threading
import types
import typing
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar, Final, Self, TypeVar, cast

import attrs
import cattrs
from cattrs.errors import (
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from jet_orderhive._errors import JetOrderhiveTypeError, JetOrderhiveValueError
from jet_orderhive._json import JsonValue, dumps
from jet_orderhive.jet._time import (
    format_jet_timestamp,
    format_request_datetime,
    parse_jet_datetime,
)
from jet_orderhive.jet._wire_json import JsonProblems, read_json
from jet_orderhive.jet.enums import JetEnum
from jet_orderhive.jet.errors import JetPayloadError

__all__ = [
    "ALIASES",
    "MAX_AMOUNT",
    "MAX_INTEGER",
    "MAX_QUANTITY",
    "ONE_OR_MANY",
    "WIRE",
    "JetModel",
    "JetRequest",
    "from_json",
    "structure",
    "to_json",
    "unstructure",
]

#: The largest quantity a response may carry (units on a line, shipped, cancelled, returned, in
#: stock at a node): a million units is far beyond any real Jet order line or node.
MAX_QUANTITY: Final = 1_000_000
#: The largest magnitude of any decimal number read (money, weights, rates): a billion dollars.
MAX_AMOUNT: Final = 1_000_000_000
#: Decimal places a decimal number may have; Jet wrote money with 2 and rates with a few more.
MAX_DECIMAL_PLACES: Final = 12
#: The largest magnitude of any other integer read: 2**53 - 1, the largest integer every JSON
#: reader (and a 64-bit store) keeps exactly.
MAX_INTEGER: Final = 2**53 - 1

WIRE = "jet_wire"
ALIASES = "jet_aliases"
ONE_OR_MANY = "jet_one_or_many"

T = TypeVar("T")


class JetModel:
    """Base of every wire model: ``from_dict`` / ``to_dict`` over the package's converter."""

    __slots__ = ()
    _jet_request: ClassVar[bool] = False

    @classmethod
    def from_dict(cls, data: JsonValue) -> Self:
        """Build the model from parsed JSON; raise ``JetPayloadError`` listing every problem."""
        return structure(data, cls)

    def to_dict(self) -> dict[str, JsonValue]:
        """The JSON object for this model, with Jet's key names and ``None`` fields left out."""
        result = unstructure(self)
        assert isinstance(result, dict)
        return result


class JetRequest(JetModel):
    """Base of the bodies sent to Jet: strict (documented keys and values only)."""

    __slots__ = ()
    _jet_request: ClassVar[bool] = True


def structure(data: JsonValue, cls: type[T]) -> T:
    """Build ``cls`` from parsed JSON, raising ``JetPayloadError`` with every JSON-path problem."""
    fast = _fast_structure_fn(cls)
    if fast is not None:
        try:
            return cast(T, fast(data))
        except Exception:  # noqa: S110 - the careful path below reads it again and says why
            pass
    return _structure_carefully(data, cls)


def _structure_carefully(data: JsonValue, cls: type[T]) -> T:
    """The converter's own reading, which tracks every JSON path so it can name each problem."""
    try:
        return _converter.structure(data, cls)
    except Exception as exc:
        errors = _describe(exc, "")
        name = getattr(cls, "__name__", str(cls))
        count = f"{len(errors)} problem" + ("s" if len(errors) != 1 else "")
        raise JetPayloadError(
            f"cannot read {name} from Jet's payload ({count})", errors=errors, model=name
        ) from exc


def unstructure(obj: object) -> JsonValue:
    """Turn a model (or a tuple of models) into plain JSON values, money kept as ``Decimal``."""
    return cast(JsonValue, _converter.unstructure(obj))


def from_json(text: str | bytes | bytearray, cls: type[T]) -> T:
    """Parse Jet's JSON (numbers exact, see :func:`~jet_orderhive.jet._wire_json.read_json`)
    and build ``cls`` from it; every problem is a ``JetPayloadError`` naming its JSON path."""
    try:
        data = read_json(text)
    except JsonProblems as exc:
        name = getattr(cls, "__name__", str(cls))
        count = f"{len(exc.errors)} problem" + ("s" if len(exc.errors) != 1 else "")
        raise JetPayloadError(
            f"cannot read {name}: the payload is not acceptable JSON ({count})",
            errors=exc.errors,
            model=name,
        ) from None
    return structure(data, cls)


def to_json(obj: object) -> str:
    """Write a model as compact JSON text, money as exact JSON numbers."""
    return dumps(unstructure(obj))


# --- error paths -------------------------------------------------------------------------------


def _wire_name(cls: object, attribute: str) -> str:
    if isinstance(cls, type) and attrs.has(cls):
        for field in attrs.fields(cls):
            if field.name == attribute:
                return str(field.metadata.get(WIRE, attribute))
    return attribute


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _describe(exc: BaseException, path: str) -> list[str]:
    if isinstance(exc, ClassValidationError):
        with_notes, without = exc.group_exceptions()
        lines: list[str] = []
        for inner, note in with_notes:
            lines.extend(_describe(inner, _join(path, _wire_name(exc.cl, note.name))))
        for inner in without:
            lines.extend(_describe(inner, path))
        return lines
    if isinstance(exc, IterableValidationError):
        indexed, plain = exc.group_exceptions()
        lines = []
        for inner, index_note in indexed:
            lines.extend(_describe(inner, f"{path}[{index_note.index}]"))
        for inner in plain:
            lines.extend(_describe(inner, path))
        return lines
    if isinstance(exc, BaseExceptionGroup):
        return [line for inner in exc.exceptions for line in _describe(inner, path)]
    message = _message(exc)
    return [f"{path}: {message}" if path else message]


def _message(exc: BaseException) -> str:
    if isinstance(exc, KeyError):
        return "required field is missing"
    if isinstance(exc, ForbiddenExtraKeysError):
        return f"unknown keys {sorted(exc.extra_fields)}"
    if isinstance(exc, (ValueError, TypeError)) and exc.args:
        return str(exc.args[0])
    return f"{type(exc).__name__}: {exc}"


# --- scalar hooks ------------------------------------------------------------------------------


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, int) and abs(value) >= 10**30:
        return f"a {len(str(abs(value)))}-digit number"
    if isinstance(value, Decimal) and value.is_finite() and len(value.as_tuple().digits) > 30:
        parts = value.as_tuple()
        return f"a number of {len(parts.digits)} digits (exponent {parts.exponent})"
    if isinstance(value, (int, Decimal, float)):
        return f"the number {value}"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "an array"
    return type(value).__name__


_SMALLEST_PLACE = Decimal(1).scaleb(-MAX_DECIMAL_PLACES)


def _structure_decimal(value: object, _: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        if isinstance(value, float):
            raise JetOrderhiveTypeError(
                f"expected an exact number, got the float {value!r}: a float has already lost "
                "exactness; read the JSON with jet_orderhive._json.loads (parse_float=Decimal)"
            )
        raise JetOrderhiveTypeError(f"expected a number, got {_kind(value)}")
    # A Decimal the reader made from the text is already exact and immutable: no copy.
    result = value if type(value) is Decimal else Decimal(value)
    if not result.is_finite():
        raise JetOrderhiveValueError(f"expected a finite number, got {value}")
    # Compare by digit count first: abs() of a number like 1e999999999 is cheap, but
    # formatting or quantizing it later is not.
    if result.adjusted() >= 10 or abs(result) > MAX_AMOUNT:
        raise JetOrderhiveValueError(
            f"expected a number between -{MAX_AMOUNT} and {MAX_AMOUNT}, got {_kind(value)}"
        )
    # Rounding to the allowed places changes only a number with more places than allowed
    # (trailing zeros aside); quantize() is about twice as fast as reading as_tuple()'s exponent.
    if result != result.quantize(_SMALLEST_PLACE):
        raise JetOrderhiveValueError(
            f"expected at most {MAX_DECIMAL_PLACES} decimal places, got {_kind(value)}"
        )
    return result


def _structure_int(value: object, _: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise JetOrderhiveTypeError(f"expected an integer, got {_kind(value)}")
    if abs(value) > MAX_INTEGER:
        raise JetOrderhiveValueError(
            f"expected an integer between -{MAX_INTEGER} and {MAX_INTEGER}, got {_kind(value)}"
        )
    return value


def _is_quantity(name: str) -> bool:
    """Jet names every count of units ``…quantity…`` or ``…_qty``."""
    return "quantity" in name or name.endswith("_qty")


def _structure_quantity(value: object, _: object) -> int:
    number = _structure_int(value, int)
    if not 0 <= number <= MAX_QUANTITY:
        raise JetOrderhiveValueError(
            f"expected a quantity from 0 to {MAX_QUANTITY}, got {_kind(number)}"
        )
    return number


def _structure_optional_quantity(value: object, _: object) -> int | None:
    return None if value is None else _structure_quantity(value, int)


def _structure_str(value: object, _: object) -> str:
    if not isinstance(value, str):
        raise JetOrderhiveTypeError(f"expected a string, got {_kind(value)}")
    return value


def _structure_bool(value: object, _: object) -> bool:
    if not isinstance(value, bool):
        raise JetOrderhiveTypeError(f"expected true or false, got {_kind(value)}")
    return value


def _structure_datetime(value: object, _: object) -> datetime:
    if not isinstance(value, str):
        raise JetOrderhiveTypeError(f"expected a date-time string, got {_kind(value)}")
    try:
        return parse_jet_datetime(value)
    except ValueError:
        raise JetOrderhiveValueError(f"expected a Jet date-time, got {value!r}") from None


def _unstructure_response_datetime(value: datetime) -> str:
    # Jet wrote its own timestamps in UTC with "Z"; any other offset is kept as it was read.
    if value.utcoffset() == timedelta(0):
        return format_jet_timestamp(value.astimezone(UTC))
    return format_request_datetime(value)


def _structure_enum(value: object, cls: type[JetEnum]) -> JetEnum:
    if not isinstance(value, str):
        raise JetOrderhiveTypeError(f"expected one of {cls.__name__}'s strings, got {_kind(value)}")
    return cls(value)


def _unstructure_enum(value: JetEnum) -> str:
    return str(value._value_)


# --- containers --------------------------------------------------------------------------------


def _is_homogeneous_tuple(tp: object) -> bool:
    args = typing.get_args(tp)
    return typing.get_origin(tp) is tuple and len(args) == 2 and args[1] is Ellipsis


def _tuple_hook(tp: Any, one_or_many: bool = False) -> Callable[[object, object], tuple[Any, ...]]:
    element = typing.get_args(tp)[0]
    found: list[Callable[[Any, Any], Any]] = []

    def hook(value: object, _: object) -> tuple[Any, ...]:
        if one_or_many and isinstance(value, Mapping):
            value = [value]
        if not isinstance(value, (list, tuple)):
            raise JetOrderhiveTypeError(f"expected an array, got {_kind(value)}")
        if not found:  # resolved lazily: a model's hook may still be under construction
            found.append(_converter.get_structure_hook(element))
        structure_item = found[0]
        items: list[Any] = []
        errors: list[Exception] = []
        for index, item in enumerate(value):
            try:
                items.append(structure_item(item, element))
            except Exception as exc:
                exc.add_note(IterableValidationNote(f"@ index {index}", index, element))
                errors.append(exc)
        if errors:
            raise IterableValidationError(f"While structuring {tp!r}", errors, tp)
        return tuple(items)

    return hook


def _tuple_factory(tp: Any) -> Callable[[object, object], tuple[Any, ...]]:
    return _tuple_hook(tp)


def _is_plain_optional(tp: object) -> bool:
    if typing.get_origin(tp) not in (typing.Union, types.UnionType):
        return False
    members = typing.get_args(tp)
    return len(members) == 2 and type(None) in members


def _optional_factory(tp: Any) -> Callable[[object, object], object]:
    """``X | None``: the hook for ``X`` is looked up once, not dispatched again per value."""
    inner = next(member for member in typing.get_args(tp) if member is not type(None))
    found: list[Callable[[Any, Any], object]] = []

    def hook(value: object, _: object) -> object:
        if value is None:
            return None
        if not found:  # resolved lazily: a model's hook may still be under construction
            found.append(_converter.get_structure_hook(inner))
        return found[0](value, inner)

    return hook


def _is_model_or_number_union(tp: object) -> bool:
    if typing.get_origin(tp) not in (typing.Union, types.UnionType):
        return False
    members = set(typing.get_args(tp)) - {type(None)}
    others = members - {Decimal}
    return Decimal in members and len(others) == 1 and attrs.has(next(iter(others)))


def _model_or_number_factory(tp: Any) -> Callable[[object, object], object]:
    members = typing.get_args(tp)
    model = next(m for m in members if m is not Decimal and m is not type(None))
    optional = type(None) in members

    def hook(value: object, _: object) -> object:
        if value is None and optional:
            return None
        if isinstance(value, Mapping):
            return _converter.structure(value, model)
        return _structure_decimal(value, Decimal)

    return hook


# --- models ------------------------------------------------------------------------------------


def _is_model(tp: object) -> bool:
    return isinstance(tp, type) and issubclass(tp, JetModel) and attrs.has(tp)


def _model_structure_factory(cls: Any) -> Callable[[object, object], object]:
    fields = attrs.fields(attrs.resolve_types(cls))
    overrides: dict[str, Any] = {}
    known: set[str] = set()
    aliases: list[tuple[str, tuple[str, ...]]] = []
    keeps_extra = False
    for field in fields:
        if field.name == "extra":
            keeps_extra = True
            overrides["extra"] = override(omit=True)
            continue
        wire = str(field.metadata.get(WIRE, field.name))
        known.add(wire)
        alternates = tuple(field.metadata.get(ALIASES, ()))
        if alternates:
            aliases.append((wire, alternates))
            known.update(alternates)
        field_hook: Callable[[object, object], object] | None = None
        if field.metadata.get(ONE_OR_MANY):
            field_hook = _one_or_many_hook(field.type)
        elif _is_quantity(field.name) and field.type is int:
            field_hook = _structure_quantity
        elif _is_quantity(field.name) and field.type == int | None:
            field_hook = _structure_optional_quantity
        if wire != field.name or field_hook is not None:
            overrides[field.name] = override(rename=wire, struct_hook=field_hook)
    # Jet rejected unknown keys in request bodies, so reading one back is just as strict.
    strict = bool(getattr(cls, "_jet_request", False))
    base = make_dict_structure_fn(cls, _converter, _cattrs_forbid_extra_keys=strict, **overrides)
    normalise: Callable[[object], object] | None = getattr(cls, "_jet_normalise", None)

    def structure_model(value: object, _: object) -> object:
        if normalise is not None:
            value = normalise(value)
        if type(value) is not dict and not isinstance(value, Mapping):
            raise JetOrderhiveTypeError(f"expected a JSON object, got {_kind(value)}")
        if aliases:
            value = dict(value)
            for wire, alternates in aliases:
                if value.get(wire) is None:
                    for alternate in alternates:
                        if value.get(alternate) is not None:
                            value[wire] = value[alternate]
                            break
        obj = base(value, cls)
        if keeps_extra:
            extra = {key: item for key, item in value.items() if key not in known}
            if extra:
                # Set on the instance just built, before anyone holds it: evolve() would run
                # every field's validator a second time.
                object.__setattr__(obj, "extra", extra)
        return obj

    return structure_model


def _one_or_many_hook(tp: Any) -> Callable[[object, object], object]:
    members = [m for m in typing.get_args(tp) if m is not type(None)]
    tuple_type = (
        tp if _is_homogeneous_tuple(tp) else next(m for m in members if _is_homogeneous_tuple(m))
    )
    inner = _tuple_hook(tuple_type, one_or_many=True)
    optional = type(None) in typing.get_args(tp)

    def hook(value: object, _: object) -> object:
        if value is None and optional:
            return None
        return inner(value, tuple_type)

    return hook


def _model_unstructure_factory(cls: Any) -> Callable[[object], dict[str, Any]]:
    overrides: dict[str, Any] = {}
    keeps_extra = False
    is_request = bool(getattr(cls, "_jet_request", False))
    for field in attrs.fields(attrs.resolve_types(cls)):
        if field.name == "extra":
            keeps_extra = True
            overrides["extra"] = override(omit=True)
            continue
        wire = field.metadata.get(WIRE)
        unstruct: Callable[[Any], Any] | None = None
        if is_request and _mentions_datetime(field.type):
            unstruct = format_request_datetime
        if wire is not None or unstruct is not None:
            overrides[field.name] = override(rename=wire, unstruct_hook=unstruct)
    base = make_dict_unstructure_fn(cls, _converter, _cattrs_omit_if_default=True, **overrides)

    def hook(obj: object) -> dict[str, Any]:
        result = base(obj)
        if keeps_extra:
            for key, item in getattr(obj, "extra", {}).items():
                result.setdefault(key, item)
        return result

    return hook


def _mentions_datetime(tp: object) -> bool:
    return tp is datetime or datetime in typing.get_args(tp)


def _make_converter() -> cattrs.Converter:
    converter = cattrs.Converter(detailed_validation=True, forbid_extra_keys=False)
    converter.register_structure_hook(Decimal, _structure_decimal)
    # Class hooks dispatch on the most specific class, so JetEnum (a str) wins over str.
    converter.register_structure_hook(int, _structure_int)
    converter.register_structure_hook(str, _structure_str)
    converter.register_structure_hook(bool, _structure_bool)
    converter.register_structure_hook(datetime, _structure_datetime)
    converter.register_unstructure_hook(Decimal, lambda value: value)
    converter.register_unstructure_hook(datetime, _unstructure_response_datetime)
    converter.register_structure_hook(JetEnum, _structure_enum)
    converter.register_unstructure_hook(JetEnum, _unstructure_enum)
    converter.register_structure_hook_factory(_is_homogeneous_tuple, _tuple_factory)
    converter.register_unstructure_hook_func(
        lambda tp: tp is tuple or _is_homogeneous_tuple(tp),
        lambda value: [_converter.unstructure(item) for item in value],
    )
    converter.register_structure_hook_factory(_is_plain_optional, _optional_factory)
    converter.register_structure_hook_factory(_is_model_or_number_union, _model_or_number_factory)
    converter.register_structure_hook_factory(_is_model, _model_structure_factory)
    converter.register_unstructure_hook_factory(_is_model, _model_unstructure_factory)
    return converter


_converter = _make_converter()


# --- the fast path -----------------------------------------------------------------------------
#
# Most payloads are well formed, and the careful converter spends most of its time on what makes
# its errors good: a try block and a note per field, a dispatch per value, a list of errors per
# object. For each response model, a structure function is generated here that reads the same
# keys with the same checks (and the same hooks where a check is not inlined), tracks no path,
# and gives up at the first surprise: any exception, including a type or shape it does not
# expect, makes `structure` read the payload again on the careful path, which then raises its
# path-qualified error (or, for a shape the fast path does not handle, builds the model itself).
# So the fast path only ever decides *how fast* a model is built, never *whether* or *what*.

_MISSING: Final = object()
_CENT: Final = Decimal("0.01")
#: Jet's own timestamp form, the one every order date has: read by ``fromisoformat`` alone.
_JET_UTC_TIMESTAMP: Final = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{7}Z"
)


class _GiveUp(Exception):
    """The fast path met something it does not check itself; the careful path reads it."""


#: Raised as a class, so each give-up is a fresh exception that holds no earlier traceback.
_GIVE_UP: Final = _GiveUp


_fast_fns: dict[object, Callable[[object], object] | None] = {}
_fast_building: set[object] = set()
_fast_lock = threading.RLock()


def _fast_structure_fn(cls: object) -> Callable[[object], object] | None:
    """The fast structure function of a response model, or ``None`` (careful path only)."""
    try:
        return _fast_fns[cls]
    except (KeyError, TypeError):
        pass
    # One builder at a time: a model under construction must not look, to another thread, like
    # a cycle (which would leave it on the careful path for good). Re-entrant for nested models.
    with _fast_lock:
        with contextlib.suppress(KeyError, TypeError):
            return _fast_fns[cls]
        fn: Callable[[object], object] | None = None
        if _is_model(cls) and cls not in _fast_building:
            _fast_building.add(cls)
            try:
                fn = _FastBuilder(cast(type, cls)).build()
            finally:
                _fast_building.discard(cls)
        with contextlib.suppress(TypeError):  # an unhashable type expression is not cached
            _fast_fns[cls] = fn
        return fn


def _plainly_built(cls: type) -> bool:
    """Whether ``cls.__init__`` does no more than store its arguments (and ``extra``'s fresh
    dict): no validators, converters or init hooks, so setting the slots builds the same."""
    if any(
        getattr(cls, hook, None) is not None
        for hook in ("__attrs_pre_init__", "__attrs_post_init__")
    ):
        return False
    for field in attrs.fields(cls):
        if field.validator is not None or field.converter is not None or not field.init:
            return False
        if field.name == "extra":
            if field.default != attrs.Factory(dict):
                return False
        elif isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
            return False
    return "__slots__" in cls.__dict__


#: How many levels of nested models one fast function builds itself (in its own body).
_INLINE_DEPTH: Final = 3


class _FastBuilder:
    """Writes one model's fast structure function as Python source."""

    def __init__(self, cls: type) -> None:
        self.cls = cls
        self.names: dict[str, object] = {
            "Decimal": Decimal,
            "_GIVE_UP": _GIVE_UP,
            "_MISSING": _MISSING,
            "datetime": datetime,
            "_C": _CENT,
            "_MI": MAX_INTEGER,
            "_MQ": MAX_QUANTITY,
            "_TS": _JET_UTC_TIMESTAMP.fullmatch,
            "_iso": datetime.fromisoformat,
            "_cls": cls,
            "_new": object.__new__,
            "_set": object.__setattr__,
        }
        self.counter = itertools.count()
        self.depth = 0

    def slot_setter(self, cls: type, field: str) -> str:
        """The name of a function that stores a slot: its descriptor's ``__set__`` (cheaper to
        call than ``object.__setattr__``), or ``object.__setattr__`` bound to the name."""
        slot = getattr(cls, field, None)
        if type(slot) is types.MemberDescriptorType:
            return self.name(slot.__set__, "set")
        return f"(lambda i, v: _set(i, {field!r}, v))"

    def name(self, value: object, hint: str) -> str:
        key = f"_{hint}{next(self.counter)}"
        self.names[key] = value
        return key

    def build(self) -> Callable[[object], object] | None:
        cls = self.cls
        body = self.model_lines(cls, "o", "i")
        if body is None:
            return None
        lines = ["def fast(o):", *("  " + line for line in body), "  return i"]
        source = "\n".join(lines) + "\n"
        namespace = dict(self.names)
        exec(compile(source, f"<jet fast structure {cls.__qualname__}>", "exec"), namespace)  # noqa: S102
        return cast(Callable[[object], object], namespace["fast"])

    def model_lines(self, cls: type, data: str, result: str) -> list[str] | None:
        """Lines that build ``cls`` from the dict named ``data`` into the variable ``result``,
        or ``None`` for a model read on the careful path only."""
        if (
            getattr(cls, "_jet_request", False)
            or getattr(cls, "_jet_normalise", None) is not None
            or any(field.metadata.get(ALIASES) for field in attrs.fields(cls))
        ):
            # Strict request bodies, aliases and reshaping are rare in answers: careful only.
            return None
        # Names of this model's own variables, distinct from those of a model it is inlined in.
        tag = next(self.counter)
        var = f"v{tag}"
        lines = [f"if type({data}) is not dict: raise _GIVE_UP"]
        known: set[str] = set()
        args: list[tuple[str, str]] = []
        keeps_extra = False
        for index, field in enumerate(attrs.fields(attrs.resolve_types(cls))):
            if field.name == "extra":
                keeps_extra = True
                continue
            wire = str(field.metadata.get(WIRE, field.name))
            known.add(wire)
            target = f"a{tag}_{index}"
            body = self.value_code(field, var, target)
            if body is None:
                return None
            if field.default is attrs.NOTHING:
                lines.append(f"{var} = {data}[{wire!r}]")
                lines.extend(body)
            elif field.default is None and body[0].startswith(f"if {var} is None: "):
                # An optional field: an absent key reads as its default, None, as null does.
                lines.append(f"{var} = {data}.get({wire!r})")
                lines.extend(body)
            else:
                lines.append(f"{var} = {data}.get({wire!r}, _MISSING)")
                if isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
                    if field.default.takes_self:
                        return None
                    default = self.name(field.default.factory, "factory") + "()"
                else:
                    default = self.name(field.default, "default")
                lines.append(f"if {var} is _MISSING: {target} = {default}")
                lines.append("else:")
                lines.extend("  " + line for line in body)
            args.append((field.name, target))
        known_name = self.name(frozenset(known), "known")
        extra = f"{{k: x for k, x in {data}.items() if k not in {known_name}}}"
        model = self.name(cls, "cls")
        if _plainly_built(cls):
            # What __init__ would do, without parsing a call's keywords: set each slot.
            lines.append(f"{result} = _new({model})")
            lines.extend(
                f"{self.slot_setter(cls, name)}({result}, {value})" for name, value in args
            )
            if keeps_extra:
                setter = self.slot_setter(cls, "extra")
                lines.append(
                    f"{setter}({result}, {{}} if {known_name}.issuperset({data}) else {extra})"
                )
        else:
            call = f"{model}({', '.join(f'{name}={value}' for name, value in args)}"
            if keeps_extra:
                lines.append(f"if {known_name}.issuperset({data}): {result} = {call})")
                lines.append(f"else: {result} = {call}, extra={extra})")
            else:
                lines.append(f"{result} = {call})")
        return lines

    def value_code(self, field: attrs.Attribute[Any], var: str, target: str) -> list[str] | None:
        tp = field.type
        if field.metadata.get(ONE_OR_MANY):
            return self.one_or_many_code(tp, var, target)
        if _is_quantity(field.name) and tp is int:
            return self.quantity_code(var, target)
        if _is_quantity(field.name) and tp == int | None:
            return self.optional(var, target, self.quantity_code(var, target))
        return self.type_code(tp, var, target)

    # Each scalar check accepts the common case inline and hands anything else to the careful
    # hook of the same type, which returns what it would have returned or raises.

    def quantity_code(self, var: str, target: str) -> list[str]:
        careful = self.name(_structure_quantity, "careful")
        return [
            f"if type({var}) is int and 0 <= {var} <= _MQ: {target} = {var}",
            f"else: {target} = {careful}({var}, int)",
        ]

    def optional(self, var: str, target: str, body: list[str] | None) -> list[str] | None:
        if body is None:
            return None
        return [f"if {var} is None: {target} = None", "else:", *("  " + line for line in body)]

    def type_code(self, tp: Any, var: str, target: str) -> list[str] | None:
        if tp is str or tp is bool:
            careful = self.name(_structure_str if tp is str else _structure_bool, "careful")
            return [
                f"if type({var}) is {tp.__name__}: {target} = {var}",
                f"else: {target} = {careful}({var}, None)",
            ]
        if tp is int:
            careful = self.name(_structure_int, "careful")
            return [
                f"if type({var}) is int and -_MI <= {var} <= _MI: {target} = {var}",
                f"else: {target} = {careful}({var}, int)",
            ]
        if tp is Decimal:
            # Below 10**9 in magnitude with exactly two places (cents, as Jet writes money) is
            # within every bound the careful hook checks; it returns such a Decimal as it is.
            careful = self.name(_structure_decimal, "careful")
            return [
                f"if type({var}) is Decimal and {var}.adjusted() < 9 and {var}.same_quantum(_C):",
                f"  {target} = {var}",
                f"else: {target} = {careful}({var}, Decimal)",
            ]
        if tp is datetime:
            careful = self.name(_structure_datetime, "careful")
            return [
                f"if type({var}) is str and _TS({var}) is not None: {target} = _iso({var})",
                f"else: {target} = {careful}({var}, datetime)",
            ]
        if isinstance(tp, type) and issubclass(tp, JetEnum):
            members = self.name(tp._value2member_map_, "members")
            careful = self.name(_structure_enum, "careful")
            enum = self.name(tp, "enum")
            return [
                f"{target} = {members}.get({var}) if type({var}) is str else None",
                f"if {target} is None: {target} = {careful}({var}, {enum})",
            ]
        if _is_model(tp):
            if self.depth < _INLINE_DEPTH:
                # Inlined: a nested object costs no call of its own.
                self.depth += 1
                try:
                    inlined = self.model_lines(tp, var, target)
                finally:
                    self.depth -= 1
                if inlined is not None:
                    return inlined
            return [f"{target} = {self.model_fn(tp)}({var})"]
        if _is_homogeneous_tuple(tp):
            return self.tuple_code(tp, var, target)
        if _is_model_or_number_union(tp):
            union = typing.get_args(tp)
            model = next(m for m in union if m is not Decimal and m is not type(None))
            decimal = self.type_code(Decimal, var, target)
            if decimal is None:
                return None
            lines = [
                f"if type({var}) is dict: {target} = {self.model_fn(model)}({var})",
                "else:",
                *("  " + line for line in decimal),
            ]
            return self.optional(var, target, lines) if type(None) in union else lines
        if _is_plain_optional(tp):
            inner = next(m for m in typing.get_args(tp) if m is not type(None))
            return self.optional(var, target, self.type_code(inner, var, target))
        return None

    def tuple_code(self, tp: Any, var: str, target: str) -> list[str] | None:
        element = typing.get_args(tp)[0]
        check = f"if type({var}) is not list and type({var}) is not tuple: raise _GIVE_UP"
        if _is_model(element) and self.depth < _INLINE_DEPTH:
            # Each element built in a loop of this function, not by a call per element.
            tag = next(self.counter)
            item_var, built, items = f"x{tag}", f"r{tag}", f"l{tag}"
            self.depth += 1
            try:
                inlined = self.model_lines(element, item_var, built)
            finally:
                self.depth -= 1
            if inlined is not None:
                return [
                    check,
                    f"{items} = []",
                    f"for {item_var} in {var}:",
                    *("  " + line for line in inlined),
                    f"  {items}.append({built})",
                    f"{target} = tuple({items})",
                ]
        if _is_model(element):
            item = self.model_fn(element)
        else:
            fn = self.element_fn(element)
            if fn is None:
                return None
            item = self.name(fn, "item")
        return [check, f"{target} = tuple([{item}(x) for x in {var}])"]

    def model_fn(self, model: type) -> str:
        """The name of a one-argument function that builds ``model``: its fast function, or
        (for a model read on the careful path only) its careful hook."""
        fn = _fast_structure_fn(model)
        if fn is None:
            careful = self.name(_converter.get_structure_hook(model), "careful")
            return f"(lambda x: {careful}(x, {self.name(model, 'cls')}))"
        return self.name(fn, "model")

    def element_fn(self, tp: Any) -> Callable[[object], object] | None:
        body = self.type_code(tp, "v", "r")
        if body is None:
            return None
        source = "def item(v):\n" + "".join(f"  {line}\n" for line in body) + "  return r\n"
        namespace = dict(self.names)
        exec(compile(source, f"<jet fast structure {tp!r}>", "exec"), namespace)  # noqa: S102
        return cast(Callable[[object], object], namespace["item"])

    def one_or_many_code(self, tp: Any, var: str, target: str) -> list[str] | None:
        members = typing.get_args(tp)
        tuple_type = (
            tp
            if _is_homogeneous_tuple(tp)
            else next(m for m in members if m is not type(None) and _is_homogeneous_tuple(m))
        )
        body = self.tuple_code(tuple_type, var, target)
        if body is None:
            return None
        body = [f"if type({var}) is dict: {var} = [{var}]", *body]
        return self.optional(var, target, body) if type(None) in members else body
