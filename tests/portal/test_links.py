"""Links to pages by URL name: the path `reverse()` makes, remembered per URLconf and prefix."""

from __future__ import annotations

import pytest
from django.urls import reverse, set_script_prefix

from portal import links
from portal.links import PageLink, page_path


def test_page_path_is_the_path_reverse_makes_and_is_made_once() -> None:
    links._page_path.cache_clear()

    for _ in range(2):
        assert page_path("order-detail", 42) == reverse("order-detail", args=[42])
        assert page_path("dashboard") == reverse("dashboard")

    cached = links._page_path.cache_info()
    assert (cached.misses, cached.hits) == (2, 2)


def test_another_script_prefix_is_another_path() -> None:
    plain = page_path("service", 7)
    set_script_prefix("/portal/")
    try:
        assert page_path("service", 7) == "/portal" + plain
    finally:
        set_script_prefix("/")
    assert page_path("service", 7) == plain


def test_a_page_link_is_filled_in_from_its_context() -> None:
    link = PageLink("order-detail", ("order_id",))
    assert link % {"order_id": 5, "other": 1} == reverse("order-detail", args=[5])
    with pytest.raises(KeyError):
        link % {}
