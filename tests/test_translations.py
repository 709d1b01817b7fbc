"""The screens' words go through gettext: every marked text has English, the committed .mo is the
compiled .po, and templates hold no text outside `_()`. Exempt: the printed legal forms
(`templates/forms/`, Vietnamese by law), commands in `<code>` (typed as written), a page's CSS class
(`{% block body_class %}`) and key names (`Alt+L`)."""
from __future__ import annotations

import re
import sys
from pathlib import Path

from babel.messages.mofile import read_mo

from tests.test_webui import clerk, client  # noqa: F401 - fixtures

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import translations as T  # noqa: E402

_MARKUP = re.compile(r"\{%\s*block body_class\s*%\}.*?\{%\s*endblock\s*%\}|<code>.*?</code>"
                     r"|\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}|<[^>]*>", re.S)
_KEYS = re.compile(r"\bAlt\+\w\b")
_ATTR = re.compile(r'\b(?:placeholder|title|aria-label|alt)="([^"{]*[^\W\d_][^"{]*)"')
_WORD = re.compile(r"[^\W\d_]{2,}")         # at least one word of two letters


def template_texts(root: Path = ROOT / "webui/templates") -> set[tuple[str, str]]:
    """(template, text) for every run of words a page shows outside `{{ … }}` and `{% … %}`."""
    found = set()
    for path in sorted(root.rglob("*.html")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith("forms/"):
            continue
        source = path.read_text(encoding="utf-8")
        for part in _MARKUP.split(source):
            text = " ".join(part.split())
            if _WORD.search(_KEYS.sub("", text.replace("&lt;", "").replace("&gt;", ""))):
                found.add((rel, text))
        for match in _ATTR.finditer(source):
            found.add((rel, match.group(1)))
    return found


def test_templates_hold_no_untranslated_text():
    assert sorted(template_texts()) == [], "wrap it in _('…') and run scripts/translations.py"


def test_the_scan_finds_text_outside_gettext_and_spares_the_exempt(tmp_path):
    (tmp_path / "forms").mkdir()
    (tmp_path / "forms/form09.html").write_text("<p>Giấy tiếp nhận</p>", encoding="utf-8")
    (tmp_path / "page.html").write_text(
        "{% block body_class %}kiosk{% endblock %}<h1>{{ _('Trợ giúp') }}</h1>\n"
        "<p>{{ _('Lưu') }} (Alt+L) <code>motcua node export --to &lt;{{ _('thư mục') }}&gt;</code></p>\n"
        "<p>Quay lại</p><a title=\"Mở trang\">→</a>", encoding="utf-8")
    assert template_texts(tmp_path) == {("page.html", "Quay lại"), ("page.html", "Mở trang")}


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
