"""The layout's import rules (SPEC section 2), enforced on the source text."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Modules that do I/O, keep time or draw randomness: never in the pure domain.
IMPURE = {
    "sqlite3",
    "sqlite_utils",
    "serial",
    "evdev",
    "kivy",
    "paho",
    "socket",
    "subprocess",
    "threading",
    "asyncio",
    "os",
    "io",
    "time",
    "random",
    "uuid",
    "urllib.request",
    "http",
    "requests",
    "escpos",
    "cv2",
    "zxingcpp",
    "PIL",
    "logging",
    "pathlib",
    "shutil",
    "tempfile",
}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def files(package: str) -> list[Path]:
    found = sorted((ROOT / package).rglob("*.py"))
    assert found, f"no Python files under {package}"
    return found


@pytest.mark.parametrize("path", files("drivers"), ids=lambda p: str(p.relative_to(ROOT)))
def test_drivers_import_nothing_of_ours(path: Path) -> None:
    ours = {"kiosk", "sync", "provisioning"}
    bad = {name for name in imports_of(path) if name.split(".")[0] in ours}
    assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


@pytest.mark.parametrize("path", files("kiosk/domain"), ids=lambda p: str(p.relative_to(ROOT)))
def test_domain_imports_nothing_with_io(path: Path) -> None:
    names = imports_of(path)
    bad = {name for name in names if name in IMPURE or name.split(".")[0] in IMPURE}
    shell = {
        name
        for name in names
        if name.startswith("kiosk.") and not name.startswith(("kiosk.domain", "kiosk.errors"))
    }
    assert not bad, f"{path.relative_to(ROOT)} imports I/O modules {sorted(bad)}"
    assert not shell, f"{path.relative_to(ROOT)} imports the shell {sorted(shell)}"


def test_the_rules_catch_a_violation(tmp_path: Path) -> None:
    sample = tmp_path / "bad.py"
    sample.write_text("import sqlite3\nfrom kiosk.store import journal\n", encoding="utf-8")
    assert imports_of(sample) == {"sqlite3", "kiosk.store"}
