"""`{% url %}` for every template, with the paths it makes remembered (`portal.links`).

A template built-in (settings.TEMPLATES), so the templates keep writing Django's
`{% url "order-detail" order.pk %}` and read it the same way. A dashboard page has about
thirty of them and `reverse()` is most of what each costs (15 µs, about a tenth of the page
in all); `page_path` makes each path once per URLconf and script prefix.

Only what is certain to be the same path comes from the memo: a view name without a
namespace (an admin site's `admin:` names depend on the current app), positional arguments
that are numbers or text. Anything else (keyword arguments, other values) is Django's own
tag, unchanged.
"""

from __future__ import annotations

from django import template
from django.template import Context
from django.template.base import Parser, Token
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.urls import NoReverseMatch
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString

from portal.links import page_path

register = template.Library()


class RememberedURLNode(URLNode):
    def render(self, context: Context) -> str | SafeString:
        view_name = self.view_name.resolve(context)
        args = [arg.resolve(context) for arg in self.args]
        if self.kwargs or not _same_path_every_time(view_name, args):
            return super().render(context)
        try:
            url = page_path(view_name, *args)
        except NoReverseMatch:
            if self.asvar is None:
                raise
            url = ""
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


def _same_path_every_time(view_name: object, args: list[object]) -> bool:
    return (
        isinstance(view_name, str)
        and ":" not in view_name
        # Not bool, which would share an entry with 1 and 0.
        and all(type(arg) is int or isinstance(arg, str) for arg in args)
    )


@register.tag
def url(parser: Parser, token: Token) -> RememberedURLNode:
    node = django_url(parser, token)
    return RememberedURLNode(node.view_name, node.args, node.kwargs, node.asvar)
