"""Text staff wrote for the customer, on a page: in the reader's language, or the other one
marked and tagged with its `lang`, so a screen reader reads it in the right voice."""

from __future__ import annotations

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext

from portal.text import Text

register = template.Library()


@register.filter
def in_reader_language(text: Text) -> SafeString:
    language = get_language() or "en"
    shown = text.language_shown(language)
    if shown is not None and not language.startswith(shown):
        mark = gettext("[In Japanese]") if shown == "ja" else gettext("[In English]")
        return format_html('{} <span lang="{}">{}</span>', mark, shown, getattr(text, shown))
    return SafeString(conditional_escape(text.in_language(language)))
