"""The snapshot's one statement is compiled once per process and only filled in per read.

If any input reaches the SQL in a way the compiled slots do not cover (a value derived from
`now`, say), every read falls back to compiling through the ORM, which costs several times
what the database needs: the snapshot stays correct and silently gets slow. These tests make
that visible.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.db import DEFAULT_DB_ALIAS, connections

from dashboard import selectors

pytestmark = pytest.mark.django_db

MOMENTS = [
    datetime(2026, 12, 7, 14, 59, 59, tzinfo=UTC),  # 23:59:59 in Tokyo
    datetime(2026, 12, 7, 15, 0, 0, tzinfo=UTC),  # midnight in Tokyo, still the 7th in UTC
    datetime(2027, 2, 28, 23, 30, 0, 123456, tzinfo=UTC),
]


def test_the_statement_compiles_once():
    selectors._compiled.cache_clear()
    assert selectors._compiled(DEFAULT_DB_ALIAS, 5) is not None


@pytest.mark.parametrize("now", MOMENTS, ids=lambda moment: moment.isoformat())
def test_filling_in_the_compiled_statement_gives_what_the_orm_compiles(now: datetime):
    compiled = selectors._compiled(DEFAULT_DB_ALIAS, 5)
    assert compiled is not None
    today = date.fromordinal(now.toordinal())
    inputs = selectors._Inputs(customer_id=41, user_id=42, now=now, today=today, limit=5)
    ops = connections[DEFAULT_DB_ALIAS].ops
    filled = selectors._fill(compiled, selectors._input_values(inputs, ops))
    assert (compiled.sql, filled) == selectors._compile(inputs)
