"""Addresses on customer pages: a postal code (〒150-0002) never breaks at its hyphen."""

from __future__ import annotations

import re

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_POSTAL_CODE = re.compile(r"〒?\d{3}-\d{4}")


@register.filter
def postal_codes(value: object) -> SafeString:
    """The text, escaped, with every postal code in `<span class="postal-code">`."""
    escaped = str(conditional_escape(str(value)))
    return mark_safe(  # noqa: S308 - built from escaped text and fixed markup
        _POSTAL_CODE.sub(
            lambda found: str(format_html('<span class="postal-code">{}</span>', found.group())),
            escaped,
        )
    )


@register.filter
def postal_code(value: object) -> SafeString:
    """One postal code, kept on one line."""
    return format_html('<span class="postal-code">{}</span>', value)
