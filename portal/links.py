"""A link to a portal page by its URL pattern's name, filled in from a context later.

Catalog entries are written at import time, before the URLconf can be read; a `PageLink`
waits until it is filled in (`link % context`, like the format strings it stands beside).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.urls import URLResolver, get_resolver, get_script_prefix, get_urlconf, reverse


@dataclass(frozen=True)
class PageLink:
    name: str
    # The context keys that give the pattern's arguments, in order.
    args: tuple[str, ...] = ()

    def __mod__(self, context: Mapping[str, Any]) -> str:
        """The page's path; a missing argument raises KeyError, as a format string would."""
        return page_path(self.name, *(context[key] for key in self.args))


def page_path(name: str, *args: Any) -> str:
    """`reverse(name, args=args)`, remembered.

    A dashboard links every task, event and notification to a page, and reverse() costs more
    than the rest of making a link. A path depends only on the URLconf and the prefix the
    site is served under, so both are part of what is remembered: a changed URLconf (tests
    override it) or another prefix is a new entry.
    """
    return _page_path(get_resolver(get_urlconf()), get_script_prefix(), name, args)


@functools.lru_cache(maxsize=4096)
def _page_path(resolver: URLResolver, prefix: str, name: str, args: tuple[Any, ...]) -> str:
    return reverse(name, args=args)
