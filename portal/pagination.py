"""Keyset cursor pagination for every list of the API: `?limit=` and `?cursor=`.

The cursor is an opaque token holding the sort value and id of the last item seen, so
rows inserted while a client pages never cause duplicates or gaps. It is signed: a cursor
the server did not hand out (an edited one) is a 400, never a query the database refuses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core import signing
from django.db.models import Field, Model, Q, QuerySet
from django.utils.translation import gettext as _

from portal.api_errors import ApplicationError

DEFAULT_LIMIT = 20
MAX_LIMIT = 100

M = TypeVar("M", bound=Model)


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


def paginate(
    queryset: QuerySet[M],
    *,
    order_field: str,
    limit: int,
    cursor: str | None,
    descending: bool = True,
) -> Page[M]:
    """One page of `queryset` ordered by (`order_field`, id), newest first by default."""
    model = queryset.model
    field = model._meta.get_field(order_field)
    assert isinstance(field, Field)
    if cursor:
        raw_value, raw_id = _decode(cursor)
        try:
            value = field.to_python(raw_value)
            last_id = int(raw_id)
        except Exception as error:
            raise ApplicationError(
                "validation_error",
                _("The cursor is not valid. Start again from the first page."),
                fields={"cursor": [_("This cursor is not valid.")]},
            ) from error
        if descending:
            after = Q(**{f"{order_field}__lt": value}) | Q(
                **{order_field: value, "id__lt": last_id}
            )
        else:
            after = Q(**{f"{order_field}__gt": value}) | Q(
                **{order_field: value, "id__gt": last_id}
            )
        queryset = queryset.filter(after)
    prefix = "-" if descending else ""
    rows = list(queryset.order_by(f"{prefix}{order_field}", f"{prefix}id")[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        last_value = field.value_to_string(last)
        next_cursor = _encode([last_value, last.pk])
    return Page(items=rows, next_cursor=next_cursor)
