"""Keyset cursor pagination for every list of the API: `?limit=` and `?cursor=`.

The cursor is an opaque token holding the sort value and id of the last item seen, so
rows inserted while a client pages never cause duplicates or gaps. It is signed: a cursor
the server did not hand out (an edited one) is a 400, never a query the database refuses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core import signing
from django.db.models import F, Field, Lookup, Model, QuerySet
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter

from portal.api_errors import ApplicationError

DEFAULT_LIMIT = 20
MAX_LIMIT = 100

M = TypeVar("M", bound=Model)

# Every list's `?limit=` as the schema states it: what parse_limit takes.
LIMIT_PARAMETER = OpenApiParameter(
    "limit",
    {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
    description=f"1 to {MAX_LIMIT}, {DEFAULT_LIMIT} by default",
)


@dataclass(frozen=True)
class Position:
    """The sort value and id of the last item a client saw."""

    value: Any
    id: int


@dataclass(frozen=True)
class Page(Generic[M]):
    items: list[M]
    next_cursor: str | None


def parse_limit(raw: str | None, *, default: int = DEFAULT_LIMIT) -> int:
    if raw is None or raw == "":
        return default
    try:
        limit = int(raw)
    except (TypeError, ValueError):
        limit = 0
    if not 1 <= limit <= MAX_LIMIT:
        raise ApplicationError(
            "validation_error",
            _("The limit must be a whole number from 1 to %(max)d.") % {"max": MAX_LIMIT},
            fields={"limit": [_("Use a number from 1 to %(max)d.") % {"max": MAX_LIMIT}]},
        )
    return limit


_signer = signing.Signer(salt="portal.pagination.cursor")


def _encode(values: list[Any]) -> str:
    return _signer.sign_object(values)


def _decode(cursor: str) -> list[Any]:
    try:
        values = _signer.unsign_object(cursor)
    except (signing.BadSignature, ValueError, UnicodeDecodeError):
        values = None
    if not isinstance(values, list) or len(values) != 2:
        raise ApplicationError(
            "validation_error",
            _("The cursor is not valid. Start again from the first page."),
            fields={"cursor": [_("This cursor is not valid.")]},
        )
    return values


def decode_cursor(model: type[Model], *, order_field: str, cursor: str | None) -> Position | None:
    """Where a page starts: the sort value and id of the last item of the page before."""
    if not cursor:
        return None
    raw_value, raw_id = _decode(cursor)
    try:
        return Position(value=_field(model, order_field).to_python(raw_value), id=int(raw_id))
    except Exception as error:
        raise ApplicationError(
            "validation_error",
            _("The cursor is not valid. Start again from the first page."),
            fields={"cursor": [_("This cursor is not valid.")]},
        ) from error


def after(position: Position, *, order_field: str, descending: bool = True) -> Lookup:
    """The rows that come after `position` in (`order_field`, id) order.

    A row comparison, `(created_at, id) < (%s, %s)`: PostgreSQL starts the index scan at
    the position, so a page deep in the list reads what the first one does. The same rule
    written as `a < x OR (a = x AND id < y)` is a filter on every row before it (788
    buffers at row 15,130 against 91). SQLite gets Django's expansion of the same thing.
    """
    lookup = TupleLessThan if descending else TupleGreaterThan
    return lookup(Tuple(F(order_field), F("id")), (position.value, position.id))


def page_query(
    queryset: QuerySet[M], *, order_field: str, limit: int, descending: bool = True
) -> QuerySet[M]:
    """The rows of one page, and one more to tell whether there is a next page."""
    prefix = "-" if descending else ""
    return queryset.order_by(f"{prefix}{order_field}", f"{prefix}id")[: limit + 1]


def page_of(rows: list[M], *, order_field: str, limit: int) -> Page[M]:
    """The page from what `page_query` read, with the cursor of the next one if any."""
    if len(rows) <= limit:
        return Page(items=rows, next_cursor=None)
    rows = rows[:limit]
    last = rows[-1]
    last_value = _field(type(last), order_field).value_to_string(last)
    return Page(items=rows, next_cursor=_encode([last_value, last.pk]))


def paginate(
    queryset: QuerySet[M],
    *,
    order_field: str,
    limit: int,
    cursor: str | None,
    descending: bool = True,
) -> Page[M]:
    """One page of `queryset` ordered by (`order_field`, id), newest first by default."""
    position = decode_cursor(queryset.model, order_field=order_field, cursor=cursor)
    if position is not None:
        queryset = queryset.filter(after(position, order_field=order_field, descending=descending))
    rows = page_query(queryset, order_field=order_field, limit=limit, descending=descending)
    return page_of(list(rows), order_field=order_field, limit=limit)


def _field(model: type[Model], name: str) -> Field[Any, Any]:
    field = model._meta.get_field(name)
    assert isinstance(field, Field)
    return field
