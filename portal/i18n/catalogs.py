"""The message catalogs in ``locale/``: compiling them without GNU gettext, and checking
that every string the code holds has a translation.

``.po`` files are the source, written by hand and committed; ``.mo`` files are built from
them at install (``make install``, ``make run``, ``make test``, and the test suite itself
when one is stale) and never committed. Compiling uses polib, so a fresh machine needs no
gettext tools; extracting strings (``manage.py makemessages``) does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import polib

LOCALE_DIR = Path(__file__).resolve().parents[2] / "locale"
DOMAINS = ("django", "djangojs")


def catalogs(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    """Every ``.po`` file of every language, in a stable order."""
    return sorted(locale_dir.glob("*/LC_MESSAGES/*.po"))


def compile_catalogs(locale_dir: Path = LOCALE_DIR, *, force: bool = False) -> list[Path]:
    """Write each catalog's ``.mo`` beside it where it is missing or older than its ``.po``
    (every one with ``force``). Fuzzy entries are left out, as msgfmt does. Returns the
    ``.mo`` files written."""
    written = []
    for po_path in catalogs(locale_dir):
        mo_path = po_path.with_suffix(".mo")
        if not force and mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
        written.append(mo_path)
    return written


@dataclass
class CatalogProblems:
    """What a catalog lacks: entries with no translation, entries marked fuzzy (a guess
    that nobody has checked), and entries whose placeholders differ from the original."""

    path: Path
    untranslated: list[str] = field(default_factory=list)
    fuzzy: list[str] = field(default_factory=list)
    placeholders: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.untranslated or self.fuzzy or self.placeholders)


_NAMED = re.compile(r"%\([^)]+\)[sdif]|\{[A-Za-z_][A-Za-z_0-9]*\}")
_POSITIONAL = re.compile(r"%[sdif]")


def _named(text: str) -> set[str]:
    """The named placeholders of ``text``: ``%(name)s`` and ``{name}``."""
    return set(_NAMED.findall(text))


def _faithful(entry: polib.POEntry) -> bool:
    """Whether a translation keeps its original's placeholders: the same named ones (a plural
    form may leave the count out, as "un día" does) and as many positional ones."""
    if not entry.msgid_plural:
        return (_named(entry.msgstr) == _named(entry.msgid)
                and len(_POSITIONAL.findall(entry.msgstr)) == len(_POSITIONAL.findall(entry.msgid)))
    wanted = _named(entry.msgid) | _named(entry.msgid_plural)
    forms = list(entry.msgstr_plural.values())
    used = set().union(*(_named(form) for form in forms))
    return used <= wanted and _named(forms[-1]) == _named(entry.msgid_plural)


def problems_of(po_path: Path) -> CatalogProblems:
    """Every entry of ``po_path`` that is empty, fuzzy, or not faithful to its original's
    placeholders (a translation that drops ``%(name)s`` would show the wrong words)."""
    found = CatalogProblems(po_path)
    for entry in polib.pofile(str(po_path)):
        if entry.obsolete:
            continue
        if "fuzzy" in entry.flags:
            found.fuzzy.append(entry.msgid)
        elif not (all(entry.msgstr_plural.values()) and entry.msgstr_plural
                  if entry.msgid_plural else entry.msgstr):
            found.untranslated.append(entry.msgid)
        elif not _faithful(entry):
            found.placeholders.append(entry.msgid)
    return found


def main() -> None:
    """``python -m portal.i18n.catalogs``: compile the stale catalogs."""
    for path in compile_catalogs():
        print(f"compiled {path.relative_to(LOCALE_DIR.parent)}")


if __name__ == "__main__":
    main()
