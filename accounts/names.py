"""A customer's name as a Japanese company writes it: family name first, where the name
says which part is the family name.

We store one display name, as the customer typed it. A name in Japanese script is written
family name first already (山田 太郎); a name in Latin script says its family name when it
is in capitals (Taro YAMADA, as on a residence card) or before a comma (Yamada, Taro). Any
other name keeps the customer's order: we cannot tell which part is the family name.
Japanese text puts 様 after it (the translations do: "%(name)s 様").
"""

from __future__ import annotations

import re

from django.utils.translation import get_language

_SPACES = re.compile(r"[\s\u3000]+")


def _japanese_script(value: str) -> bool:
    return any("\u3040" <= char <= "\u30ff" or "\u4e00" <= char <= "\u9fff" for char in value)


def family_name_first(name: str) -> str:
    """The name with its family name first, where the name says which part it is."""
    name = _SPACES.sub(" ", name).strip()
    if not name or _japanese_script(name):
        return name
    if name.count(",") == 1:
        family, given = (part.strip() for part in name.split(","))
        if family and given:
            return f"{family} {given}"
    words = name.split(" ")
    capitals = [word for word in words if len(word) > 1 and word.isupper()]
    if len(words) > 1 and len(capitals) == 1 and words[0] != capitals[0]:
        rest = [word for word in words if word != capitals[0]]
        return " ".join([capitals[0], *rest])
    return name


def name_for_reader(name: str, language: str | None = None) -> str:
    """The name as the reader's language writes it: family name first in Japanese."""
    language = language or get_language() or "en"
    return family_name_first(name) if language.startswith("ja") else _SPACES.sub(" ", name).strip()
