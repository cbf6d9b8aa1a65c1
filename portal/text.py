"""Text in one or both languages, a plain value that models, pages and notifications share
(a plan's name, a note staff wrote for the customer, our own message in every language).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import get_language, gettext, override

# The languages the portal speaks (settings.LANGUAGES), as Text stores them.
LANGUAGES = ("en", "ja")


@dataclass(frozen=True)
class Text:
    """Text in one or both languages (a plan's name, a note staff wrote for the customer).

    Read in the reader's language when it exists; otherwise in the other one, marked with
    the language it is written in.
    """

    en: str = ""
    ja: str = ""

    @classmethod
    def translated(cls, message: str | Promise) -> Text:
        """A message from our own catalog (gettext), in every language."""
        values = {}
        for language in LANGUAGES:
            with override(language):
                values[language] = str(message)
        return cls(**values)

    @classmethod
    def written(cls, value: str) -> Text:
        """Text written in one language, which we tell by its script (kana or kanji: Japanese)."""
        if any("\u3040" <= char <= "\u30ff" or "\u4e00" <= char <= "\u9fff" for char in value):
            return cls(ja=value)
        return cls(en=value)

    @classmethod
    def of(cls, en: str | None, ja: str | None) -> Text:
        """Text staff wrote in one or both languages; one given without its pair is placed by
        its script (a CRM sends one field)."""
        en, ja = (en or "").strip(), (ja or "").strip()
        if en and not ja:
            return cls.written(en)
        return cls(en=en, ja=ja)

    def __bool__(self) -> bool:
        return bool(self.en or self.ja)

    def language_shown(self, language: str) -> str | None:
        """The language `in_language(language)` is written in (None when there is no text)."""
        own = "ja" if language.startswith("ja") else "en"
        if getattr(self, own):
            return own
        if self.ja:
            return "ja"
        if self.en:
            return "en"
        return None

    def in_language(self, language: str) -> str:
        own = self.ja if language.startswith("ja") else self.en
        if own:
            return own
        if self.ja and not self.en:
            mark = gettext("[In Japanese]")
            return f"{mark} {self.ja}"
        if self.en and not self.ja:
            mark = gettext("[In English]")
            return f"{mark} {self.en}"
        return ""

    def __str__(self) -> str:
        return self.in_language(get_language() or "en")
