"""A services module has one job: none grows past 400 lines (STYLE.md, "Where code goes").

One that does becomes a package by job (`notifications/services/inbox.py`, `.../email.py`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAX_LINES = 400
# Not the project's code: the virtualenv, caches, and the tests themselves.
SKIPPED = {".venv", ".git", "node_modules", "tests", "__pycache__", "migrations"}


def services_modules(root: Path) -> list[Path]:
    """Every `services.py` and every module of a `services/` package under `root`."""
    found = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).parts
        if SKIPPED & set(parts[:-1]):
            continue
        if path.name == "services.py" or "services" in parts[:-1]:
            found.append(path)
    return found


def too_long(paths: list[Path], *, limit: int = MAX_LINES) -> dict[str, int]:
    lengths = {str(path): len(path.read_text(encoding="utf-8").splitlines()) for path in paths}
    return {name: count for name, count in lengths.items() if count > limit}


def test_the_project_has_services_modules_to_check():
    names = {str(path.relative_to(ROOT)) for path in services_modules(ROOT)}
    assert "accounts/services.py" in names
    assert "notifications/services/notify.py" in names


def test_no_services_module_is_longer_than_400_lines():
    assert too_long(services_modules(ROOT)) == {}


def test_a_services_module_of_401_lines_is_found(tmp_path):
    (tmp_path / "shop" / "services").mkdir(parents=True)
    (tmp_path / "shop" / "services" / "orders.py").write_text("x = 1\n" * 401)
    (tmp_path / "shop" / "services" / "small.py").write_text("x = 1\n" * 400)
    (tmp_path / "cart").mkdir()
    (tmp_path / "cart" / "services.py").write_text("x = 1\n" * 500)
    (tmp_path / "cart" / "views.py").write_text("x = 1\n" * 500)
    found = too_long(services_modules(tmp_path))
    assert set(found) == {
        str(tmp_path / "shop" / "services" / "orders.py"),
        str(tmp_path / "cart" / "services.py"),
    }


@pytest.mark.parametrize("folder", [".venv", "tests"])
def test_modules_outside_the_projects_code_are_not_counted(tmp_path, folder):
    (tmp_path / folder / "lib").mkdir(parents=True)
    (tmp_path / folder / "lib" / "services.py").write_text("x = 1\n" * 500)
    assert services_modules(tmp_path) == []
