"""`{% main_nav_items as main_nav %}`: the main navigation's links, rendered once a page.

The header shows them twice (beside the logo on wide screens, in the Menu on phones, with
no script); rendering once and placing the result twice halves their cost on every page.
"""

from __future__ import annotations

from django import template
from django.template import Engine
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag(takes_context=True)
def main_nav_items(context: template.Context) -> SafeString:
    links = Engine.get_default().get_template("account/_main_nav_items.html")
    with context.push():  # as {% include %} does: its {% url ... as %} names stay inside
        return links.render(context)
