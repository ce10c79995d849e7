"""`examkiosk backup ...`, `inspect`, `logs`, `stats`: the venue administrator's operations."""

from __future__ import annotations

import getpass
import json
import os
import sys
import time
from pathlib import Path

import click

from examkiosk.app.cli_auth import signed_in, staff_options
from examkiosk.app.cli_options import DATA_DIR, PASSPHRASE_FILE, KioskGroup, data_dir_or_default
from examkiosk.app.cli_progress import human_size


def _passphrase(passphrase_file: Path | None, *, prompt: bool) -> str | None:
    """For a backup there is no data directory to ask: environment, file, or a prompt."""
    from examkiosk.app.unlock import ENV_PASSPHRASE

    if os.environ.get(ENV_PASSPHRASE):
        return os.environ[ENV_PASSPHRASE]
    if passphrase_file is not None:
        return passphrase_file.read_text().strip()
    if prompt and sys.stdin.isatty():
        return getpass.getpass("考点管理员恢复口令 / recovery passphrase: ")
    return None


@click.group("backup", cls=KioskGroup)
def backup() -> None:
    """Station backups (.ekbak): create while running, verify, restore on new hardware."""


@backup.command("create")
@DATA_DIR
@PASSPHRASE_FILE
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    required=True,
    help="Backup file to write, or a folder (second disk, USB drive) to name it in.",
)
@click.option("--json", "as_json", is_flag=True)
@staff_options
def backup_create(
    data_dir: Path | None,
    passphrase_file: Path | None,
    out: Path,
    as_json: bool,
    staff: str | None,
    staff_password_file: Path | None,
) -> None:
    """Copy the station's store (still encrypted), key slots and settings into one file,
    consistently, while the station keeps running; verified by reading it back."""
    from examkiosk.app.unlock import open_for_cli
    from examkiosk.core.backup import create_backup

    root = data_dir_or_default(data_dir)
    station = open_for_cli(root, passphrase_file)
    try:
        person = signed_in(station, "backup.create", staff, staff_password_file, data_dir=root)
        result = create_backup(station, root, out, by=person)
    finally:
        station.close()
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return
    click.echo(
        f"已写入并校验 written and verified: {result.path} (events 1-{result.last_seq}, "
        f"{human_size(result.size_bytes)}, sha256 {result.sha256[:16]}…)"
    )


@backup.command("verify")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@PASSPHRASE_FILE
@click.option("--json", "as_json", is_flag=True)
def backup_verify(file: Path, passphrase_file: Path | None, as_json: bool) -> None:
    """Check a backup against its manifest; with the recovery passphrase ($EXAMKIOSK_PASSPHRASE
    or --passphrase-file) also open the store inside and check its pages and event chain.
    Exit status 1 (with --json) or 2 when it is not usable."""
    from examkiosk.core.backup import verify_backup
    from examkiosk.core.errors import KioskError

    try:
        report = verify_backup(file, _passphrase(passphrase_file, prompt=False))
    except KioskError as exc:
        if not as_json:
            raise
        click.echo(json.dumps({"ok": False, "error": exc.en, "error_zh": exc.zh}, indent=2))
        sys.exit(1)
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        return
    m = report.manifest
    depth = (
        f"数据库已打开并校验 store opened and checked, {report.events} events in a whole chain"
        if report.opened
        else "未提供口令，仅校验文件 no passphrase: file checked, store not opened"
    )
    click.echo(
        f"完好 OK: station {m.get('station_id')}, created {m.get('created_at')}, events "
        f"1-{m.get('last_seq')}, {human_size(report.size_bytes)}; {depth}"
    )


