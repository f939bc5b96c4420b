"""The import direction of the packages: qrgate (the composition root) → web → gateway → keys.

`web` may use the gateway's domain; the gateway never imports `web` (nor the root above both),
so the API runs, and is tested, without any page; the root is the only module that knows both.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {"keys": {"gateway", "web", "scanner", "qrgate"}, "gateway": {"web", "qrgate", "scanner"},
             "web": {"qrgate", "scanner"}, "scanner": {"gateway", "web", "qrgate"}}


def imported_packages(path: Path) -> set[str]:
    """Top-level packages a file imports, relative imports resolved, lazy imports included."""
    package = path.parent.relative_to(ROOT).parts
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                names.add(package[0])
            elif node.module:
                names.add(node.module.split(".")[0])
    return names


def test_the_checker_sees_lazy_and_relative_imports(tmp_path: Path) -> None:
    assert "web" in imported_packages(ROOT / "qrgate" / "app.py")
    assert "gateway" in imported_packages(ROOT / "gateway" / "app.py")  # `from .api.routes import ...`


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_package_imports_a_layer_above_it(package: str) -> None:
    wrong = {str(p.relative_to(ROOT)): sorted(imported_packages(p) & FORBIDDEN[package])
             for p in sorted((ROOT / package).rglob("*.py"))}
    assert {k: v for k, v in wrong.items() if v} == {}
