"""The screens' words go through gettext: every marked text has English, the committed .mo is the
compiled .po, and templates hold no text outside `_()` (printed legal forms excepted: Vietnamese by
law). Text written before the catalogue existed and not yet marked is listed in
`tests/untranslated.txt`; that list may only shrink."""
from __future__ import annotations

import re
import sys
from pathlib import Path

from babel.messages.mofile import read_mo

from tests.test_webui import clerk, client  # noqa: F401 - fixtures

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import translations as T  # noqa: E402

_MARKUP = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}|<[^>]*>", re.S)
_ATTR = re.compile(r'\b(?:placeholder|title|aria-label|alt)="([^"{]*[^\W\d_][^"{]*)"')
_WORD = re.compile(r"[^\W\d_]{2,}")         # at least one word of two letters


def template_texts() -> set[tuple[str, str]]:
    """(template, text) for every run of words a page shows outside `{{ … }}` and `{% … %}`."""
    found = set()
    for path in sorted((ROOT / "webui/templates").rglob("*.html")):
        rel = path.relative_to(ROOT / "webui/templates").as_posix()
        if rel.startswith("forms/"):
            continue
        source = path.read_text(encoding="utf-8")
        for part in _MARKUP.split(source):
            text = " ".join(part.split())
            if _WORD.search(text.replace("&lt;", "").replace("&gt;", "")):
                found.add((rel, text))
        for match in _ATTR.finditer(source):
            found.add((rel, match.group(1)))
    return found


def _allowed() -> set[tuple[str, str]]:
    lines = (ROOT / "tests/untranslated.txt").read_text(encoding="utf-8").splitlines()
    return {tuple(line.split("\t", 1)) for line in lines if line and not line.startswith("#")}


def test_templates_hold_no_new_untranslated_text():
    assert sorted(template_texts() - _allowed()) == [], "wrap it in _('…') and run scripts/translations.py"


def test_the_untranslated_list_only_shrinks():
    assert sorted(_allowed() - template_texts()) == [], "remove the lines now translated"


def test_every_marked_text_has_english():
    catalog = T.update(T.read(), T.extract())
    assert T.missing(catalog) == []
    assert {m.id for m in T.extract() if m.id} <= {m.id for m in T.read() if m.id}, \
        "run scripts/translations.py"


def test_the_committed_mo_is_the_compiled_po():
    with open(T.PO.with_suffix(".mo"), "rb") as fh:
        mo = {(m.context, m.id): m.string for m in read_mo(fh) if m.id}
    po = {(m.context, m.id): m.string for m in T.read() if m.id and m.string and not m.fuzzy}
    assert mo == po


def test_placeholders_survive_translation():
    for m in T.read():
        if m.id and m.string:
            assert set(re.findall(r"%\((\w+)\)s", m.id)) == set(re.findall(r"%\((\w+)\)s", m.string)), m.id


def test_desk_js_shows_no_literal_words():
    """desk.js takes its words from the page (`JS_WORDS`), never writes Vietnamese itself."""
    js = (ROOT / "webui/static/desk.js").read_text(encoding="utf-8")
    strings = re.findall(r'"([^"\\]*)"', js)
    assert [s for s in strings if re.search(r"[À-ỹ]", s)] == []


def test_english_session_gets_english_words_errors_and_js(clerk):
    import html
    import json

    from tests.test_webui import HTML

    def js_words(page):
        return json.loads(re.search(r'id="js-words">(.*?)</script>', page).group(1))
    today = clerk.get("/today").text
    assert js_words(today)["working_days"] == "ngày làm việc" and "Hôm nay" in today
    missing = clerk.get("/dossiers/07024-000000-0000", headers=HTML)
    assert missing.status_code == 404 and "Không tìm thấy hồ sơ" in html.unescape(missing.text)

    clerk.post("/language", data={"csrf_token": clerk.csrf, "lang": "en", "back": "/today"})
    today = clerk.get("/today").text
    assert js_words(today)["working_days"] == "working days"
    assert "Today" in today and "Hôm nay" not in today
    missing = clerk.get("/dossiers/07024-000000-0000", headers=HTML)
    text = html.unescape(missing.text)
    assert missing.status_code == 404 and "No dossier “07024-000000-0000”." in text
    assert "Không tìm thấy hồ sơ" not in text
