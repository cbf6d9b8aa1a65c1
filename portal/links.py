"""A link to a portal page by its URL pattern's name, filled in from a context later.

Catalog entries are written at import time, before the URLconf can be read; a `PageLink`
waits until it is filled in (`link % context`, like the format strings it stands beside).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.urls import reverse


@dataclass(frozen=True)
class PageLink:
    name: str
    # The context keys that give the pattern's arguments, in order.
    args: tuple[str, ...] = ()

    def __mod__(self, context: Mapping[str, Any]) -> str:
        """The page's path; a missing argument raises KeyError, as a format string would."""
        return reverse(self.name, args=[context[key] for key in self.args])
