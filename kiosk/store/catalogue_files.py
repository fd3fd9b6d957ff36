"""Reading catalogue export files record by record: CSV, a JSON document, JSON Lines.

Every reader yields `(line, Item)` for a good record and `(line, problems)` for a bad
one, so an import can report every problem of a file in one go, each on its line; a
bad byte, a broken quote or a JSON syntax error is reported where it is.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from kiosk.domain.catalogue import Item
from kiosk.store.catalogue_rows import (
    CSV_COLUMN_SET,
    CSV_COLUMNS,
    NAME_COLUMNS,
    REQUIRED_CSV_COLUMNS,
    CatalogueImportError,
    ImportProblem,
    RowCheck,
    csv_item,
    parse_json_item,
    shown_name,
)

JSON_FORMAT = "kiosk-catalogue"
JSON_FORMAT_VERSION = 1

Record = tuple[int, Item | list[ImportProblem]]


def _utf8_lines(stream: Iterable[bytes], where: list[int]) -> Iterator[str]:
    """Decode line by line, so that a bad byte is reported on its own line."""
    for number, raw in enumerate(stream, start=1):
        where[0] = number
        text = raw.decode("utf-8")
        yield text.removeprefix("\ufeff") if number == 1 else text  # Excel's byte-order mark


def _read_csv(path: Path, source: str) -> Iterator[Record]:
    with path.open("rb") as stream:
        physical = [0]
        reader = csv.reader(_utf8_lines(stream, physical), strict=True)
        positions: list[int] | None = None
        width = 0
        line = 1
        seen_header = False
        try:
            for cells in reader:
                start, line = line, reader.line_num + 1
                if not cells or (len(cells) == 1 and not cells[0].strip()):
                    continue  # blank line
                if positions is None:
                    seen_header = True
                    header = [cell.strip() for cell in cells]
                    problems = _check_header(header, source, start)
                    if problems:
                        yield start, problems
                    if any(problem.field == "header" for problem in problems):
                        return
                    positions = [header.index(c) if c in header else -1 for c in CSV_COLUMNS]
                    width = len(header)
                    continue
                check = RowCheck(source, start)
                if len(cells) != width:
                    reason = f"has {len(cells)} fields, the header has {width}"
                    check.fail("row", reason + " (quote fields that contain commas)")
                    yield start, check.problems
                    continue
                values = [cells[i].strip() if i >= 0 else "" for i in positions]
                try:
                    yield start, csv_item(values, check)
                except CatalogueImportError as exc:
                    yield start, list(exc.problems)
        except UnicodeDecodeError as exc:
            reason = f"not UTF-8 ({exc.reason}); save the export as CSV UTF-8"
            yield physical[0], [ImportProblem(source, physical[0], "encoding", reason)]
            return
        except csv.Error as exc:
            yield line, [ImportProblem(source, line, "csv", str(exc))]
            return
        if not seen_header:
            yield 0, [ImportProblem(source, 0, "header", "file is empty")]


def _check_header(header: list[str], source: str, line: int) -> list[ImportProblem]:
    problems = [
        ImportProblem(
            source, line, shown_name(column), f"unknown column; known: {', '.join(CSV_COLUMNS)}"
        )
        for column in header
        if column not in CSV_COLUMN_SET
    ]
    duplicates = sorted({c for c in header if header.count(c) > 1})
    missing = [c for c in REQUIRED_CSV_COLUMNS if c not in header]
    if not any(column in header for column in NAME_COLUMNS.values()):
        missing.append(" or ".join(NAME_COLUMNS.values()))
    if duplicates:
        problems.append(ImportProblem(source, line, "header", f"duplicate columns {duplicates}"))
    if missing:
        problems.append(ImportProblem(source, line, "header", f"missing columns {missing}"))
    return problems


def _read_json_lines(path: Path, source: str) -> Iterator[Record]:
    with path.open(encoding="utf-8-sig") as stream:
        line = 0
        try:
            for line, text in enumerate(stream, start=1):
                if text.strip():
                    yield line, _json_item(text, source, line)
        except UnicodeDecodeError as exc:
            reason = f"not UTF-8 ({exc.reason})"
            yield line + 1, [ImportProblem(source, line + 1, "encoding", reason)]


def _json_item(text: str, source: str, line: int) -> Item | list[ImportProblem]:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        return [ImportProblem(source, line, "json", exc.msg)]
    return _json_object_item(obj, source, line)


def _json_object_item(obj: object, source: str, line: int) -> Item | list[ImportProblem]:
    try:
        return parse_json_item(obj, source=source, line=line)
    except CatalogueImportError as exc:
        return list(exc.problems)


_WS = re.compile(r"[ \t\n\r]*")


class _JsonScanner:
    """Walks `{"format": ..., "version": ..., "items": [...]}` one item at a time.

    `json.load` gives no line numbers; scanning the top level by hand and decoding each
    item with `raw_decode` tells on which line every item starts.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self._decoder = json.JSONDecoder()
        self._line, self._line_pos = 1, 0

    def line(self) -> int:
        self._line += self.text.count("\n", self._line_pos, self.pos)
        self._line_pos = self.pos
        return self._line

    def skip(self) -> str:
        """Skip white space; the next character, or "" at the end."""
        match = _WS.match(self.text, self.pos)
        self.pos = match.end() if match else self.pos
        return self.text[self.pos : self.pos + 1]

    def expect(self, chars: str) -> str:
        found = self.skip()
        if not found or found not in chars:
            what = repr(found) if found else "end of file"
            raise json.JSONDecodeError(
                f"expected one of {chars!r}, found {what}", self.text, self.pos
            )
        self.pos += 1
        return found

    def value(self) -> object:
        self.skip()
        value, self.pos = self._decoder.raw_decode(self.text, self.pos)
        return value


