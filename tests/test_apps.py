"""The composition root: each package's app has no pages, `motcua.apps` adds them, and the center's
whole app loads nothing of the node."""
from __future__ import annotations

import subprocess
import sys

from click.testing import CliRunner


def test_the_node_package_builds_the_api_and_the_root_adds_the_desk(node_dir):
    import node
    from motcua.apps import create_node_app
    api_only = node.create_app({"DATA_DIR": str(node_dir), "TESTING": True})
    assert api_only.test_client().get("/api/v1/procedures").status_code == 401    # API: token
    assert api_only.test_client().get("/login").status_code == 404
    assert {bp.import_name.split(".")[0] for bp in api_only.blueprints.values()} == {"node"}
    whole = create_node_app({"DATA_DIR": str(node_dir), "TESTING": True})
    assert whole.test_client().get("/login").status_code == 200
    assert "webui" in {bp.import_name.split(".")[0] for bp in whole.blueprints.values()}


def test_the_centers_whole_app_loads_nothing_of_the_node(tmp_path):
    """`central.create_app()` used to load `node.models` through the shared UI guards."""
    script = (
        "import sys\n"
        "from motcua.apps import create_central_app\n"
        f"app = create_central_app({{'DATA_DIR': {str(tmp_path / 'center')!r}}})\n"
        "assert app.test_client().get('/login').status_code == 200\n"
        "loaded = sorted(m for m in sys.modules if m == 'node' or m.startswith('node.'))\n"
        "print(loaded)\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]"


def test_serve_needs_the_whole_app_handed_down_by_the_motcua_command(node_dir):
    from motcua.cli import main
    from node.cli import node_group
    from tests.procs import free_port
    alone = CliRunner().invoke(node_group, ["serve", "--data-dir", str(node_dir),
                                            "--port", str(free_port())])   # not the default 8800
    assert alone.exit_code == 2 and "motcua" in alone.output                   # one-line reason
    helped = CliRunner().invoke(main, ["node", "serve", "--help"])
    assert helped.exit_code == 0 and "Example: motcua node serve" in helped.output
