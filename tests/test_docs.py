"""The docs stay true: every module the architecture page names exists, and every module of the
four packages is on the page."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = (ROOT / "docs/architecture.md").read_text(encoding="utf-8")
NAMED = set(re.findall(r"`((?:motcua|node|sync|central|webui)/[\w/.*-]*)`", PAGE))


def test_every_named_path_exists():
    missing = [p for p in NAMED if not list(ROOT.glob(p.rstrip("/")))]
    assert missing == []


def test_every_module_is_on_the_page():
    modules = [p.relative_to(ROOT).as_posix()
               for package in ("motcua", "node", "sync", "central", "webui")
               for p in (ROOT / package).rglob("*.py")
               if p.name not in ("__init__.py", "__main__.py")]
    covered = {m for m in modules
               if m in NAMED or any(n.endswith("/") and m.startswith(n) for n in NAMED)}
    assert sorted(set(modules) - covered) == []


DOTTED = set(re.findall(r"`((?:motcua|node|sync|central|webui)(?:\.\w+)+)", PAGE))


def _unresolved(names) -> list[str]:
    """The dotted names that are neither a module nor something a module defines."""
    import importlib
    wrong = []
    for dotted in sorted(names):
        parts = dotted.split(".")
        for cut in range(len(parts), 0, -1):
            try:
                obj = importlib.import_module(".".join(parts[:cut]))
            except ImportError:
                continue
            for attr in parts[cut:]:
                obj = getattr(obj, attr, None)
            if obj is None:
                wrong.append(dotted)
            break
        else:
            wrong.append(dotted)
    return wrong


def test_every_dotted_name_is_a_module_or_what_a_module_defines():
    """`node.apply.commit`, `sync.merge`…: a renamed or deleted module or function fails here."""
    assert DOTTED and _unresolved(DOTTED) == []


def test_the_check_catches_a_stale_name():
    assert _unresolved({"node.sync_client.sync_round", "node.rounds.no_such", "node.rounds.sync_round"}) \
        == ["node.rounds.no_such", "node.sync_client.sync_round"]
