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
