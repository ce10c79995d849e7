"""`examkiosk-central make-update`: sign a station program release as an offline update.

    examkiosk-central --home DIR make-update --release dist/examkiosk --version 0.2.0 \\
        --out examkiosk-0.2.0.eku [--platform linux-amd64]

The update is signed by the centre's key (the same key stations already trust for packages),
so only what the centre signed installs; see sync/update.py and docs/install.md.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:  # the group's module imports this one
    from sync.central.cli import Context


@click.command("make-update")
@click.option(
    "--release",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    required=True,
    help="The release folder (the PyInstaller build, e.g. dist/examkiosk).",
)
@click.option("--version", "version", required=True, help="Its version, e.g. 0.2.0.")
@click.option(
    "--platform",
    default="linux-amd64",
    show_default=True,
    type=click.Choice(["linux-amd64", "windows-amd64"]),
)
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), required=True)
@click.pass_obj
def make_update(c: Context, release: Path, version: str, platform: str, out: Path) -> None:
    """Sign a program release as an offline update (.eku) for the stations."""
    from sync.update import build_update

    keys = c.home.unlock(c.passphrase())
    partial = out.with_name(out.name + ".part")
    try:
        with open(partial, "wb") as stream:
            result = build_update(
                release,
                stream,
                version=version,
                platform=platform,
                issued_at=datetime.now().astimezone().isoformat(timespec="seconds"),
                signer=keys,
            )
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    click.echo(
        f"{out}: examkiosk {version} ({platform}), {result.size} bytes, sha256 {result.sha256}"
    )
