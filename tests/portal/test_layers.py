"""Nothing climbs upward: no app imports an app above it in the layering (README, "Where
things are"). Every import line counts, inside functions too; only `if TYPE_CHECKING:` blocks
(annotations) and migrations do not."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Bottom to top: an app imports only the apps before it in this list.
LAYERS = (
    "portal",
    "outbox",
    "staff",
    "accounts",
    "notifications",
    "subscriptions",
    "billing",
    "orders",
    "eligibility",
    "verification",
    "support",
    "crm",
    "dashboard",
    "workspace",
    "bench",
)

# The project's root modules put every app together, so they may import any of them.
COMPOSITION_ROOTS = frozenset(
    {"portal.settings", "portal.urls", "portal.asgi", "portal.wsgi", "portal.celery"}
)

# (module, the app above it that it imports): why it may.
ALLOWED: dict[tuple[str, str], str] = {}


@dataclass(frozen=True)
class Climb:
    path: str
    line: int
    module: str  # the importing module
    imported: str  # the module it names

    @property
    def app(self) -> str:
        return self.imported.split(".")[0]

    def __str__(self) -> str:
        return f"{self.path}:{self.line} imports {self.imported}"


def module_name(path: str) -> tuple[str, bool]:
    """`accounts/tokens.py` -> ("accounts.tokens", False); a package's `__init__.py` -> True."""
    parts = list(Path(path).with_suffix("").parts)
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


class _Imports(ast.NodeVisitor):
    def __init__(self, *, module: str, is_package: bool) -> None:
        self.package = module if is_package else module.rpartition(".")[0]
        self.found: list[tuple[int, str]] = []

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            for child in node.orelse:  # the `else:` of TYPE_CHECKING runs
                self.visit(child)
            return
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        self.found += [(node.lineno, alias.name) for alias in node.names]

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            base = self.package.split(".")
            base = base[: len(base) - (node.level - 1)]
            name = ".".join([*base, *([node.module] if node.module else [])])
        else:
            name = node.module or ""
        self.found.append((node.lineno, name))


def imports_of(source: str, *, module: str, is_package: bool = False) -> list[tuple[int, str]]:
    """(line, module named) for every import that runs, at module level or in a function."""
    visitor = _Imports(module=module, is_package=is_package)
    visitor.visit(ast.parse(source))
    return visitor.found


def find_climbs(
    sources: Mapping[str, str],
    *,
    layers: tuple[str, ...] = LAYERS,
    roots: frozenset[str] = COMPOSITION_ROOTS,
) -> list[Climb]:
    """Every import from an app to one above it, in sources given by path (`app/x.py`)."""
    rank = {app: position for position, app in enumerate(layers)}
    climbs = []
    for path, source in sorted(sources.items()):
        parts = Path(path).parts
        if parts[0] not in rank or "migrations" in parts:
            continue
        module, is_package = module_name(path)
        if module in roots:
            continue
        for line, imported in imports_of(source, module=module, is_package=is_package):
            app = imported.split(".")[0]
            if app in rank and rank[app] > rank[parts[0]]:
                climbs.append(Climb(path=path, line=line, module=module, imported=imported))
    return climbs


def unexpected(climbs: list[Climb], allowed: dict[tuple[str, str], str] = ALLOWED) -> list[Climb]:
    return [climb for climb in climbs if (climb.module, climb.app) not in allowed]


def top_level_packages() -> list[str]:
    return sorted(
        path.parent.name
        for path in ROOT.glob("*/__init__.py")
        if path.parent.name != "tests" and not path.parent.name.startswith(".")
    )


def project_sources() -> dict[str, str]:
    return {
        str(path.relative_to(ROOT)): path.read_text(encoding="utf-8")
        for package in top_level_packages()
        for path in sorted((ROOT / package).rglob("*.py"))
    }


# --- The project --------------------------------------------------------------------------


def test_no_app_imports_an_app_above_it() -> None:
    climbs = unexpected(find_climbs(project_sources()))
    assert not climbs, "Imports that climb the layers (README, Where things are):\n" + "\n".join(
        map(str, climbs)
    )


def test_every_exception_is_still_needed() -> None:
    found = {(climb.module, climb.app) for climb in find_climbs(project_sources())}
    stale = sorted(ALLOWED.keys() - found)
    assert not stale, f"No longer imported, remove from ALLOWED: {stale}"


def test_every_app_has_its_place_in_the_layers() -> None:
    assert set(top_level_packages()) <= set(LAYERS)


def test_a_new_climb_in_the_project_fails_the_check() -> None:
    sources = project_sources()
    sources["accounts/new_module.py"] = "def f():\n    from workspace import selectors\n"
    assert "accounts/new_module.py:2 imports workspace" in map(
        str, unexpected(find_climbs(sources))
    )


# --- The checker, on a few made-up modules -------------------------------------------------

FAKE_LAYERS = ("low", "middle", "high")


def fake_climbs(sources: dict[str, str]) -> list[str]:
    return [
        str(climb)
        for climb in find_climbs(sources, layers=FAKE_LAYERS, roots=frozenset({"low.root"}))
    ]


def test_imports_down_and_within_an_app_and_from_outside_the_project_are_fine() -> None:
    assert not fake_climbs(
        {
            "high/a.py": "import low.x\nfrom middle import y\nfrom high.b import c\n",
            "middle/b.py": "from django.db import models\nimport os\n",
        }
    )


@pytest.mark.parametrize(
    "source",
    [
        "from high import views\n",
        "import high.views\n",
        "import os, high.views\n",
        "def f():\n    from high.views import page\n",
        "class A:\n    def f(self):\n        if True:\n            import high\n",
        "try:\n    from high import x\nexcept ImportError:\n    pass\n",
    ],
)
def test_an_import_upward_is_a_climb_wherever_it_is_written(source: str) -> None:
    assert len(fake_climbs({"middle/a.py": source})) == 1


def test_type_checking_imports_do_not_count_but_their_else_does() -> None:
    source = (
        "import typing\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from high import a\n"
        "if typing.TYPE_CHECKING:\n    from high import b\n"
        "else:\n    from high import c\n"
    )
    assert fake_climbs({"middle/a.py": source}) == ["middle/a.py:8 imports high"]


def test_relative_imports_are_resolved_from_the_module_and_from_a_package() -> None:
    assert not fake_climbs({"middle/sub/a.py": "from . import b\nfrom .. import c\n"})
    assert not fake_climbs({"middle/sub/__init__.py": "from . import b\nfrom .c import d\n"})
    assert not fake_climbs({"high/a.py": "from . import b\n", "low/a.py": "from .b import c\n"})


def test_migrations_and_composition_roots_are_not_checked() -> None:
    assert not fake_climbs(
        {
            "low/migrations/0001_initial.py": "from high import x\n",
            "low/root.py": "from high import urls\n",
        }
    )
    assert fake_climbs({"low/other.py": "from high import urls\n"}) == [
        "low/other.py:1 imports high"
    ]


def test_an_excepted_climb_is_only_that_module_and_app() -> None:
    climbs = find_climbs(
        {
            "notifications/services.py": "from billing.models import Invoice\n",
            "notifications/other.py": "from billing.models import Invoice\n",
            "accounts/services.py": "from billing.models import Invoice\n",
        }
    )
    allowed = {("notifications.services", "billing"): "an example"}
    assert [str(climb) for climb in unexpected(climbs, allowed)] == [
        "accounts/services.py:1 imports billing.models",
        "notifications/other.py:1 imports billing.models",
    ]
