"""`examkiosk bundle`: USB sync bundles (.ekb) and the removable drives they go on."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from examkiosk.app.cli_auth import signed_in, staff_options
from examkiosk.app.cli_options import DATA_DIR, PASSPHRASE_FILE, data_dir_or_default, lang
from examkiosk.app.cli_progress import human_size
from examkiosk.core.errors import localized

EXIT_CANCELLED = 130  # as a shell reports a command stopped by Ctrl-C


@click.group()
def bundle() -> None:
    """USB sync bundles (.ekb)."""


@bundle.command("export")
@DATA_DIR
@PASSPHRASE_FILE
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    required=True,
    help="Bundle file to write, or a folder (a USB stick) to write STATION-FIRST-LAST.ekb into.",
)
@click.option("--sitting", "sitting_id", default=None, help="Everything of this sitting.")
@click.option("--all", "everything", is_flag=True, help="Everything, acknowledged or not.")
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
@staff_options
def bundle_export(
    data_dir: Path | None,
    passphrase_file: Path | None,
    out: Path,
    sitting_id: str | None,
    everything: bool,
    as_json: bool,
    staff: str | None,
    staff_password_file: Path | None,
) -> None:
    """Export what the centre has not acknowledged yet (default), everything (--all) or one
    sitting (--sitting ID) to an encrypted, signed bundle, verified by reading it back.

    Ctrl-C cancels and leaves no partial file behind."""
    from examkiosk.app.cli_progress import Progress, cancel_on_ctrl_c
    from examkiosk.app.unlock import open_for_cli
    from examkiosk.core.export import export_to
    from sync.errors import BundleCancelled
    from sync.media import check_writable

    if sitting_id and everything:
        raise click.UsageError("--sitting and --all exclude each other.")
    folder = out if out.is_dir() else out.parent
    if not folder.is_dir():
        raise click.UsageError(f"folder {folder} does not exist.")
    check_writable(folder)  # a read-only stick is refused before any work is done
    station = open_for_cli(data_dir_or_default(data_dir), passphrase_file)
    progress = Progress("导出 exporting")
    try:
        person = signed_in(station, "bundle.export", staff, staff_password_file, data_dir=data_dir)
        with cancel_on_ctrl_c() as cancel:
            result = export_to(
                station,
                out,
                everything=everything,
                sitting_id=sitting_id,
                progress=progress,
                cancelled=cancel,
                by=person,
            )
    except BundleCancelled as exc:
        click.echo(localized(exc, lang()), err=True)
        sys.exit(EXIT_CANCELLED)
    finally:
        station.close()
    info = result.info
    if as_json:
        document = {"path": str(result.path), "scope": result.scope, **info.to_dict()}
        click.echo(json.dumps(document, ensure_ascii=False, indent=2))
        return
    click.echo(
        f"已写入并校验 written and verified: {result.path} ({result.scope}: events "
        f"{info.first_seq}-{info.last_seq}, {info.event_count} events, "
        f"{info.snapshot_count} snapshots, {human_size(info.size_bytes)})"
    )


@bundle.command("verify")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--json", "as_json", is_flag=True)
def bundle_verify(file: Path, as_json: bool) -> None:
    """Check, without any key, that a bundle is whole; say which station, sitting and
    sequence range it holds. Exit status 1 (with --json) or 2 when it is not whole."""
    from sync.bundle import inspect_bundle
    from sync.errors import SyncError

    try:
        info = inspect_bundle(file)
    except SyncError as exc:
        if not as_json:
            raise
        click.echo(json.dumps({"ok": False, "error": exc.en, "error_zh": exc.zh}, indent=2))
        sys.exit(1)
    if as_json:
        click.echo(json.dumps({"ok": True, **info.to_dict()}, ensure_ascii=False, indent=2))
        return
    click.echo(
        f"完好 OK: station {info.station_id}, venue {info.venue_id}, sitting {info.sitting_id}, "
        f"events {info.first_seq}-{info.last_seq} ({info.event_count}), "
        f"snapshots {info.snapshot_count}, created {info.created_at}, "
        f"{human_size(info.size_bytes)}, sha256 {info.sha256[:16]}…"
    )


@bundle.command("volumes")
@click.option("--json", "as_json", is_flag=True)
def bundle_volumes(as_json: bool) -> None:
    """List mounted removable drives (USB sticks, cards) to export onto."""
    from sync.media import list_removable_volumes

    volumes = list_removable_volumes()
    if as_json:
        rows = [
            {
                "device": v.device,
                "mount_point": str(v.mount_point),
                "label": v.label,
                "fs_type": v.fs_type,
                "read_only": v.read_only,
                "total_bytes": v.total_bytes,
                "free_bytes": v.free_bytes,
            }
            for v in volumes
        ]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not volumes:
        click.echo("未发现可移动磁盘 no removable drive found. 请插入U盘 plug in a USB stick.")
        return
    for v in volumes:
        state = "只读 read-only" if v.read_only else f"可用 free {human_size(v.free_bytes)}"
        click.echo(
            f"{v.mount_point}  {v.display_name}  {v.device}  {v.fs_type}  "
            f"{state} / {human_size(v.total_bytes)}"
        )
