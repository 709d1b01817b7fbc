"""The one catalogue of errors: every code raised anywhere is in it, every entry speaks both
languages with the same details, docs/errors.md is generated from it, and the center's id is one
constant."""
from __future__ import annotations

import ast
import re
import string
from datetime import date, datetime
from pathlib import Path

import pytest

import central
import central.key_rotation
import central.uploads
import node
import node.enroll
import node.scanner
import sync.stickfs
from motcua import errors as E
from motcua.errors import InvalidInput

assert central and node and sync   # every error class is defined before the catalogue is read

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("motcua", "node", "sync", "central", "webui")


def _sources():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(encoding="utf-8"))


def _error_classes() -> set[str]:
    """Names of every exception class that carries a catalogue message (DomainError and below)."""
    return ({cls.__name__ for cls in E.error_classes()}
            | {"Refused", "TransportError"})   # Refused: Conflict's alias; TransportError: sync's own


def _is_text(node: ast.AST) -> bool:
    """A literal sentence: a string, an f-string, or text glued to one."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return True
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):
        return _is_text(node.left) or _is_text(node.right)
    return False


def _calls(names: set[str]):
    for path, tree in _sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
                if name in names:
                    yield path, node, name


def test_no_error_is_raised_with_a_literal_sentence_or_code():
    """Raise sites name a catalogue entry: no sentence and no `code="…"` written there."""
    offenders = []
    for path, node, name in _calls(_error_classes()):
        if path == "motcua/errors.py":
            continue
        args = list(node.args)
        if args and _is_text(args[0]):
            offenders.append(f"{path}:{node.lineno} {name}(<text>)")
        if name in ("ParcelRefused", "StickRefused") and len(args) > 1:
            offenders.append(f"{path}:{node.lineno} {name}(reason, message)")
        for kw in node.keywords:
            if kw.arg == "code" and _is_text(kw.value):
                offenders.append(f"{path}:{node.lineno} {name}(code=<literal>)")
    assert offenders == []


# What a sync round or a USB trip says to people: every sentence comes from the catalogue.
TRIP_MODULES = ("sync/transport.py", "sync/carrier.py", "sync/stickcarrier.py", "sync/folder.py",
                "node/rounds.py", "node/ferry.py", "central/ferry.py")


def _docstrings(tree: ast.AST) -> set[int]:
    return {id(n.body[0].value) for n in ast.walk(tree)
            if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef)) and n.body
            and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}


def test_round_and_trip_reports_say_nothing_outside_the_catalogue():
    """No Vietnamese sentence written in the modules of a round or a trip (docstrings aside): the
    CLI, the USB page and `sync:last_error` read catalogue entries, in either language."""
    found = []
    for path in TRIP_MODULES:
        tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
        docs = _docstrings(tree)
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and id(node) not in docs and any(ord(ch) > 127 for ch in node.value)):
                found.append(f"{path}:{node.lineno} {node.value[:40]!r}")
    assert found == []


def test_a_trip_report_speaks_either_language():
    from sync.carrier import TripReport
    report = TripReport()
    report.went.append(E.TRIP_WENT_ENROLL())
    report.leave("motcua/07024", E.TRIP_OTHER_POINT())
    assert report.lines("vi")[0] == "Đã ghi: yêu cầu ghi danh (đã niêm phong cho trung tâm)"
    assert report.lines("en")[0] == "Written: the enrollment request (sealed for the center)"
    assert report.lines("en")[-1] == "Nothing waits for the next trip."
    assert report.to_dict("en")["ignored"] == [{"file": "motcua/07024",
                                                "why": "another point's folder, left as it is"}]
    assert report.to_dict()["went"] == ["yêu cầu ghi danh (đã niêm phong cho trung tâm)"]


def test_a_transport_error_carries_its_code_and_both_languages():
    from sync.transport import TransportError
    exc = TransportError(E.SYNC_UNREACHABLE(what=E.STEP_DOWN, why=E.WHY_CUT))
    assert exc.code == "center_unreachable" and exc.retryable is True
    assert exc.message_vi == str(exc) == "Không liên lạc được với trung tâm (nhận gói): mất kết nối."
    assert exc.message_en == "Cannot reach the center (fetching a parcel): connection lost."


def test_every_code_the_code_names_is_in_the_catalogue():
    """Class-level codes, and every `E.NAME` the code refers to, are catalogue entries."""
    known = E.codes()
    catalogue = E.catalogue()
    unknown = []
    for path, tree in _sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                for stmt in node.body:
                    if (isinstance(stmt, ast.Assign) and any(getattr(t, "id", "") == "code"
                                                             for t in stmt.targets)
                            and isinstance(stmt.value, ast.Constant)
                            and stmt.value.value not in known):
                        unknown.append(f"{path}:{stmt.lineno} code {stmt.value.value!r}")
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id == "E" and node.attr.isupper()
                    and node.attr not in catalogue and not hasattr(E, node.attr)):
                unknown.append(f"{path}:{node.lineno} E.{node.attr}")
    assert unknown == []


def test_policy_refusals_carry_catalogue_codes_in_both_languages():
    from sync import policy
    verdicts = {verdict for _, _, verdict in policy.policy_table() if verdict != "allow"}
    codes = {re.fullmatch(r"refuse \((\w+)\)", v).group(1) for v in verdicts}
    assert codes and codes <= E.codes()
    from sync.events import Event
    ev = Event("e" * 32, "dossier.corrected", "d" * 32, "07027", "x", "0" * 15 + "-00000", {})
    refusal = policy.authorize(ev, sender="07027", owner="07024")
    assert refusal.code == "not_owner"
    assert refusal.message_vi == refusal.said.text("vi") and "07024" in refusal.message_vi
    assert refusal.said.text("en").startswith("Event dossier.corrected (eeeeeeeeeeee) from 07027: "
                                              "this dossier belongs to point 07024")


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("name", sorted(E.catalogue()))
def test_each_entry_speaks_both_languages_with_the_same_details(name):
    m = E.catalogue()[name]
    assert re.fullmatch(r"[a-z][a-z0-9_]*", m.code), m
    assert 400 <= m.status < 600 or (m.code in ("trip_report", "verify_report") and m.status == 200), m
    assert m.vi.strip() and m.en.strip(), m
    assert _fields(m.vi) == _fields(m.en), m
    assert m.vi != m.en or _fields(m.vi) >= {"detail"}, "English is a translation, not a copy"
    # every template renders with plausible details, in both languages
    sample = {"day": date(2026, 1, 5), "born": date(1985, 9, 5), "value": date(2026, 1, 5),
              "today": date(2026, 1, 4), "due": datetime(2026, 1, 5, 17), "month": 9, "year": 1985,
              "size": 12.5, "max": 10, "raw": "x", "mb": 1.5}
    said = m(**{f: sample.get(f, f"<{f}>") for f in _fields(m.vi)})
    for lang in E.LANGUAGES:
        text = said.text(lang)
        assert text and "{" not in text.replace("{}", ""), (lang, text)


def test_docs_table_is_the_catalogue():
    page = (ROOT / "docs/errors.md").read_text(encoding="utf-8")
    start, end = "<!-- catalogue:start -->", "<!-- catalogue:end -->"
    table = page.split(start, 1)[1].split(end, 1)[0].strip()
    assert table == E.catalogue_markdown(), "regenerate: python scripts/errors_table.py"
    for code in E.codes():
        assert f"`{code}`" in page, f"{code} is not documented in docs/errors.md"


def test_an_error_carries_both_languages_and_the_stable_code():
    exc = InvalidInput(E.BAD_INT_ARG(name="page", low=1, high=5), field="page")
    assert exc.code == "invalid_input" and exc.status == 422
    assert exc.message_vi == "Tham số “page” phải là số nguyên từ 1 đến 5."
    assert exc.message("en") == "Parameter “page” must be a whole number from 1 to 5."
    body = exc.to_dict()["error"]
    assert body == {"code": "invalid_input", "message": exc.message_vi, "message_en": exc.message_en,
                    "field": "page", "fields": {"page": exc.message_vi}}
    assert exc.field_messages("en") == {"page": exc.message_en}


def test_nested_phrases_follow_the_language():
    from motcua.lifecycle import TransitionRefused, check_transition
    with pytest.raises(TransitionRefused) as info:
        check_transition(1, 1)
    assert info.value.said.text("vi").startswith("Hồ sơ đã ở trạng thái “")
    assert info.value.said.text("en").startswith("The dossier is already “")
    assert info.value.said.code == "transition_refused"


def test_a_missing_detail_shows_as_itself_not_a_crash():
    assert E.POINT_NOT_FOUND().text("en") == "No point “{unit}”."


def test_the_center_id_is_one_constant():
    """No module spells the center's id: they import `sync.events.CENTER_ID`."""
    from sync.events import CENTER_ID
    allowed = {"sync/events.py", "central/cli.py", "motcua/demo.py"}   # the CLI's group name
    found = []
    for path, tree in _sources():
        if path in allowed:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and node.value == CENTER_ID:
                found.append(f"{path}:{node.lineno}")
    assert found == []


def test_a_stick_check_speaks_either_language(tmp_path):
    """`motcua parcel verify` reads catalogue sentences: Vietnamese on the CLI, English on asking."""
    from sync.folder import ROOT_NAME, verify_folder
    report = verify_folder(tmp_path)
    assert not report.ok
    assert report.lines("vi") == [f"LỖI  không thấy thư mục {ROOT_NAME}/ trong {tmp_path}: đúng USB chưa?"]
    assert report.lines("en") == [f"ERROR  no {ROOT_NAME}/ folder in {tmp_path}: is it the right stick?"]
    (tmp_path / ROOT_NAME).mkdir()
    report = verify_folder(tmp_path)
    assert report.ok and report.lines("en") == [
        "No public keys on the stick: structure and hashes checked, signatures not.", "Good: 0 problems."]
