"""`examkiosk bundle`: USB sync bundles (.ekb)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from examkiosk.app.cli_options import DATA_DIR, PASSPHRASE_FILE, data_dir_or_default


@click.group()
def bundle() -> None:
    """USB sync bundles (.ekb)."""


@bundle.command("export")
@DATA_DIR
@PASSPHRASE_FILE
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), required=True)
def bundle_export(data_dir: Path | None, passphrase_file: Path | None, out: Path) -> None:
    """Export every event and snapshot of this station to an encrypted, signed bundle."""
    from examkiosk.app.unlock import open_for_cli
    from examkiosk.core.export import export_bundle

    station = open_for_cli(data_dir_or_default(data_dir), passphrase_file)
    try:
        with click.progressbar(length=100, label="导出 exporting", file=sys.stderr) as bar:

            def progress(done: int, total: int) -> None:
                bar.update(int(100 * done / max(total, 1)) - bar.pos)

            info = export_bundle(station, out, progress=progress)
    finally:
        station.close()
    click.echo(
        f"已写入并校验 written and verified: {out} "
        f"(events {info.first_seq}-{info.last_seq}, {info.snapshot_count} snapshots)"
    )


@bundle.command("verify")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--json", "as_json", is_flag=True)
def bundle_verify(file: Path, as_json: bool) -> None:
    """Check, without any key, that a bundle is whole; say which station and range it holds."""
    from sync.bundle import inspect_bundle

    info = inspect_bundle(file)
    if as_json:
        click.echo(json.dumps({"ok": True, **info.to_dict()}, ensure_ascii=False, indent=2))
        return
    click.echo(
        f"完好 OK: station {info.station_id}, venue {info.venue_id}, sitting {info.sitting_id}, "
        f"events {info.first_seq}-{info.last_seq} ({info.event_count}), "
        f"snapshots {info.snapshot_count}, sha256 {info.sha256[:16]}…"
    )
