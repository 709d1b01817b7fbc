"""`motcua parcel …`: look at parcel files without keys (what a technician does with a USB stick)."""
from __future__ import annotations

import json
from pathlib import Path

import click


@click.group("parcel")
def parcel_group():
    """Parcel files (.mcp): check and inspect them."""


@parcel_group.command("inspect")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
def inspect_cmd(paths):
    """Print each parcel's header (readable without any key) or why it is unreadable.

    Example: motcua parcel inspect /media/usb/motcua/*.mcp
    """
    from sync.folder import read_parcel
    from sync.parcel import ParcelRefused, parcel_sha256, peek_header
    bad = 0
    for name in paths:
        for path in sorted(Path(name).glob("*.mcp")) if Path(name).is_dir() else [Path(name)]:
            try:                     # a FIFO, device or symlink named *.mcp: refused, not read
                data = read_parcel(path)
                header = peek_header(data)
                click.echo(json.dumps({"file": path.name, "sha256": parcel_sha256(data),
                                       **header.to_dict()}, ensure_ascii=False))
            except ParcelRefused as exc:
                bad += 1
                click.echo(f"{path.name}: {exc.reason}: {exc.message_vi}", err=True)
    if bad:
        raise SystemExit(1)


@parcel_group.command("verify")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@click.option("--center-fingerprint", default=None,
              help="The center key fingerprint you trust (xxxx-xxxx-xxxx-xxxx); refused if it differs.")
def verify_cmd(folder, center_fingerprint):
    """Check signatures, hashes and completeness of a USB stick without importing anything.

    Needs no private key and prints no content: file names, kinds, sizes, and what is wrong.

    Example: motcua parcel verify /media/usb --center-fingerprint 3f2a-…
    """
    from sync.folder import verify_folder
    report = verify_folder(folder, center_fingerprint=center_fingerprint)
    for line in report.lines():
        click.echo(line)
    if not report.ok:
        raise SystemExit(1)
