"""Hot read statements that the ORM builds and compiles once per process.

Building and compiling a queryset with a few filters and a subquery costs the ORM more than
the database needs to answer it: on the notification list it was half of the request. A
`Statement` builds its queryset once per shape (the parts that change the SQL text, like
which filters apply or the page size) with probe values that no row has, finds in the
compiled parameters where each value went, and from then on only puts each read's values
in. A second probe proves it: when a value reaches the SQL in a way the slots do not cover
(written into the text, or changed on the way), the statement logs an error and compiles
on every read instead, so a wrong answer is impossible and a slow one is loud.

The queryset stays the definition: `queryset()` gives it for anything that wants to chain
on it, and the tests hold the filled-in SQL equal to what the ORM compiles.

`fetch()` runs one on PostgreSQL as a prepared statement when the connection outlives the
request (persistent, or lent by a pool): the database then plans it once per connection
instead of on every read, which for the dashboard's statement was half of its time.
Django turns psycopg's preparing off (for poolers); the settings turn it back on for
these statements only, unless `PREPARED_STATEMENTS` is false, and keep their generic plan
(`plan_cache_mode`): each reads one customer's rows through an index, whatever the values.
Times come back through psycopg's compiled loader rather than Django's pure-Python one.

This is the one place the pattern is explained. It is used only where it was measured to
matter (`docs/performance.md`, "What limits each number"): the dashboard's facts, the unread
and unseen counts, the notification list, the payment method count and the session
look-up. Every statement is in `STATEMENTS`, which `tests/portal/test_statements.py` holds,
shape by shape, equal to what the ORM compiles. Authentication's user look-up stays plain
ORM on purpose: every request shares it, the benchmark's floor included, and it is cheap.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

import psycopg
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django.db.models import Model, QuerySet

logger = logging.getLogger(__name__)

Shape = TypeVar("Shape", bound=Hashable)
M = TypeVar("M", bound=Model)
Values = Mapping[str, Any]


@dataclass(frozen=True)
class _Compiled:
    sql: str
    # For each parameter: a constant, or the name of the value that goes there.
    params: tuple[Any, ...]
    slots: frozenset[int]

    def fill(self, values: Values) -> tuple[Any, ...]:
        return tuple(
            values[param] if index in self.slots else param
            for index, param in enumerate(self.params)
        )


def _adapted(value: Any, ops: BaseDatabaseOperations) -> Any:
    """A value as the ORM hands it to the database adapter in a lookup."""
    if isinstance(value, datetime):
        return ops.adapt_datetimefield_value(value)
    if isinstance(value, date):
        return ops.adapt_datefield_value(value)
    return value


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _compile(queryset: QuerySet[Any], using: str) -> tuple[str, tuple[Any, ...]]:
    sql, params = queryset.query.get_compiler(using).as_sql()
    return sql, tuple(params)


# Every statement of the project, for the test that holds each to what the ORM compiles.
STATEMENTS: list[Statement[Any]] = []


class Statement(Generic[Shape]):
    """`build(shape, values)` compiled once per shape and database, filled in per read.

    `probes` are two sets of values for every name `build` reads, all different from each
    other and from any constant in the query; `derived` adds values computed from the
    others (a dedupe window's start from "now") that reach the SQL too.
    """

    def __init__(
        self,
        build: Callable[[Shape, Values], QuerySet[Any]],
        *,
        probes: tuple[Values, Values],
        derived: Callable[[Values], Values] | None = None,
    ) -> None:
        self._build = build
        self._probes = probes
        self._derived = derived
        self._compiled: dict[tuple[str, Shape], _Compiled | None] = {}
        STATEMENTS.append(self)

    def queryset(self, shape: Shape, values: Values) -> QuerySet[Any]:
        return self._build(shape, values)

    def sql(
        self, shape: Shape, values: Values, *, using: str = DEFAULT_DB_ALIAS
    ) -> tuple[str, tuple[Any, ...]]:
        """The SQL and parameters of `queryset(shape, values)`, as the ORM would compile them."""
        compiled = self.compiled(shape, using=using)
        if compiled is None:
            return _compile(self._build(shape, values), using)
        return compiled.sql, compiled.fill(self._values(values, connections[using].ops))

    def fetch(
        self, shape: Shape, values: Values, *, using: str = DEFAULT_DB_ALIAS
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        """The column names and rows (prepared, on a PostgreSQL connection that persists)."""
        sql, params = self.sql(shape, values, using=using)
        with _cursor(connections[using]) as cursor:
            cursor.execute(sql, params)
            names = [column[0] for column in cursor.description]
            return names, cursor.fetchall()

    def fetch_models(
        self, model: type[M], shape: Shape, values: Values, *, using: str = DEFAULT_DB_ALIAS
    ) -> list[M]:
        """The rows as instances of `model`, for a statement that selects its whole rows.

        Columns after the model's own (annotations) become attributes, as the ORM does.
        """
        names, rows = self.fetch(shape, values, using=using)
        fields = model._meta.concrete_fields
        annotations = names[len(fields) :]
        if names[: len(fields)] != [field.column for field in fields]:
            raise ValueError(f"The statement does not select whole {model.__name__} rows.")
        connection = connections[using]
        # What the ORM applies to each column on the way out (JSON text to objects, say).
        columns = [field.cached_col for field in fields]
        converters = [
            (index, converter, column)
            for index, column in enumerate(columns)
            for converter in (
                *connection.ops.get_db_converters(column),
                *column.get_db_converters(connection),
            )
        ]
        attnames = [field.attname for field in fields]
        instances = []
        for row in rows:
            converted = list(row[: len(fields)])
            for index, converter, column in converters:
                converted[index] = converter(converted[index], column, connection)
            instance = model.from_db(using, attnames, converted)
            for name, value in zip(annotations, row[len(fields) :], strict=True):
                setattr(instance, name, value)
            instances.append(instance)
        return instances

    def compiled(self, shape: Shape, *, using: str = DEFAULT_DB_ALIAS) -> _Compiled | None:
        """The statement of `shape` with its values as named slots; None if it cannot be."""
        key = (using, shape)
        if key not in self._compiled:
            # Two threads may both compile the first time; they store the same thing.
            self._compiled[key] = self._compile_once(shape, using)
        return self._compiled[key]

    def _values(self, values: Values, ops: BaseDatabaseOperations) -> dict[str, Any]:
        everything = {**values, **(self._derived(values) if self._derived else {})}
        return {name: _adapted(value, ops) for name, value in everything.items()}

    def _compile_once(self, shape: Shape, using: str) -> _Compiled | None:
        ops = connections[using].ops
        first, second = self._probes
        sql, params = _compile(self._build(shape, first), using)
        # The probes' values are all different, so each tells which value it stands for.
        slot_of = {value: name for name, value in self._values(first, ops).items()}
        slots = frozenset(
            index for index, value in enumerate(params) if _hashable(value) and value in slot_of
        )
        named = tuple(
            slot_of[value] if index in slots else value for index, value in enumerate(params)
        )
        compiled = _Compiled(sql=sql, params=named, slots=slots)
        if _compile(self._build(shape, second), using) != (
            sql,
            compiled.fill(self._values(second, ops)),
        ):
            logger.error(
                "A statement could not be compiled once; compiling it on every read",
                extra={"shape": repr(shape)},
            )
            return None
        return compiled


# psycopg's own reading of a timestamptz (compiled, with psycopg's binary package).
_TIMESTAMPTZ_LOADER = psycopg.adapters.get_loader(
    psycopg.postgres.types["timestamptz"].oid, psycopg.pq.Format.TEXT
)


class _PreparingCursor(psycopg.Cursor[Any]):
    """Binds on the server and prepares every statement it runs."""

    def execute(self, *args: Any, **kwargs: Any) -> _PreparingCursor:
        kwargs.setdefault("prepare", True)
        super().execute(*args, **kwargs)
        return self


def _cursor(connection: BaseDatabaseWrapper) -> CursorWrapper:
    """Django's cursor wrapper (errors, query logging) around a cursor of our choosing."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.ensure_connection()
    raw = connection.connection
    # Preparing costs a round trip that a connection used once never pays back.
    cursor: psycopg.Cursor[Any] = (
        _PreparingCursor(raw) if _keeps_plans(connection) else psycopg.ClientCursor(raw)
    )
    if connection.timezone_name == "UTC" and _TIMESTAMPTZ_LOADER is not None:
        # Django reads times with a pure-Python loader that sets their zone to UTC, the
        # session's zone; psycopg's loader gives the same datetimes (in the session's
        # zone) several times faster, and a page of notifications has 80 of them.
        cursor.adapters.register_loader("timestamptz", _TIMESTAMPTZ_LOADER)
    wrapper = _LoggingCursorWrapper if connection.queries_logged else CursorWrapper
    return wrapper(cursor, connection)


def _keeps_plans(connection: BaseDatabaseWrapper) -> bool:
    """Whether a statement prepared now is used again: the connection outlives the request
    (persistent, or lent by a pool) and preparing is on (settings.py, PREPARED_STATEMENTS)."""
    if connection.connection.prepare_threshold is None:
        return False
    pooled = getattr(connection, "pool", None) is not None
    return pooled or connection.settings_dict["CONN_MAX_AGE"] != 0


class _LoggingCursorWrapper(CursorDebugWrapper):
    """Logs the statement with its values in, as Django does for the statements it binds.

    Django reads a client-side binding cursor's last query for the log; a prepared one has
    none, so the statement is written out here (only when queries are logged: DEBUG, tests).
    """

    def execute(self, sql: Any, params: Any = None) -> Any:
        with self.debug_sql(self.db.ops.compose_sql(sql, params), params):
            return CursorWrapper.execute(self, sql, params)
