from __future__ import annotations

from django import template

from accounts.names import name_for_reader

register = template.Library()


@register.filter
def reader_name(name: str | None) -> str:
    """`{{ customer.name|reader_name }}`: family name first on Japanese pages."""
    return name_for_reader(name or "")