@backup.command("restore")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="New, empty data directory to restore into (nothing is ever overwritten).",
)
@PASSPHRASE_FILE
@click.option("--json", "as_json", is_flag=True)
@staff_options
def backup_restore(
    file: Path,
    data_dir: Path,
    passphrase_file: Path | None,
    as_json: bool,
    staff: str | None,
    staff_password_file: Path | None,
) -> None:
    """Restore a backup on this machine with the recovery passphrase and a venue
    administrator's sign-in (the accounts come with the backup); all or nothing."""
    from examkiosk.core.backup import restore_backup
    from examkiosk.core.errors import StoreLocked

    passphrase = _passphrase(passphrase_file, prompt=True)
    if passphrase is None:
        raise StoreLocked(
            "恢复需要考点管理员的恢复口令。", "A restore needs the venue's recovery passphrase."
        )
    station, report = restore_backup(
        file,
        data_dir,
        passphrase,
        authorize=lambda s: signed_in(s, "backup.restore", staff, staff_password_file),
    )
    try:
        last = station.events()[-1].seq
    finally:
        station.close()
    if as_json:
        click.echo(
            json.dumps(
                {**report.to_dict(), "data_dir": str(data_dir), "last_seq_now": last},
                ensure_ascii=False,
                indent=2,
            )  # fmt: skip
        )
        return
    click.echo(
        f"已恢复 restored: station {report.manifest.get('station_id')} into {data_dir}; "
        f"events 1-{report.manifest.get('last_seq')} checked, chain continues, now at seq {last}"
    )


@backup.command("schedule")
@DATA_DIR
@PASSPHRASE_FILE
@click.option("--folder", type=click.Path(path_type=Path, file_okay=False), default=None)
@click.option("--every", "every_minutes", type=click.IntRange(1, 24 * 60), default=10)
@click.option("--keep", type=click.IntRange(1, 1000), default=12)
@click.option("--off", is_flag=True, help="Stop automatic backups.")
@staff_options
def backup_schedule(
    data_dir: Path | None,
    passphrase_file: Path | None,
    folder: Path | None,
    every_minutes: int,
    keep: int,
    off: bool,
    staff: str | None,
    staff_password_file: Path | None,
) -> None:
    """Automatic backups while the window runs: every N minutes into FOLDER (a second disk
    or USB drive), keeping the newest K there. Show the schedule when given nothing."""
    from examkiosk.app.unlock import open_for_cli
    from examkiosk.core.backup_schedule import BackupSchedule, load_schedule, save_schedule

    root = data_dir_or_default(data_dir)
    station = open_for_cli(root, passphrase_file)
    try:
        if off or folder is not None:
            person = signed_in(station, "backup.create", staff, staff_password_file, data_dir=root)
            schedule = (
                BackupSchedule(str(folder.resolve()), every_minutes, keep)
                if folder is not None and not off
                else None
            )
            save_schedule(station, schedule, person)
        current = load_schedule(station)
    finally:
        station.close()
    if current is None:
        click.echo("自动备份：关闭 automatic backups: off")
    else:
        click.echo(
            f"自动备份 automatic backups: every {current.every_minutes} min into "
            f"{current.folder}, keep {current.keep}"
        )


@backup.command("run-scheduled")
@DATA_DIR
@PASSPHRASE_FILE
@click.option("--once", is_flag=True, help="One backup now, then exit.")
def backup_run_scheduled(data_dir: Path | None, passphrase_file: Path | None, once: bool) -> None:
    """Run the automatic backups headless (a station without the window, or a service)."""
    from examkiosk.app.unlock import open_for_cli
    from examkiosk.core.backup_schedule import AutoBackup, load_schedule

    root = data_dir_or_default(data_dir)
    station = open_for_cli(root, passphrase_file)
    try:
        schedule = load_schedule(station)
        if schedule is None:
            raise click.UsageError("no schedule: set one with `examkiosk backup schedule`.")
        auto = AutoBackup(station, root, schedule)
        while True:
            result = auto.run_if_due(time.monotonic())
            if result is not None:
                click.echo(f"backup {result.path}")
            elif auto.last_error is not None:
                click.echo(f"backup failed: {auto.last_error.en}", err=True)
                if once:
                    sys.exit(1)
            if once:
                if result is None and auto.last_error is None:
                    click.echo("未到时间 not due yet: the last backup is recent enough")
                return
            time.sleep(5)
    finally:
        station.close()


