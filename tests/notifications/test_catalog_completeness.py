"""A notification type is three places: its catalog entry, the code that creates it and its
Japanese. These tests fail when an entry lacks an icon or a tone the portal draws, or when
no code creates it; tests/portal/test_i18n_completeness.py fails when its Japanese is missing.
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from notifications import catalog
from notifications.templatetags.notification_tags import notification_icon
from portal.templatetags.icons import ICONS

ROOT = Path(settings.BASE_DIR)
# The design system's tones: the colours portal.css draws.
TONES = set(re.findall(r"\.tone-([a-z]+)\b", (ROOT / "static/css/portal.css").read_text()))
# Code that runs in the portal; the benchmark's and the tests' notifications prove nothing.
NOT_THE_PORTAL = {"tests", "bench"}


@pytest.mark.parametrize("type", catalog.TYPES)
def test_every_type_has_an_icon_the_portal_draws_and_a_tone_of_the_design_system(type):
    entry = catalog.get_template(type)
    assert entry.icon in ICONS, f"{type}: no icon called {entry.icon!r} in portal/templatetags"
    assert entry.tone in TONES, f"{type}: {entry.tone!r} is not one of {sorted(TONES)}"


def test_the_design_system_has_the_five_tones():
    assert {"success", "info", "warning", "critical", "neutral"} <= TONES


@pytest.mark.parametrize("type", catalog.TYPES)
def test_each_type_is_drawn_with_its_own_icon_in_its_tone(type):
    entry = catalog.get_template(type)
    drawn = notification_icon(type)
    assert f'class="notification__icon tone-{entry.tone}"' in drawn
    assert ICONS[entry.icon] in drawn
    if entry.icon != "bell":
        assert ICONS["bell"] not in drawn


def test_a_row_of_a_type_no_longer_in_the_catalog_gets_the_neutral_bell():
    drawn = notification_icon("A_TYPE_OF_AN_OLDER_SHAPE")
    assert 'tone-neutral"' in drawn and ICONS["bell"] in drawn


# --- Every entry is created by some code path ----------------------------------------------


def portal_sources(root: Path) -> Iterator[Path]:
    """The portal's Python modules, without migrations and without the catalog itself."""
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = sorted(
            name
            for name in dirnames
            if not name.startswith((".", "__"))
            and name != "migrations"
            and not (here == root and name in NOT_THE_PORTAL)
        )
        for filename in sorted(filenames):
            path = here / filename
            if filename.endswith(".py") and path != root / "notifications" / "catalog.py":
                yield path


def _called(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _notifies(name: str) -> bool:
    # notify, notify_many, notify_invoice_due, orders' _notify, _notify_cancellation...
    return name == "notify" or name.startswith(("notify_", "_notify"))


def _strings(node: ast.expr | None) -> set[str]:
    """The strings a module-level constant holds: a string, a collection's items, a mapping's
    values (a status -> type map)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.Dict):
        return set().union(*(_strings(value) for value in node.values))
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return set().union(*(_strings(element) for element in node.elts))
    return set()


def created_types(source: str) -> set[str]:
    """The strings a module hands to a call that notifies: written in the call, or through a
    module-level constant (`type=_RESULTS[status]`). A type only looked up (a filter, a
    retirement, the catalog's own entry) is not created."""
    tree = ast.parse(source)
    constants: dict[str, set[str]] = {}
    for statement in tree.body:
        if isinstance(statement, ast.Assign):
            for target in statement.targets:
                if isinstance(target, ast.Name):
                    constants[target.id] = _strings(statement.value)
        elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            constants[statement.target.id] = _strings(statement.value)
    created: set[str] = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and _notifies(_called(node.func))):
            continue
        for argument in [*node.args, *(keyword.value for keyword in node.keywords)]:
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                created.add(argument.value)
            elif isinstance(argument, ast.Name):
                created |= constants.get(argument.id, set())
            elif isinstance(argument, ast.Subscript) and isinstance(argument.value, ast.Name):
                created |= constants.get(argument.value.id, set())
    return created


def test_every_type_is_created_by_some_code_of_the_portal():
    created = set().union(*(created_types(path.read_text()) for path in portal_sources(ROOT)))
    never = sorted(set(catalog.TYPES) - created)
    assert not never, f"no code outside the catalog and the tests notifies {never}"


def test_a_type_handed_to_notify_counts_as_created_and_one_only_looked_up_does_not():
    source = """
from notifications.services import notify

_RESULTS = {"ok": "ELIGIBILITY_ELIGIBLE", "no": "ELIGIBILITY_INELIGIBLE"}
REMINDER: str = "INVOICE_DUE"


def tell(user, order, status):
    notify(user=user, type="ORDER_APPROVED", source_id=order.pk, context={"x": "ORDER_FAILED"})
    _notify(order, "ORDER_ACTIVATED", now=None)
    notify(user=user, type=_RESULTS[status], source_id=1, context={})
    services.notify_many(user_ids=[1], type=REMINDER, source_id=1, context={})
    Notification.objects.filter(type="PAYMENT_RECEIVED").exists()
    retire_notifications(user_id=1, type="CANCELLATION_SCHEDULED", source_id=1)
    catalog.get_template("SYSTEM_ANNOUNCEMENT")
"""
    assert created_types(source) & set(catalog.TYPES) == {
        "ORDER_APPROVED",
        "ORDER_ACTIVATED",
        "ELIGIBILITY_ELIGIBLE",
        "ELIGIBILITY_INELIGIBLE",
        "INVOICE_DUE",
    }


def test_the_scan_reads_the_portals_code_but_not_the_tests_the_benchmark_or_migrations():
    scanned = {path.relative_to(ROOT).as_posix() for path in portal_sources(ROOT)}
    assert "orders/services/fulfillment.py" in scanned
    assert any(path.startswith("notifications/services") for path in scanned)
    assert not any(path.startswith(("tests/", "bench/", ".venv/")) for path in scanned)
    assert not any("/migrations/" in path for path in scanned)
    assert "notifications/catalog.py" not in scanned
