"""Every string the project marks for translation is in the Japanese catalog, translated.

The strings are extracted the way `make messages` extracts them (Django's makemessages,
GNU gettext), from a copy of the sources in a temporary directory: the committed catalog
is only read. A string added without its Japanese, or left fuzzy, ships in English.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from tests.po import PO_FILE, Entry, read_po

# What `make messages` leaves out (the Makefile's --ignore), and folders with no sources.
NOT_EXTRACTED = {"bench", "tests", "locale", "static", "staticfiles", "test-artifacts"}
EXTENSIONS = (".py", ".html", ".txt")

# CI promises it runs (REQUIRE_SERVICES, tests/conftest.py): there a missing gettext fails.
needs_gettext = pytest.mark.skipif(
    not all(shutil.which(program) for program in ("xgettext", "msguniq", "msgmerge"))
    and not os.environ.get("REQUIRE_SERVICES"),
    reason="needs GNU gettext (xgettext, msguniq, msgmerge): apt-get install gettext",
)


def copy_sources(root: Path, destination: Path) -> None:
    """The files makemessages reads, so that it never writes beside the real ones."""
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = [
            name
            for name in dirnames
            if not name.startswith((".", "__")) and not (here == root and name in NOT_EXTRACTED)
        ]
        for filename in filenames:
            if filename.endswith(EXTENSIONS):
                target = destination / here.relative_to(root) / filename
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(here / filename, target)


def extract_messages(root: Path, workdir: Path) -> list[Entry]:
    """The messages marked for translation under `root`, as makemessages finds them."""
    sources = workdir / "sources"
    copy_sources(root, sources)
    locale = sources / "locale"
    with override_settings(LOCALE_PATHS=[str(locale)]), contextlib.chdir(sources):
        call_command("makemessages", locale=["ja"], keep_pot=True, verbosity=0)
    return [entry for entry in read_po(locale / "django.pot") if entry.msgid]


def missing_translations(*, extracted: list[Entry], committed: list[Entry]) -> list[str]:
    """What a Japanese reader would read in English: each extracted message the committed
    catalog lacks, marks fuzzy or leaves without a translation."""
    catalog = {(entry.context, entry.msgid): entry for entry in committed}
    problems = []
    for entry in extracted:
        name = entry.msgid if entry.context is None else f"{entry.context}|{entry.msgid}"
        found = catalog.get((entry.context, entry.msgid))
        if found is None:
            problems.append(f"missing: {name}")
        elif "fuzzy" in found.flags:
            problems.append(f"fuzzy: {name}")
        elif not all(found.msgstrs):
            problems.append(f"untranslated: {name}")
    return problems


@needs_gettext
def test_every_string_of_the_project_has_its_japanese(tmp_path):
    extracted = extract_messages(Path(settings.BASE_DIR), tmp_path)
    assert len(extracted) > 300
    problems = missing_translations(extracted=extracted, committed=read_po(PO_FILE))
    assert not problems, (
        "Add these at the end of locale/ja/LC_MESSAGES/django.po, in Japanese, and run "
        "compilemessages:\n" + "\n".join(problems)
    )


@needs_gettext
def test_a_string_added_without_its_japanese_is_found(tmp_path):
    project = tmp_path / "project"
    (project / "shop" / "templates").mkdir(parents=True)
    (project / "shop" / "services.py").write_text(
        "from django.utils.translation import gettext as _\n\n"
        "def notice():\n"
        '    return _("Your order was approved"), _("A sentence nobody translated")\n'
    )
    (project / "shop" / "templates" / "page.txt").write_text(
        '{% load i18n %}{% translate "Another sentence nobody translated" %}\n'
    )
    (project / "tests").mkdir()
    (project / "tests" / "test_shop.py").write_text('_("Only a test says this")\n')
    extracted = extract_messages(project, tmp_path)
    assert {entry.msgid for entry in extracted} == {
        "Your order was approved",
        "A sentence nobody translated",
        "Another sentence nobody translated",
    }
    assert missing_translations(extracted=extracted, committed=read_po(PO_FILE)) == [
        "missing: A sentence nobody translated",
        "missing: Another sentence nobody translated",
    ]


def test_a_fuzzy_or_empty_translation_counts_as_missing():
    extracted = [Entry(msgid="Fuzzy"), Entry(msgid="Empty"), Entry(msgid="Done")]
    committed = [
        Entry(msgid="Fuzzy", flags={"fuzzy", "python-format"}, msgstrs=["あいまい"]),
        Entry(msgid="Empty", msgstrs=[""]),
        Entry(msgid="Done", msgstrs=["完了"]),
    ]
    assert missing_translations(extracted=extracted, committed=committed) == [
        "fuzzy: Fuzzy",
        "untranslated: Empty",
    ]


def test_a_message_in_another_context_is_another_message():
    extracted = [Entry(msgid="Order", context="verb"), Entry(msgid="Order")]
    committed = [Entry(msgid="Order", msgstrs=["ご注文"])]
    assert missing_translations(extracted=extracted, committed=committed) == ["missing: verb|Order"]