@click.command("inspect")
@DATA_DIR
@PASSPHRASE_FILE
@click.option("--json", "as_json", is_flag=True)
@click.option("--pdf", "pdf", type=click.Path(path_type=Path, dir_okay=False), default=None)
@click.option("--no-devices", is_flag=True, help="Skip readers, camera and face engine.")
@staff_options
def inspect_cmd(
    data_dir: Path | None,
    passphrase_file: Path | None,
    as_json: bool,
    pdf: Path | None,
    no_devices: bool,
    staff: str | None,
    staff_password_file: Path | None,
) -> None:
    """Inspection (巡检): devices, disk, store integrity, event chain, sync, clock, backups,
    logs, security; each line ok / warning / failure with what to do. Recorded as an
    `inspection.done` event. Exit status 0 (ok or warnings) or 1 (a failure)."""
    from examkiosk.app.cli_options import lang
    from examkiosk.app.inspect_run import run_inspection
    from examkiosk.core.accounts import Accounts
    from examkiosk.core.authz import RECOVERY, Person
    from examkiosk.core.inspection_render import report_pdf, report_text
    from examkiosk.core.station import Station

    root = data_dir_or_default(data_dir)

    def who(station: Station) -> Person:
        # Before its first package a station has no staff accounts; whoever opened it with
        # the recovery passphrase may still inspect it (provisioning checks).
        if not staff and not Accounts(station).any_accounts():
            return RECOVERY
        return signed_in(station, "inspect.run", staff, staff_password_file, data_dir=root)

    report = run_inspection(root, passphrase_file, devices=not no_devices, authorize=who)
    if pdf is not None:
        report_pdf(report, pdf, lang())
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(report_text(report, lang()))
        if pdf is not None:
            click.echo(f"PDF: {pdf}")
    sys.exit(report.exit_status)


@click.command("logs")
@DATA_DIR
@click.option("--since", default=None, help="'2h', '30m', '7d', or an ISO 8601 time.")
@click.option(
    "--level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], case_sensitive=False),
    default="INFO",
    show_default=True,
)
@click.option("--json", "as_json", is_flag=True, help="The JSON lines as stored.")
def logs_cmd(data_dir: Path | None, since: str | None, level: str, as_json: bool) -> None:
    """The station's log (JSON lines, rotated, names and ID numbers masked)."""
    from examkiosk.core.logs import parse_since, read_logs

    try:
        floor = parse_since(since) if since else None
    except ValueError:
        raise click.BadParameter(f"{since!r}: use 2h, 30m, 7d or an ISO 8601 time") from None
    for record in read_logs(data_dir_or_default(data_dir), since=floor, min_level=level):
        if as_json:
            click.echo(json.dumps(record.raw, ensure_ascii=False))
        else:
            click.echo(
                f"{record.time.astimezone().isoformat(timespec='seconds')} {record.level:<8} "
                f"{record.logger}: {record.message}"
            )


@click.command("stats")
@DATA_DIR
@PASSPHRASE_FILE
@click.option("--sitting", "sitting_id", default=None, help="One sitting (default: all).")
@click.option("--json", "as_json", is_flag=True)
@click.option("--xlsx", type=click.Path(path_type=Path, dir_okay=False), default=None)
@click.option("--pdf", type=click.Path(path_type=Path, dir_okay=False), default=None)
@staff_options
def stats_cmd(
    data_dir: Path | None,
    passphrase_file: Path | None,
    sitting_id: str | None,
    as_json: bool,
    xlsx: Path | None,
    pdf: Path | None,
    staff: str | None,
    staff_password_file: Path | None,
) -> None:
    """Statistics of this station: attendance, the exam, items, scores. Exports (XLSX with a
    sheet per table, PDF with charts) are recorded as `stats.exported` events."""
    from examkiosk.app.cli_options import lang
    from examkiosk.app.unlock import open_for_cli
    from examkiosk.core.authz import audit
    from examkiosk.core.stats import station_stats
    from sync.stats_export import stats_text, write_pdf, write_xlsx

    root = data_dir_or_default(data_dir)
    station = open_for_cli(root, passphrase_file)
    try:
        action = "stats.export" if xlsx or pdf else "stats.view"
        person = signed_in(station, action, staff, staff_password_file, data_dir=root)
        stats = station_stats(station, sitting_id)
        heading = f"ExamKiosk {station.station_id} ({station.identity.venue_id})"
        written = []
        if xlsx is not None:
            written.append(str(write_xlsx(stats, xlsx, heading=heading, lang=lang())))
        if pdf is not None:
            written.append(str(write_pdf(stats, pdf, heading=heading, lang=lang())))
        if written:
            with station.store.transaction() as conn:
                audit(station, conn, person, "stats.export",
                      {"sitting_id": sitting_id, "files": [Path(w).name for w in written]})  # fmt: skip
    finally:
        station.close()
    if as_json:
        click.echo(json.dumps(stats.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(stats_text(stats, lang()))
        for w in written:
            click.echo(f"written: {w}")
