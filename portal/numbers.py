# ruff: noqa: RUF002, RUF003 (this module is about the look-alike characters)
"""Numbers as people in Japan type them: one normalizer for every field where a number is typed
(phone numbers, postal codes, card numbers and expiry dates, MNP reservation numbers).

A Japanese input method types full-width digits (０９０), and the hyphen key gives any of
several look-alikes: the full-width hyphen-minus (－), the katakana long vowel mark (ー), the
minus sign (−), dashes (‐ – —). They read as the same number, so they are accepted as it.
Only fields that hold a number use this: in an address, ー is part of a word (センター).
"""

from __future__ import annotations

from typing import Any

from django import forms

from portal.serializers import StrictCharField

_HYPHENS = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\ufe63\uff0d\uff70"
_TYPED = str.maketrans(
    {
        **{chr(0xFF10 + digit): str(digit) for digit in range(10)},  # ０-９
        **dict.fromkeys(_HYPHENS, "-"),
        "\u3000": " ",  # the full-width space
        "\uff0b": "+",  # ＋
        "\uff08": "(",  # （
        "\uff09": ")",  # ）
        "\uff0f": "/",  # ／ (an expiry date: ０８／２９)
    }
)


def normalize_typed_number(value: str) -> str:
    """The number with full-width digits, hyphens, spaces, + ( ) / made ASCII, trimmed."""
    return value.translate(_TYPED).strip()


class TypedNumberField(forms.CharField):
    """A form field for a number someone types: validators see the normalized value."""

    def to_python(self, value: Any) -> str:
        return normalize_typed_number(super().to_python(value) or "")


class TypedNumberSerializerField(StrictCharField):
    """The API's counterpart: the same number, normalized the same way."""

    def to_internal_value(self, data: Any) -> str:
        return normalize_typed_number(super().to_internal_value(data))
