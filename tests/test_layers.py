"""The floors hold: the import contracts in pyproject.toml are kept, every module of motcua/ is on a
floor, and a deliberately bad import in a copy of the code breaks the contract it should."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("motcua", "node", "sync", "central", "webui")
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]


def _lint_imports(root: Path) -> subprocess.CompletedProcess:
    """import-linter over the packages under `root` (a fresh process, so `root` is what it reads)."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([sys.executable, "-c", "from importlinter.cli import lint_imports_command;"
                           " lint_imports_command()", "--no-cache", "--config",
                           str(root / "pyproject.toml")],
                          cwd=root, env=env, capture_output=True, text=True, timeout=120)


def _kept_and_broken(output: str) -> tuple[set[str], set[str]]:
    """Contract names the report calls KEPT and BROKEN (a long name wraps onto two lines)."""
    text = " ".join(output.split())
    names = {c["name"] for c in CONFIG["contracts"]}
    kept = {n for n in names if f"{n} KEPT" in text}
    broken = {n for n in names if f"{n} BROKEN" in text}
    return kept, broken


def test_every_contract_is_kept():
    result = _lint_imports(ROOT)
    kept, broken = _kept_and_broken(result.stdout)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert broken == set() and kept == {c["name"] for c in CONFIG["contracts"]}


def test_every_module_of_motcua_is_on_a_floor():
    floors = next(c for c in CONFIG["contracts"] if c["id"] == "floors")["layers"]
    named = {m for layer in floors for m in re.split(r"[\s|:]+", layer) if m}
    modules = {f"motcua.{p.stem}" for p in (ROOT / "motcua").glob("*.py") if p.stem != "__init__"}
    assert sorted(modules - named) == []        # a new module: say on which floor it stands
    assert sorted(named - modules - {"webui", "node", "central", "sync"}) == []


def _floor_of(contract_id: str) -> str:
    return next(c["name"] for c in CONFIG["contracts"] if c["id"] == contract_id)


@pytest.fixture(scope="module")
def copy_root(tmp_path_factory):
    """The five packages' Python files and pyproject.toml, copied once."""
    root = tmp_path_factory.mktemp("layers")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, root / package,
                        ignore=shutil.ignore_patterns("__pycache__", "templates", "static", "data"))
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


@pytest.mark.parametrize("module, bad_import, breaks", [
    ("node/reception.py", "from webui import node_ui", "floors"),          # a domain reaches the UI
    ("central/apply.py", "from node import models", "floors"),             # one domain, the other
    ("sync/merge.py", "from node.models import Dossier", "floors"),        # sync above its floor
    ("motcua/errors.py", "import sync.hlc", "floors"),                     # the ground floor, up
    ("motcua/jobs.py", "from motcua import apps", "floors"),               # ... even within motcua
    ("webui/central/dossiers.py", "from node.models import Dossier", "center-pages"),
    ("webui/security.py", "from node.users import user_for_session", "center-pages"),  # indirect
])
def test_a_bad_import_breaks_its_contract(copy_root, module, bad_import, breaks):
    path = copy_root / module
    original = path.read_text(encoding="utf-8")
    try:
        path.write_text(original + f"\n{bad_import}  # deliberately bad\n", encoding="utf-8")
        result = _lint_imports(copy_root)
    finally:
        path.write_text(original, encoding="utf-8")
    kept, broken = _kept_and_broken(result.stdout)
    assert result.returncode != 0
    assert _floor_of(breaks) in broken, result.stdout[-4000:]
    assert bad_import.split()[1].split(".")[0] in result.stdout     # the report names the import
