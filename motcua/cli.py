"""The one `motcua` command: each package contributes its group (`node`, `central`, `parcel`)."""
from __future__ import annotations

import importlib
import logging

import click


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log more.")
def main(verbose):
    """motcua: offline-first one-stop reception for commune desks.

    Example: motcua demo
    """
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


for _module, _name in (("node.cli", "node_group"), ("central.cli", "central_group"),
                       ("sync.cli", "parcel_group"), ("motcua.demo", "demo_cmd")):
    try:
        main.add_command(getattr(importlib.import_module(_module), _name))
    except ModuleNotFoundError as exc:      # a part not built yet; any other error must show
        if exc.name != _module:
            raise
