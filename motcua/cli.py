"""The one `motcua` command: each package contributes its group (`node`, `central`, `parcel`),
and the command hands every group the whole apps composed in `motcua.apps`."""
from __future__ import annotations

import logging

import click

from central.cli import central_group
from motcua.apps import create_central_app, create_node_app
from motcua.clikit import WholeApps
from motcua.demo import demo_cmd
from motcua.parcel_cli import parcel_group
from node.cli import node_group


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log more.")
@click.pass_context
def main(ctx, verbose):
    """motcua: offline-first one-stop reception for commune desks.

    Example: motcua demo
    """
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    ctx.obj = WholeApps(node=create_node_app, central=create_central_app)


for _command in (node_group, central_group, parcel_group, demo_cmd):
    main.add_command(_command)
