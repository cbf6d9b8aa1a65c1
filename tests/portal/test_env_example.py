"""`.env.example` lists every variable the settings read, and only those (STYLE.md)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ROOT / "portal" / "settings.py"
EXAMPLE = ROOT / ".env.example"

# `NAME=value`, or `# NAME=value` for a variable whose empty value would mean something else.
_LISTED = re.compile(r"^#?\s*([A-Z][A-Z0-9_]*)=", re.MULTILINE)


def _name(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _is_environ(node: ast.expr) -> bool:
    """`os.environ`, or `environ` imported from os."""
    if isinstance(node, ast.Attribute):
        return node.attr == "environ" and isinstance(node.value, ast.Name)
    return isinstance(node, ast.Name) and node.id == "environ"


def variables_read(source: str) -> set[str]:
    """Every name read through `env(...)`, `env.<cast>(...)`, `os.environ` or `os.getenv`."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        name = None
        if isinstance(node, ast.Call) and node.args:
            func = node.func
            if isinstance(func, ast.Name) and func.id in {"env", "getenv"}:
                name = _name(node.args[0])
            elif isinstance(func, ast.Attribute):
                owner = func.value
                if (
                    (isinstance(owner, ast.Name) and owner.id == "env")
                    or (isinstance(owner, ast.Name) and owner.id == "os" and func.attr == "getenv")
                    or (_is_environ(owner) and func.attr in {"get", "pop", "setdefault"})
                ):
                    name = _name(node.args[0])
        elif isinstance(node, ast.Subscript) and _is_environ(node.value):
            name = _name(node.slice)
        if name is not None:
            names.add(name)
    return names


def variables_listed(text: str) -> set[str]:
    return set(_LISTED.findall(text))


def test_every_variable_the_settings_read_is_in_env_example() -> None:
    missing = variables_read(SETTINGS.read_text()) - variables_listed(EXAMPLE.read_text())
    assert not missing, f"add to .env.example, with a comment and a safe default: {missing}"


def test_every_variable_in_env_example_is_read_by_the_settings() -> None:
    unread = variables_listed(EXAMPLE.read_text()) - variables_read(SETTINGS.read_text())
    assert not unread, f"not read by portal/settings.py: {unread}"


def test_the_reader_finds_each_way_of_reading_the_environment() -> None:
    source = """
import os
from os import environ
A = env("ONE")
B = env.bool("TWO", default=False)
C = env.int("THREE", default=1)
D = os.environ["FOUR"]
E = os.environ.get("FIVE", "")
F = os.getenv("SIX")
G = environ.get("SEVEN")
H = env.db_url_config(env.str("EIGHT", default=""))
os.environ.setdefault("NINE", "x")
"""
    assert variables_read(source) == {
        "ONE",
        "TWO",
        "THREE",
        "FOUR",
        "FIVE",
        "SIX",
        "SEVEN",
        "EIGHT",
        "NINE",
    }


def test_commented_out_variables_count_as_listed() -> None:
    text = "# A comment, not a NAME\nDEBUG=true\n# SECURE_SSL_REDIRECT=true\n"
    assert variables_listed(text) == {"DEBUG", "SECURE_SSL_REDIRECT"}
