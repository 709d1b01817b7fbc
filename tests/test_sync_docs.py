"""The protocol document names every sync endpoint the center serves (keeps the docs honest)."""
from pathlib import Path


def test_protocol_doc_lists_every_sync_endpoint(tmp_path):
    import re

    from central.db import close_database
    from motcua.apps import create_central_app
    app = create_central_app({"DATA_DIR": str(tmp_path), "TESTING": True})
    close_database()
    doc = (Path(__file__).resolve().parent.parent / "docs/protocol.md").read_text()
    rules = [r.rule for r in app.url_map.iter_rules() if r.rule.startswith("/sync/")]
    assert len(rules) >= 8
    missing = [r for r in rules if re.sub(r"<[^>]+>", "<sha>", r) not in doc]
    assert missing == []
