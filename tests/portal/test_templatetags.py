"""The portal's own template tags: icons, and dates that read as Django's `date` filter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.template import Context, Template
from django.utils import translation

from portal import formats
from portal.templatetags.icons import ICONS, icon_svg

MOMENTS = [
    datetime(2026, 12, 7, 12, 53, 44, 661_611, tzinfo=UTC),  # 21:53 in Tokyo
    datetime(2026, 12, 31, 15, 0, tzinfo=UTC),  # midnight in Tokyo, the next year
    datetime(2026, 6, 1, 3, 0, 59, tzinfo=UTC),  # noon in Tokyo
    datetime(2026, 2, 28, 23, 59, tzinfo=UTC),
    datetime(2026, 9, 9, 0, 5, tzinfo=UTC),
]


def render(source: str, **values: object) -> str:
    return Template("{% load dates %}" + source).render(Context(values))


@pytest.mark.parametrize("language", ["en", "ja"])
@pytest.mark.parametrize("moment", MOMENTS)
def test_dates_read_exactly_as_the_date_filter_with_the_same_format(
    language: str, moment: datetime
) -> None:
    with translation.override(language):
        for ours, django in [
            ("{{ v|day }}", '{{ v|date:"DATE_FORMAT" }}'),
            ("{{ v|day_and_time }}", '{{ v|date:"DATETIME_FORMAT" }}'),
            ("{{ v|iso }}", "{{ v|date:'c' }}"),
            ("{{ d|day }}", '{{ d|date:"DATE_FORMAT" }}'),
            ("{{ d|iso }}", "{{ d|date:'c' }}"),
        ]:
            values = {"v": moment, "d": moment.date() + timedelta(days=3)}
            assert render(ours, **values) == render(django, **values), ours


def test_a_datetime_is_written_in_tokyo_time() -> None:
    moment = datetime(2026, 12, 31, 15, 0, tzinfo=UTC)
    with translation.override("ja"):
        assert render("{{ v|day_and_time }}", v=moment) == "2027年1月1日 0:00"
        assert render("{{ v|day }}", v=moment) == "2027年1月1日"
    with translation.override("en"):
        assert render("{{ v|iso }}", v=moment) == "2027-01-01T00:00:00+09:00"


def test_nothing_is_written_for_no_date() -> None:
    assert render("[{{ a|day }}][{{ a|day_and_time }}][{{ b|iso }}]", a=None, b="") == "[][][]"


def test_a_datetime_format_finer_than_the_minute_is_refused_rather_than_rounded(monkeypatch):
    finer = {"DATE_FORMAT": "N j, Y", "DATETIME_FORMAT": "N j, Y, H:i:s"}
    monkeypatch.setattr(formats.formats, "get_format", finer.__getitem__)
    formats._time_of_day.cache_clear()
    try:
        with pytest.raises(ValueError, match="DATE_FORMAT and a minute"):
            formats.format_day_and_time(MOMENTS[0])
    finally:
        formats._time_of_day.cache_clear()


def test_every_icon_is_a_decorative_svg_and_an_unknown_name_gets_the_info_icon() -> None:
    for svg in ICONS.values():
        assert svg.startswith('<svg class="icon"') and 'aria-hidden="true"' in svg
    assert icon_svg("no-such-icon") == ICONS["info"]
    assert Template('{% load icons %}{% icon "bell" %}').render(Context()) == ICONS["bell"]
