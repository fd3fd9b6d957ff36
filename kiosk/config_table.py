"""Typed, bounded getters over one TOML table, shared by every config section parser.

Klipper-style (STYLE.md): each getter checks type and range, every message names the
file, the `[section]` and the key, and `finish()` refuses keys nobody read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from kiosk.errors import ConfigError

T = TypeVar("T")

REQUIRED: Any = object()  # a default meaning "this key must be given"

_KIND_NAMES: dict[object, str] = {
    str: "a string",
    int: "an integer",
    bool: "true or false",
    Mapping: "a table",
}


class Table:
    """One `[section]` of a config file; remembers which keys were read."""

    def __init__(
        self, file: str, name: str, table: object, error: type[ConfigError] = ConfigError
    ) -> None:
        self.error = error
        if not isinstance(table, Mapping):
            raise error(f"{file}: [{name}] must be a table, got {type(table).__name__}")
        self.file = file
        self.name = name
        self.table: Mapping[str, Any] = table
        self.used: set[str] = set()

    def where(self, key: str) -> str:
        return f"{self.file}: [{self.name}] {key}"

    def fail(self, key: str, problem: str) -> ConfigError:
        return self.error(f"{self.where(key)}: {problem}")

    def _get(self, key: str, kind: object, default: object) -> Any:
        self.used.add(key)
        if key not in self.table:
            if default is REQUIRED:
                raise self.fail(key, "missing (required)")
            return default
        value = self.table[key]
        if (isinstance(value, bool) and kind is not bool) or not isinstance(value, kind):  # type: ignore[arg-type]
            raise self.fail(key, f"expected {_KIND_NAMES.get(kind, kind)}, got {value!r}")
        return value

    def text(self, key: str, default: object = None, choices: tuple[str, ...] = ()) -> Any:
        value = self._get(key, str, default)
        if key in self.table and not value.strip():
            raise self.fail(key, "must not be empty")
        if choices and value is not None and value not in choices:
            raise self.fail(key, f"{value!r} is not one of {', '.join(choices)}")
        return value

    def integer(self, key: str, default: object, minval: int, maxval: int) -> int:
        value: int = self._get(key, int, default)
        if not minval <= value <= maxval:
            raise self.fail(key, f"{value} out of range {minval}..{maxval}")
        return value

    def flag(self, key: str, default: object) -> bool:
        value: bool = self._get(key, bool, default)
        return value

    def table_of(self, key: str, convert: Callable[[str, object], T]) -> dict[str, T]:
        raw = self._get(key, Mapping, {})
        return {k: convert(f"{self.where(key)}.{k}", v) for k, v in raw.items()}

    def finish(self, also_known: frozenset[str] = frozenset()) -> None:
        unknown = sorted(set(self.table) - self.used - also_known)
        if unknown:
            raise self.error(f"{self.file}: [{self.name}] unknown key(s): {', '.join(unknown)}")