def _read_json_document(path: Path, source: str) -> Iterator[Record]:
    try:
        scan = _JsonScanner(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as exc:
        yield 0, [ImportProblem(source, 0, "encoding", f"not UTF-8 ({exc.reason})")]
        return
    header: dict[str, object] = {}
    seen_items = False
    try:
        scan.expect("{")
        closed = scan.skip() == "}"
        if closed:
            scan.pos += 1
        while not closed:
            key = scan.value()
            if not isinstance(key, str):
                raise json.JSONDecodeError("expected a key string", scan.text, scan.pos)
            scan.expect(":")
            if key == "items":
                seen_items = True
                scan.expect("[")
                end = scan.skip() == "]"
                if end:
                    scan.pos += 1
                index = 0
                while not end:
                    scan.skip()
                    line = scan.line()
                    item = _json_object_item(scan.value(), source, line)
                    if isinstance(item, list):  # name the item too: minified JSON is one line
                        item = [
                            ImportProblem(p.source, p.line, f"items[{index}].{p.field}", p.reason)
                            for p in item
                        ]
                    yield line, item
                    index += 1
                    end = scan.expect(",]") == "]"
            else:
                header[key] = scan.value()
            closed = scan.expect(",}") == "}"
        if scan.skip():
            raise json.JSONDecodeError("extra data after the document", scan.text, scan.pos)
    except json.JSONDecodeError as exc:
        yield exc.lineno, [ImportProblem(source, exc.lineno, "json", exc.msg)]
        return
    problems = [
        ImportProblem(
            source, 1, shown_name(key), "unknown top-level key; known: format, version, items"
        )
        for key in sorted(header.keys() - {"format", "version"})
    ]
    if header.get("format") != JSON_FORMAT or header.get("version") != JSON_FORMAT_VERSION:
        reason = f'must say "format": "{JSON_FORMAT}", "version": {JSON_FORMAT_VERSION}'
        problems.append(ImportProblem(source, 1, "format", reason))
    if not seen_items:
        problems.append(ImportProblem(source, 1, "items", "missing"))
    if problems:
        yield 1, problems


_READERS: dict[str, Callable[[Path, str], Iterator[Record]]] = {
    ".csv": _read_csv,
    ".json": _read_json_document,
    ".jsonl": _read_json_lines,
    ".ndjson": _read_json_lines,
}


def read_catalogue(src: Path) -> Iterator[tuple[int, Item | list[ImportProblem]]]:
    """Every record of an export in order: (line, Item) or (line, its problems).

    Checks each record on its own; uniqueness across records is checked by the import.
    Raises CatalogueImportError if the file cannot be read at all.
    """
    reader = _READERS.get(src.suffix.lower())
    if reader is None:
        reason = f"unknown file type {src.suffix!r}; use {', '.join(_READERS)}"
        raise CatalogueImportError([ImportProblem(src.name, 0, "file", reason)])
    if not src.is_file():
        reason = "does not exist" if not src.exists() else "is not a file"
        raise CatalogueImportError([ImportProblem(str(src), 0, "file", reason)])
    return reader(src, src.name)
