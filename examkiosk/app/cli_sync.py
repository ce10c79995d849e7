"""`examkiosk sync`: the station's HTTP sync with the exam centre, from the command line.

    examkiosk sync status --data-dir D [--central URL] [--json]
    examkiosk sync push   --data-dir D [--central URL] [--ca-file F] [--json]
    examkiosk sync config --data-dir D [--central URL] [--ca-file F]
                          [--dev-allow-http/--no-dev-allow-http] [--json]

The centre must be https:// (its certificate checked against --ca-file, or the system's
CAs). Plain http:// is accepted only to this machine (127.0.0.1, localhost), only with the
development switch --dev-allow-http, which is recorded as an event and shown in red.

`push` exits 0 when the centre took everything it was sent, 1 when the centre could not be
reached or refused the station, 3 when the centre holds another history for this station
(a restored database: see docs/sync.md, recovery procedures).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from examkiosk.app.cli_auth import signed_in, staff_options
from examkiosk.app.cli_options import DATA_DIR, PASSPHRASE_FILE, data_dir_or_default, lang
from examkiosk.app.cli_progress import human_size

EXIT_UNREACHABLE = 1
EXIT_DIVERGED = 3

CENTRAL = click.option(
    "--central",
    "central_url",
    default=None,
    help="Exam centre URL, e.g. https://sync.example.cn:8470 (default: the one saved).",
)
CA_FILE = click.option(
    "--ca-file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="CA certificate (PEM) that the centre's TLS certificate must chain to.",
)
JSON = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")


@click.group()
def sync() -> None:
    """HTTP sync with the exam centre (status, push now, configuration)."""


def _say(zh: str, en: str) -> str:
    return en if lang().startswith("en") else zh


@sync.command("config")
@DATA_DIR
@PASSPHRASE_FILE
@CENTRAL
@CA_FILE
@click.option(
    "--dev-allow-http/--no-dev-allow-http",
    "dev_allow_http",
    default=None,
    help="Development only: allow plain http:// to 127.0.0.1/localhost (recorded).",
)
@JSON
@staff_options
def sync_config(
    data_dir: Path | None,
    passphrase_file: Path | None,
    central_url: str | None,
    ca_file: Path | None,
    dev_allow_http: bool | None,
    as_json: bool,
    staff: str | None,
    staff_password_file: Path | None,
) -> None:
    """Show, or with --central/--ca-file save, the centre this station syncs with."""
    from examkiosk.app.unlock import open_for_cli
    from examkiosk.core.sync_state import load_state, save_central

    station = open_for_cli(data_dir_or_default(data_dir), passphrase_file)
    try:
        if central_url or ca_file or dev_allow_http is not None:
            url = central_url or load_state(station).central_url
            if not url:
                raise click.UsageError("a centre URL is needed: add --central URL.")
            person = signed_in(
                station, "sync.settings", staff, staff_password_file, data_dir=data_dir
            )
            state = save_central(station, url, ca_file, allow_plain_http=dev_allow_http, by=person)
        else:
            state = load_state(station)
    finally:
        station.close()
    if as_json:
        click.echo(
            json.dumps(
                {
                    "central_url": state.central_url,
                    "ca_file": state.ca_file,
                    "dev_allow_http": state.allow_plain_http,
                }
            )
        )
        return
    click.echo(f"考试中心 centre: {state.central_url or '-'}")
    click.echo(f"CA 证书 CA file: {state.ca_file or '-'}")
    if state.allow_plain_http:
        click.secho(
            "开发开关：允许到本机的明文 http。development switch: plain http to this machine "
            "allowed.",
            fg="red",
        )


def _status_lines(station_id: str, url: str, status: Any) -> list[str]:
    online = ("在线 online" if status.online else "离线 offline") if url else "未设置 not set"
    lines = [
        f"工作站 station: {station_id}",
        f"考试中心 centre: {url or '-'} ({online})",
        f"上次成功 last success: {status.last_success or '从未 never'}",
        f"已确认 acknowledged: seq {status.acked_seq} / {status.local_seq}",
        f"积压 backlog: {status.backlog_events} events ({human_size(status.backlog_bytes)}), "
        f"{status.backlog_snapshots} snapshots ({human_size(status.backlog_snapshot_bytes)})",
    ]
    if status.diverged:
        lines.append(
            _say(
                "警告：考试中心保存的本机记录与本机不一致（数据库可能被还原）。请按 docs/sync.md 处理。",
                "WARNING: the centre holds another history for this station (restored "
                "database?). Follow the recovery procedure in docs/sync.md.",
            )
        )
    if status.last_error and not status.online:
        lines.append(f"上次错误 last error: {_say(status.last_error_zh, status.last_error)}")
    return lines


@sync.command("status")
@DATA_DIR
@PASSPHRASE_FILE
@CENTRAL
@CA_FILE
@JSON
def sync_status(
    data_dir: Path | None,
    passphrase_file: Path | None,
    central_url: str | None,
    ca_file: Path | None,
    as_json: bool,
) -> None:
    """Online or not (a 2-second probe), last success, backlog in events and bytes."""
    from examkiosk.app.unlock import open_for_cli
    from examkiosk.core.sync_state import (
        initial_status,
        load_state,
        probe_status,
        station_sync_client,
    )

    station = open_for_cli(data_dir_or_default(data_dir), passphrase_file)
    try:
        url = central_url or load_state(station).central_url
        if url:
            client = station_sync_client(station, url, ca_file)
            try:
                status = probe_status(station, client)
            finally:
                client.close()
        else:
            status = initial_status(station)
        last_export = load_state(station).last_export
        station_id = station.station_id
    finally:
        station.close()
    if as_json:
        document = {
            "station_id": station_id,
            "central_url": url or "",
            **status.to_dict(),
            "last_export": last_export,
        }
        click.echo(json.dumps(document, ensure_ascii=False, indent=2))
        return
    for line in _status_lines(station_id, url or "", status):
        click.echo(line)
    if last_export:
        click.echo(
            f"上次导出 last bundle: {last_export.get('at')} events "
            f"{last_export.get('first_seq')}-{last_export.get('last_seq')} "
            f"→ {last_export.get('path')}"
        )


@sync.command("push")
@DATA_DIR
@PASSPHRASE_FILE
@CENTRAL
@CA_FILE
@JSON
def sync_push(
    data_dir: Path | None,
    passphrase_file: Path | None,
    central_url: str | None,
    ca_file: Path | None,
    as_json: bool,
) -> None:
    """One sync pass now: send what the centre does not hold, events first, then snapshots.

    Exit status 0 when done, 1 when the centre could not be reached, 3 when it holds another
    history for this station."""
    from examkiosk.app.unlock import open_for_cli
    from examkiosk.core.sync_state import load_state, push_once
    from sync.client import SyncUnavailable

    station = open_for_cli(data_dir_or_default(data_dir), passphrase_file)
    try:
        base_url, result = push_once(station, central_url, ca_file)
    except SyncUnavailable as unreachable:
        where = central_url or load_state(station).central_url
        if as_json:
            click.echo(
                json.dumps(
                    {"ok": False, "central_url": where,
                     "error": unreachable.en, "error_zh": unreachable.zh},
                    ensure_ascii=False, indent=2,
                )
            )  # fmt: skip
        click.echo(f"{where}: {_say(unreachable.zh, unreachable.en)}", err=True)
        sys.exit(EXIT_UNREACHABLE)
    finally:
        station.close()
    if as_json:
        click.echo(json.dumps({"central_url": base_url, **result.to_dict()}, ensure_ascii=False))
    else:
        click.echo(
            f"发送 sent: {result.sent_events} events in {result.batches} batches "
            f"(accepted {result.accepted}, duplicates {result.duplicates}, "
            f"quarantined {result.quarantined}, refused {result.refused})"
        )
        click.echo(
            f"照片 snapshots: {result.snapshots_uploaded} uploaded "
            f"({human_size(result.snapshot_bytes)})"
            + (", more pending" if result.snapshots_pending else "")
        )
        done = "完成 complete" if result.complete else "未完成 incomplete"
        click.echo(f"已确认 acknowledged: seq {result.acked_seq} / {result.local_seq} ({done})")
        if result.snapshot_error:
            click.echo(_say(result.snapshot_error_zh, result.snapshot_error), err=True)
    if not result.ok:
        click.echo(_say(result.error_zh, result.error), err=True)
        sys.exit(EXIT_UNREACHABLE)
    if result.diverged:
        click.echo(
            _say(
                "考试中心保存的本机记录与本机不一致（数据库可能被还原），新记录已被隔离，未合并。"
                "请停止使用本机接待考生，并按 docs/sync.md 的恢复步骤处理。",
                "The centre holds another history for this station (restored database?); the "
                "new records were quarantined, not merged. Stop using this station for "
                "candidates and follow the recovery procedure in docs/sync.md.",
            ),
            err=True,
        )
        sys.exit(EXIT_DIVERGED)
