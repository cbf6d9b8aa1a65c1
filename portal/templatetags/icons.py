"""`{% load icons %}{% icon "invoice" %}`: the portal's icons, inline so nothing is fetched.

Decorative: the text next to an icon says what it means, so every icon is hidden from
assistive technology. Each one is built once, when the library loads; rendering it is a
dictionary look-up, which matters on the dashboard, the busiest page, that shows about
twenty of them.
"""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# The inside of each 24x24 icon, drawn with a 2px round stroke.
_SHAPES: dict[str, str] = {
    "invoice": '<path d="M6 2h9l5 5v15H6z"/><path d="M14 2v6h6"/><path d="M9 13h6M9 17h4"/>',
    "id-card-x": (
        '<rect x="3" y="5" width="18" height="14" rx="2"/><circle cx="9" cy="11" r="2"/>'
        '<path d="M6 16c.7-1.5 1.8-2 3-2s2.3.5 3 2"/><path d="M15 10l4 4M19 10l-4 4"/>'
    ),
    "id-card-check": (
        '<rect x="3" y="5" width="18" height="14" rx="2"/><circle cx="9" cy="11" r="2"/>'
        '<path d="M6 16c.7-1.5 1.8-2 3-2s2.3.5 3 2"/><path d="M15 12l1.5 1.5L19.5 10"/>'
    ),
    "id-card-alert": (
        '<rect x="3" y="5" width="18" height="14" rx="2"/><circle cx="9" cy="11" r="2"/>'
        '<path d="M6 16c.7-1.5 1.8-2 3-2s2.3.5 3 2"/><path d="M17 9v3.5M17 15.5h.01"/>'
    ),
    "card": (
        '<rect x="2" y="5" width="20" height="14" rx="2"/><path d="M2 10h20"/><path d="M6 15h4"/>'
    ),
    "package": '<path d="M21 8l-9-5-9 5v8l9 5 9-5z"/><path d="M3 8l9 5 9-5M12 13v8"/>',
    "package-check": (
        '<path d="M21 8l-9-5-9 5v8l9 5 9-5z"/><path d="M3 8l9 5 9-5M12 13v8"/>'
        '<path d="M15 17.5l1.5 1.5 3-3"/>'
    ),
    "package-x": (
        '<path d="M21 8l-9-5-9 5v8l9 5 9-5z"/><path d="M3 8l9 5 9-5M12 13v8"/>'
        '<path d="M16 15.5l3.5 3.5M19.5 15.5L16 19"/>'
    ),
    "map-pin": (
        '<path d="M12 22s7-6.2 7-12a7 7 0 0 0-14 0c0 5.8 7 12 7 12z"/>'
        '<circle cx="12" cy="10" r="2.5"/>'
    ),
    "rocket": (
        '<path d="M5 19c2-6 6-11 14-14-3 8-8 12-14 14z"/><path d="M9 15l-4-1 2-4M9 15l1 4 4-2"/>'
    ),
    "calendar": (
        '<rect x="3" y="5" width="18" height="16" rx="2"/><path d="M3 10h18M8 3v4M16 3v4"/>'
        '<path d="M9.5 14.5l5 5M14.5 14.5l-5 5"/>'
    ),
    "calendar-check": (
        '<rect x="3" y="5" width="18" height="16" rx="2"/><path d="M3 10h18M8 3v4M16 3v4"/>'
        '<path d="M9 15.5l2 2 4-4"/>'
    ),
    "megaphone": '<path d="M3 10v4h4l8 5V5L7 10z"/><path d="M18.5 9a4 4 0 0 1 0 6"/>',
    "bell": (
        '<path d="M18 8a6 6 0 1 0-12 0c0 7-3 9-3 9h18s-3-2-3-9"/>'
        '<path d="M13.73 21a2 2 0 0 1-3.46 0"/>'
    ),
    "globe": (
        '<circle cx="12" cy="12" r="9"/>'
        '<path d="M3 12h18M12 3a14 14 0 0 1 0 18M12 3a14 14 0 0 0 0 18"/>'
    ),
    "menu": '<path d="M4 6h16M4 12h16M4 18h16"/>',
    "check": '<circle cx="12" cy="12" r="9"/><path d="M8 12.5l2.5 2.5L16 9.5"/>',
    "info": '<circle cx="12" cy="12" r="9"/><path d="M12 8v5M12 16h.01"/>',
    "message": '<path d="M21 15a2 2 0 0 1-2 2H7l-4 4V5a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2z"/>',
}

_SVG = (
    '<svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false" fill="none" '
    'stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">{}</svg>'
)

ICONS: dict[str, SafeString] = {
    name: mark_safe(_SVG.format(shape))  # noqa: S308 - fixed markup of ours, never input
    for name, shape in _SHAPES.items()
}


def icon_svg(name: str) -> SafeString:
    """The icon called `name`; a name the portal does not draw gets the info icon."""
    return ICONS.get(name, ICONS["info"])


@register.simple_tag(name="icon")
def icon_tag(name: str) -> SafeString:
    return icon_svg(name)
