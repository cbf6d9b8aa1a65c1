"""Serializer building blocks shared by every API: times, money, error documentation."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

# The largest id a row can have (a 64-bit primary key): a larger one is a 400, not an
# overflow in the database driver.
MAX_ID = 2**63 - 1


def iso_datetime(value: datetime | None) -> str | None:
    """ISO 8601 in Asia/Tokyo with its offset, to the second: 2026-11-24T09:30:00+09:00."""
    if value is None:
        return None
    return value.astimezone(timezone.get_default_timezone()).isoformat(timespec="seconds")


def money(amount: Decimal, currency: str = "JPY") -> dict[str, str]:
    return {"amount": f"{amount:.2f}", "currency": currency}


class DateTimeField(serializers.DateTimeField):
    def to_representation(self, value: datetime) -> str | None:  # type: ignore[override]
        return iso_datetime(value)


class StrictCharField(serializers.CharField):
    """A string and only a string: DRF's CharField would take 0 or true as "0" or "True".

    `schema` adds to the field's OpenAPI schema the rules a service checks in its own words
    (a pattern, an enum, a length), so the schema takes what the server takes
    (portal.openapi.AutoSchema).
    """

    default_error_messages = {"not_a_string": "Send text here."}

    def __init__(self, *, schema: dict[str, Any] | None = None, **kwargs: Any) -> None:
        self.schema_extra = dict(schema or {})
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


class MoneySerializer(serializers.Serializer):
    amount = serializers.CharField(help_text="Decimal string, e.g. 5500.00")
    currency = serializers.CharField(help_text="ISO 4217 code, JPY by default")


@extend_schema_field(MoneySerializer)
class MoneyField(serializers.Field):
    """Renders (amount, currency) from `<source>` and `currency` attributes of the object."""

    def __init__(self, *, currency_source: str = "currency", **kwargs: Any):
        self.currency_source = currency_source
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def get_attribute(self, instance: Any) -> Any:
        return (super().get_attribute(instance), getattr(instance, self.currency_source, "JPY"))

    def to_representation(self, value: tuple[Decimal, str]) -> dict[str, str]:
        amount, currency = value
        return money(amount, currency)


class ErrorDetailSerializer(serializers.Serializer):
    """Documents the error object; `fields` is declared in get_fields (it is a Serializer name)."""

    def get_fields(self) -> dict[str, serializers.Field]:
        return {
            "code": serializers.CharField(),
            "message": serializers.CharField(),
            "fields": serializers.DictField(
                child=serializers.ListField(child=serializers.CharField()), required=False
            ),
        }


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


class BlankAsNullCharField(serializers.CharField):
    """Text the customer may not have yet: an empty string is rendered as null."""

    def __init__(self, **kwargs: Any):
        super().__init__(read_only=True, allow_null=True, **kwargs)

    def to_representation(self, value: Any) -> str | None:  # type: ignore[override]
        return str(value) if value else None
