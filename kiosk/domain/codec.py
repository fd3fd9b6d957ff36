"""One JSON form for the domain's frozen dataclasses (journal events, sale records).

Written by hand because the types are ours and small: dataclasses, enums, tuples,
dicts, datetimes, dates, Fractions and Money. Decoding is driven by the type hints,
so a journal written today is read back into the same types tomorrow; unknown or
missing fields are a `CodecError` naming the type and field. Datetimes keep their
instant and UTC offset (ISO 8601), not a zone name.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import types
import typing
from collections.abc import Callable, Mapping
from datetime import date, datetime
from fractions import Fraction
from typing import Any, TypeVar

from kiosk.errors import KioskError

T = TypeVar("T")


class CodecError(KioskError):
    """A stored document does not match the type it should decode to."""


def to_jsonable(value: object) -> Any:
    """Turn a domain value into plain JSON types (dict, list, str, int, bool, None)."""
    encode = _ENCODERS.get(type(value))
    if encode is None:
        encode = _ENCODERS[type(value)] = _encoder_for(type(value))
    return encode(value)


# One encoder per concrete type, worked out on first sight: the journal encodes an event
# on every scan, and walking the isinstance chain (an ABC check for Mapping among them)
# for each of an event's ~30 values was most of the cost of appending it.
_ENCODERS: dict[type, Callable[[Any], Any]] = {}


def _encoder_for(cls: type) -> Callable[[Any], Any]:
    # The order of the checks is the order of the rules: bool/int/str subclasses (IntEnum,
    # StrEnum) stay as they are, like plain values.
    if cls is type(None) or issubclass(cls, bool | int | str):
        return _as_is
    if issubclass(cls, enum.Enum):
        return _enum_value
    if issubclass(cls, datetime | date):
        return _isoformat
    if issubclass(cls, Fraction):
        return _fraction
    if dataclasses.is_dataclass(cls):
        names = tuple(f.name for f in _fields(cls))
        return lambda value: {name: to_jsonable(getattr(value, name)) for name in names}
    if issubclass(cls, Mapping):
        return _mapping
    if issubclass(cls, frozenset | set):
        return lambda value: [to_jsonable(v) for v in sorted(value)]
    if issubclass(cls, tuple | list):
        return lambda value: [to_jsonable(v) for v in value]
    return functools.partial(_cannot_encode, cls.__name__)


def _as_is(value: Any) -> Any:
    return value


def _enum_value(value: enum.Enum) -> Any:
    return value.value


def _isoformat(value: date) -> str:
    return value.isoformat()


def _fraction(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}"


def _mapping(value: Mapping[Any, Any]) -> dict[str, Any]:
    return {str(k): to_jsonable(v) for k, v in value.items()}


def _cannot_encode(name: str, _value: Any) -> Any:
    raise CodecError(f"cannot encode {name} to JSON")


def from_jsonable(tp: type[T], data: Any) -> T:
    """Rebuild a value of type `tp` from `to_jsonable` output."""
    return typing.cast(T, _decode(tp, data, tp.__name__))


@functools.cache
def _fields(cls: type) -> tuple[dataclasses.Field[Any], ...]:
    return dataclasses.fields(cls)


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _decode(tp: Any, data: Any, where: str) -> Any:
    origin = typing.get_origin(tp)
    if tp is Any:
        return data
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if data is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _decode(arg, data, where)
            except (CodecError, TypeError, ValueError) as exc:
                errors.append(str(exc))
        raise CodecError(f"{where}: no type of {tp} fits: {'; '.join(errors)}")
    if origin is typing.Literal:
        if data not in typing.get_args(tp):
            raise CodecError(f"{where}: {data!r} is not one of {typing.get_args(tp)}")
        return data
    if origin is tuple:
        args = typing.get_args(tp)
        _expect(data, list, where)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(args[0], v, f"{where}[{i}]") for i, v in enumerate(data))
        return tuple(
            _decode(a, v, f"{where}[{i}]") for i, (a, v) in enumerate(zip(args, data, strict=False))
        )
    if origin is frozenset:
        (arg,) = typing.get_args(tp)
        _expect(data, list, where)
        return frozenset(_decode(arg, v, where) for v in data)
    if origin in (dict, Mapping):
        key_tp, val_tp = typing.get_args(tp)
        _expect(data, dict, where)
        return {
            _decode(key_tp, k, where): _decode(val_tp, v, f"{where}.{k}") for k, v in data.items()
        }
    if isinstance(tp, type):
        return _decode_class(tp, data, where)
    raise CodecError(f"{where}: unsupported type {tp!r}")


def _decode_class(tp: type, data: Any, where: str) -> Any:
    if tp is bool:
        _expect(data, bool, where)
        return data
    if tp is int:
        if isinstance(data, bool) or not isinstance(data, int):
            raise CodecError(f"{where}: expected an integer, got {data!r}")
        return data
    if tp is str:
        _expect(data, str, where)
        return data
    if issubclass(tp, enum.Enum):
        try:
            return tp(data)
        except ValueError:
            raise CodecError(f"{where}: {data!r} is not a {tp.__name__}") from None
    if tp is datetime:
        _expect(data, str, where)
        return datetime.fromisoformat(data)
    if tp is date:
        _expect(data, str, where)
        return date.fromisoformat(data)
    if tp is Fraction:
        _expect(data, str, where)
        return Fraction(data)
    if dataclasses.is_dataclass(tp):
        _expect(data, dict, where)
        hints = _hints(tp)
        names = {f.name for f in _fields(tp) if f.init}
        unknown = set(data) - names
        if unknown:
            raise CodecError(f"{where}: unknown field(s) {sorted(unknown)} for {tp.__name__}")
        kwargs = {
            name: _decode(hints[name], data[name], f"{where}.{name}")
            for name in names
            if name in data
        }
        try:
            return tp(**kwargs)
        except TypeError as exc:
            raise CodecError(f"{where}: {exc}") from None
    raise CodecError(f"{where}: unsupported type {tp.__name__}")


def _expect(data: Any, kind: type, where: str) -> None:
    if not isinstance(data, kind):
        raise CodecError(f"{where}: expected {kind.__name__}, got {type(data).__name__}")
