"""The Japanese catalog as the tests read it: just enough of the PO format (no third-party
parser needed), for the committed catalog and for one extracted from the sources."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

PO_FILE = Path(__file__).resolve().parents[1] / "locale" / "ja" / "LC_MESSAGES" / "django.po"


@dataclass
class Entry:
    flags: set[str] = field(default_factory=set)
    context: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstrs: list[str] = field(default_factory=list)


def _unquote(line: str) -> str:
    return (
        line[line.index('"') + 1 : line.rindex('"')]
        .encode()
        .decode("unicode_escape")
        .encode("latin-1")
        .decode()
    )


def read_po(path: Path) -> list[Entry]:
    """The entries of a .po or .pot file, its header first (msgid ""); obsolete ones left out."""
    entries: list[Entry] = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        entry, target = Entry(), None
        for line in block.splitlines():
            if line.startswith("#,"):
                entry.flags.update(flag.strip() for flag in line[2:].split(","))
            elif line.startswith("#"):
                continue
            elif line.startswith("msgctxt "):
                entry.context, target = _unquote(line), "context"
            elif line.startswith("msgid_plural "):
                entry.msgid_plural, target = _unquote(line), "msgid_plural"
            elif line.startswith("msgid "):
                entry.msgid, target = _unquote(line), "msgid"
            elif line.startswith("msgstr"):
                entry.msgstrs.append(_unquote(line))
                target = "msgstr"
            elif line.startswith('"') and target:
                text = _unquote(line)
                if target == "msgstr":
                    entry.msgstrs[-1] += text
                else:
                    setattr(entry, target, (getattr(entry, target) or "") + text)
        if entry.msgstrs:
            entries.append(entry)
    return entries
