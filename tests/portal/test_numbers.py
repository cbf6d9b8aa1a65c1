# ruff: noqa: RUF003 (the comments show the look-alike characters each case types)
"""Numbers typed the Japanese way read as the numbers they are (portal.numbers)."""

from __future__ import annotations

import pytest

from portal.numbers import TypedNumberField, normalize_typed_number

FULL_WIDTH_PHONE = "\uff10\uff19\uff10\uff0d\uff11\uff12\uff13\uff14\uff0d\uff15\uff16\uff17\uff18"


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        (FULL_WIDTH_PHONE, "090-1234-5678"),  # ０９０－１２３４－５６７８
        ("090\u30fc1234\u30fc5678", "090-1234-5678"),  # the long vowel mark ー
        ("090\u22121234\u20105678", "090-1234-5678"),  # minus sign, hyphen
        ("090\u20131234\u20145678", "090-1234-5678"),  # en and em dashes
        ("\u3000\uff10\uff13 \uff11\uff12\uff13\uff14\u3000", "03 1234"),  # full-width spaces
        ("\uff0b\uff18\uff11\uff08\uff19\uff10\uff09", "+81(90)"),  # ＋８１（９０）
        ("\uff10\uff18\uff0f\uff12\uff19", "08/29"),  # ０８／２９
        ("090-1234-5678", "090-1234-5678"),
    ],
)
def test_full_width_digits_hyphens_and_spaces_read_as_ascii(typed, read):
    assert normalize_typed_number(typed) == read


def test_letters_are_left_as_they_are_for_the_field_to_refuse():
    assert normalize_typed_number("call me") == "call me"


def test_the_form_field_validates_the_normalized_number():
    field = TypedNumberField(max_length=13)
    assert field.clean(FULL_WIDTH_PHONE) == "090-1234-5678"
