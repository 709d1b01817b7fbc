"""Extract the screens' words, update the English catalogue, compile it: `python scripts/translations.py`.

Vietnamese is the source language (the msgids); webui/translations/en/LC_MESSAGES/messages.po
holds the English, and its compiled messages.mo is committed beside it, so a fresh
`pip install -e .` needs no build step. After changing a marked text: run this, fill in the new
empty `msgstr` entries it lists, run it again. `--check` only reports (the tests do the same).
"""
from __future__ import annotations

import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "webui/translations/en/LC_MESSAGES/messages.po"
KEYWORDS = {"_": None, "gettext": None, "N_": None, "lazy_gettext": None,
            "pgettext": ((1, "c"), 2), "ngettext": (1, 2)}
METHODS = [("webui/templates/forms/**", "ignore"), ("webui/**.py", "python"),
           ("webui/templates/**.html", "jinja2")]


def extract() -> Catalog:
    """Every marked text of the UI, plus the domain labels shown on screens."""
    sys.path.insert(0, str(ROOT))
    from webui.i18n import domain_msgids
    catalog = Catalog(locale="en", project="motcua", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
            str(ROOT), METHODS, keywords=KEYWORDS, options_map={"webui/templates/**.html": {
                "extensions": "jinja2.ext.i18n"}}):
        catalog.add(message, locations=[(filename, lineno)], context=context)
    for msgid in domain_msgids():
        catalog.add(msgid, locations=[("motcua/lifecycle.py", 0)])
    return catalog


def read(path: Path = PO) -> Catalog:
    with open(path, "rb") as fh:
        return read_po(fh, locale="en")


def update(catalog: Catalog, template: Catalog) -> Catalog:
    catalog.update(template, no_fuzzy_matching=True, update_creation_date=False)
    catalog.obsolete.clear()
    catalog.fuzzy = False
    return catalog


def compiled(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


def missing(catalog: Catalog) -> list[str]:
    return [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]


def main(argv: list[str]) -> int:
    catalog = update(read(), extract())
    lacking = missing(catalog)
    if "--check" not in argv:
        with open(PO, "wb") as fh:
            write_po(fh, catalog, width=100, sort_output=True, include_lineno=False)
        PO.with_suffix(".mo").write_bytes(compiled(catalog))
    for msgid in lacking:
        print(f"no English: {msgid!r}")
    return 1 if lacking else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
