"""The layers of ARCHITECTURE.md hold: only examkiosk/ui imports Qt, hardware and sync stay
below examkiosk, and sync and hardware do not know each other."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADLESS = ["examkiosk/core", "examkiosk/store", "examkiosk/app", "sync", "hardware"]

BLOCK_QT = """
import importlib.abc, pkgutil, sys, importlib
class BlockQt(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('PySide6', 'shiboken6', 'PyQt5', 'PyQt6'):
            raise ImportError('Qt is blocked in headless code: ' + name)
        return None
sys.meta_path.insert(0, BlockQt())
failed = []
for top in ('examkiosk.core', 'examkiosk.store', 'examkiosk.app', 'sync', 'hardware'):
    package = importlib.import_module(top)
    for info in pkgutil.walk_packages(package.__path__, top + '.'):
        if info.name == 'examkiosk.app.launch':
            continue  # the one app module that opens the window; it imports the UI lazily
        try:
            importlib.import_module(info.name)
        except ImportError as exc:
            if 'Qt is blocked' in str(exc):
                failed.append(f'{info.name}: {exc}')
print('\\n'.join(failed))
sys.exit(1 if failed else 0)
"""


def test_headless_packages_import_with_qt_blocked() -> None:
    result = subprocess.run(
        [sys.executable, "-c", BLOCK_QT], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _violations(folder: str, forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        for name in _imports(path):
            if name.split(".")[0] in forbidden:
                found.append(f"{path.relative_to(ROOT)} imports {name}")
    return found


def test_hardware_imports_neither_examkiosk_nor_sync() -> None:
    assert _violations("hardware", ("examkiosk", "sync")) == []


def test_sync_imports_neither_examkiosk_nor_hardware() -> None:
    assert _violations("sync", ("examkiosk", "hardware")) == []


def test_only_ui_imports_qt() -> None:
    qt = ("PySide6", "shiboken6", "PyQt5", "PyQt6")
    found = []
    for folder in HEADLESS:
        found += _violations(folder, qt)
    assert found == []
