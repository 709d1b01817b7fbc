"""The screens' words, with the ecosystem's tools: Flask-Babel over gettext catalogues.

Vietnamese is the source language and the default: templates and code mark Vietnamese text with
`_()` / `gettext()`, and `webui/translations/en/LC_MESSAGES/messages.po` holds the English.
The compiled `.mo` sits beside it in the repository, so `pip install -e .` works offline with no
build step; `python scripts/translations.py` re-extracts, updates and compiles (`pybabel` under
the hood), and tests/test_translations.py fails when a marked text lacks English, when a template
holds text outside `_()`, or when the `.mo` is older than the `.po`.

Domain messages (errors, refusals) come from the error catalogue (`motcua.errors`), which carries
both languages itself; `error_text` picks the reader's. Printed legal forms (templates/forms)
stay Vietnamese by law.
"""
from __future__ import annotations

from pathlib import Path

from flask import current_app, has_request_context, session
from flask_babel import Babel, gettext, lazy_gettext, pgettext

from motcua.errors import DomainError, Said
from motcua.fees import METHOD_LABELS_VI, STAGE_LABELS_VI
from motcua.lifecycle import STATUS_LABELS_VI, Status
from sync.conflict_review import DECISION_LABELS_VI, KIND_LABELS_VI

LANGUAGES = ("vi", "en")
TRANSLATIONS = Path(__file__).resolve().parent / "translations"

N_ = lazy_gettext      # marks text for extraction where it is defined; translated when rendered

# Domain labels (statuses, conflict kinds and decisions) keep their Vietnamese in the domain; their
# English is in the .po, and the translations test requires it (`domain_msgids`).
def domain_msgids() -> list[str]:
    return [*STATUS_LABELS_VI.values(), *KIND_LABELS_VI.values(), *DECISION_LABELS_VI.values(),
            *STAGE_LABELS_VI.values(), *METHOD_LABELS_VI.values()]


# The words desk.js shows, rendered into the page (`<script type="application/json">`).
JS_WORDS = {"working_days": N_("ngày làm việc"), "same_day": N_("trong ngày"),
            "no_match": N_("Không có thủ tục nào khớp."), "pages": N_("trang"),
            "remove": N_("Bỏ"),
            "cccd_filled": N_("Đã điền từ thẻ căn cước; kiểm tra lại rồi nhập số điện thoại."),
            "cccd_offline": N_("Không kiểm tra được với máy chủ; các trường đã điền theo mã QR."),
            "lists_updated": N_("Danh sách vừa được cập nhật lúc")}


def current_language() -> str:
    """The session's language ("vi" unless the person switched), or the app's default."""
    lang = session.get("lang") if has_request_context() else None
    lang = lang or current_app.config.get("LANGUAGE", "vi")
    return lang if lang in LANGUAGES else "vi"


def init_babel(app) -> None:
    """Flask-Babel on `app`: Vietnamese default, the session's choice, catalogues in this package."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "vi")
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS)
    if "babel" not in app.extensions:
        Babel(app, locale_selector=current_language)
    app.jinja_env.globals.update(status_label=status_label, kind_label=kind_label,
                                 decision_label=decision_label, js_words=js_words)


def error_text(message) -> str:
    """A catalogue message (`Said`), a `DomainError` or plain text, in the reader's language."""
    if isinstance(message, DomainError):
        return message.message(current_language())
    return message.text(current_language()) if isinstance(message, Said) else str(message)


def status_label(code: int) -> str:
    """A status's name in the session's language."""
    return gettext(STATUS_LABELS_VI[Status(int(code))])


def kind_label(kind: str) -> str:
    """A conflict kind's name in the session's language."""
    return gettext(KIND_LABELS_VI[kind]) if kind in KIND_LABELS_VI else kind


def decision_label(decision: str) -> str:
    """A conflict decision's name in the session's language."""
    return gettext(DECISION_LABELS_VI[decision]) if decision in DECISION_LABELS_VI else decision


def js_words() -> dict[str, str]:
    return {key: str(text) for key, text in JS_WORDS.items()}


__all__ = ["LANGUAGES", "current_language", "decision_label", "error_text", "gettext",
           "init_babel", "js_words", "kind_label", "pgettext", "status_label"]
