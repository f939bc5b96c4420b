"""keys/ imports nothing from gateway/, scanner/, web/ nor any web framework; scanner/ never imports gateway/."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
WEB_FRAMEWORKS = {"aiohttp", "aiohttp_jinja2", "jinja2", "flask", "django", "fastapi", "starlette",
                  "tornado", "sanic", "bottle", "quart", "aiosqlite", "sqlite3", "cv2", "pyzbar", "zxingcpp"}


def _imports(path: Path) -> set[str]:
    """Top-level names of every module a file imports (relative imports resolved within its package)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = path.parent.relative_to(ROOT).parts
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                names.add(base[0] if base else "")
            elif node.module:
                names.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in (
                "import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant):
            names.add(str(node.args[0].value).split(".")[0])
    return names


def _files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def test_the_scanner_finds_imports() -> None:
    assert {"cbor2", "keys"} <= _imports(ROOT / "keys" / "passes.py")
    assert "keys" in _imports(ROOT / "keys" / "decide.py")  # `from .passes import ...`


def test_keys_depends_on_no_other_package_and_no_web_framework() -> None:
    files = _files("keys")
    assert len(files) >= 10
    for path in files:
        # the QR writer is zxing-cpp's (Zint, C++): render.py alone may import it, the rest of keys/ stays pure
        allowed = {"zxingcpp"} if path == ROOT / "keys" / "render.py" else set()
        bad = _imports(path) & ({"gateway", "scanner", "web"} | WEB_FRAMEWORKS) - allowed
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_scanner_never_imports_gateway() -> None:
    for path in _files("scanner"):  # written concurrently: passes on whatever exists
        assert "gateway" not in _imports(path), f"{path.relative_to(ROOT)} imports gateway"
