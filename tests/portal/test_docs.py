"""The docs name tests that exist: a renamed or deleted test must not leave a dead reference."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RELIABILITY = ROOT / "docs" / "reliability.md"
# `tests/x/test_y.py::test_z`, or `::test_z` for another test of the file named just before.
REFERENCE = re.compile(r"`((?:tests/[\w/]+\.py)?)::(\w+)`")
PATH = re.compile(r"`(tests/[\w/]+(?:\.py)?/?)`")


def _references() -> list[tuple[str, str]]:
    found, current = [], ""
    for match in REFERENCE.finditer(RELIABILITY.read_text(encoding="utf-8")):
        path, name = match.groups()
        current = path or current
        if name != "test" or path:  # `file::test` in the introduction is the notation itself
            found.append((current, name))
    return found


@cache
def _test_names(path: str) -> frozenset[str]:
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    return frozenset(
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    )


REFERENCES = _references()


def test_the_reliability_doc_names_tests():
    assert len(REFERENCES) > 40


@pytest.mark.parametrize(("path", "name"), REFERENCES, ids=[f"{p}::{n}" for p, n in REFERENCES])
def test_every_test_the_reliability_doc_names_exists(path, name):
    assert path, f"::{name} follows no file name"
    assert (ROOT / path).is_file(), f"{path} does not exist"
    assert name in _test_names(path), f"{path} has no {name}"


@pytest.mark.parametrize("path", PATH.findall(RELIABILITY.read_text(encoding="utf-8")))
def test_every_test_file_or_folder_the_reliability_doc_names_exists(path):
    assert (ROOT / path).exists(), f"{path} does not exist"
