"""The `examkiosk` command line."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

import click

from examkiosk import __version__
from examkiosk.app import (
    cli_accounts,
    cli_bundle,
    cli_cards,
    cli_devices,
    cli_exam,
    cli_face,
    cli_kiosk_shell,
    cli_ops,
    cli_station,
    cli_sync,
    cli_update,
)
from examkiosk.app.cli_auth import signed_in, staff_options
from examkiosk.app.cli_options import (
    DATA_DIR,
    PASSPHRASE_FILE,
    KioskGroup,
    data_dir_or_default,
    lang,
)
from examkiosk.store.layout import DataDir

log = logging.getLogger("examkiosk")


@click.group(cls=KioskGroup, invoke_without_command=True)
@click.version_option(__version__, prog_name="examkiosk")
@click.option(
    "--lang",
    "language",
    type=click.Choice(["zh_CN", "en"]),
    default=None,
    help="Language of messages (default zh_CN, or $EXAMKIOSK_LANG).",
)
@click.pass_context
def main(ctx: click.Context, language: str | None) -> None:
    """ExamKiosk 考点工作站: ID check-in, face check, offline exams, sync to the centre."""
    if language:
        os.environ["EXAMKIOSK_LANG"] = language
    logging.basicConfig(level=os.environ.get("EXAMKIOSK_LOG", "WARNING"))
    if ctx.invoked_subcommand is None:
        ctx.invoke(run)


@main.command()
@DATA_DIR
@click.option(
    "--station",
    "mode",
    type=click.Choice(["door", "seat", "admin"]),
    default=None,
    help="Which station screen to open (default: the station's own mode).",
)
@PASSPHRASE_FILE
def run(data_dir: Path | None, mode: str | None, passphrase_file: Path | None) -> None:
    """Open the kiosk window (the default command)."""
    from examkiosk.app.launch import launch_window

    sys.exit(launch_window(data_dir_or_default(data_dir), mode, passphrase_file))


@main.command()
@DATA_DIR
@click.option("--setup-only", is_flag=True, help="Build the demo venue and exit.")
@click.option(
    "--faces",
    "faces_dir",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    default=None,
    help="Photos named IDENTITY_N.ext for roster photos and camera video.",
)
@click.option("--station", "mode", type=click.Choice(["door", "seat", "admin"]), default=None)
def demo(data_dir: Path | None, setup_only: bool, faces_dir: Path | None, mode: str | None) -> None:
    """Build the demo venue if missing, then open it with simulated devices."""
    from examkiosk.app.demo_venue import build_demo_venue
    from examkiosk.core.face_check import FaceService

    target = data_dir if data_dir is not None else Path("demo-data")
    if DataDir(target).exists():
        click.echo(f"演示考点已存在 demo venue exists: {target}")
    else:
        click.echo(f"正在创建演示考点 building the demo venue in {target} ...")
        face = FaceService.create() if faces_dir else FaceService(None)
        venue = build_demo_venue(
            target,
            faces_dir=faces_dir,
            face=face,
            progress=lambda _s, d, t: (
                click.echo(f"  导入名单 roster {d}/{t}", err=True) if d == t or d % 5 == 0 else None
            ),
        )
        click.echo(
            f"  考生 candidates: {venue.imported.candidates}, 试题 items: {venue.imported.items}, "
            f"人脸 faces encoded: {venue.imported.faces_encoded}"
        )
        if not faces_dir:
            click.echo(
                "  未提供照片 (--faces)：人脸比对将记录为不可用。 "
                "No photos given: the face check is recorded as unavailable."
            )
        venue.station.close()
        click.echo(f"  演示中心 demo central: examkiosk-central --home {DataDir(target).central}")
    from examkiosk.app.demo_venue import DEMO_STAFF, demo_accounts

    click.echo("  演示账号 demo accounts (工号 staff number / 密码 password / 角色 role):")
    for number, password in demo_accounts(target).items():
        click.echo(f"    {number:<11} {password:<20} {DEMO_STAFF[number][1]}")
    if setup_only:
        return
    from examkiosk.app.launch import launch_window

    sys.exit(launch_window(target, mode, None, simulated=True))


@main.group()
def roster() -> None:
    """The sitting's candidates."""


@roster.command("list")
@DATA_DIR
@PASSPHRASE_FILE
@click.option("--json", "as_json", is_flag=True)
@staff_options
def roster_list(
    data_dir: Path | None,
    passphrase_file: Path | None,
    as_json: bool,
    staff: str | None,
    staff_password_file: Path | None,
) -> None:
    """Candidates with admission ticket, ID number, seat and check-in/exam state
    (an invigilator signs in; the viewing is audited)."""
    from examkiosk.app.unlock import open_for_cli
    from examkiosk.core.authz import audit
    from examkiosk.core.roster import roster_entries

    station = open_for_cli(data_dir_or_default(data_dir), passphrase_file)
    try:
        person = signed_in(station, "roster.view", staff, staff_password_file, data_dir=data_dir)
        entries = roster_entries(station.store)
        with station.store.transaction() as conn:
            audit(station, conn, person, "roster_viewed", {"entries": len(entries), "via": "cli"})
    finally:
        station.close()
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "candidate_id": e.candidate.candidate_id,
                        "ticket": e.candidate.ticket,
                        "name": e.candidate.name,
                        "id_number": e.candidate.id_number,
                        "seat": e.candidate.seat,
                        "checkin": e.checkin,
                        "exam": e.exam,
                    }
                    for e in entries
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    from examkiosk.core.roster import CHECKIN_STATES, EXAM_STATES, state_text

    language = lang()
    if language.startswith("en"):
        click.echo(
            f"{'Seat':<6} {'Ticket':<18} {'ID number':<24} {'Check-in':<11} {'Exam':<14} Name"
        )
    else:
        click.echo(f"{'座位':<4} {'准考证号':<14} {'证件号码':<20} {'签到':<9} {'作答':<12} 姓名")
    for e in entries:
        c = e.candidate
        checkin = state_text(CHECKIN_STATES, e.checkin, language)
        exam = state_text(EXAM_STATES, e.exam, language)
        # Chinese characters take two columns in a terminal: pad by display width.
        click.echo(
            f"{c.seat:<6} {c.ticket:<18} {c.id_number:<24} {pad(checkin, 11)} {pad(exam, 14)} "
            f"{c.name}"
        )


def pad(text: str, width: int) -> str:
    """`text` padded to `width` terminal columns (a CJK character takes two)."""
    used = sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
    return text + " " * max(0, width - used)


@main.command()
@DATA_DIR
@click.option("--candidates", default=20, show_default=True, type=click.IntRange(1, 5000))
@click.option(
    "--faces",
    "faces_dir",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    default=None,
)
@click.option("--json", "as_json", is_flag=True)
def rehearse(data_dir: Path | None, candidates: int, faces_dir: Path | None, as_json: bool) -> None:
    """Headless venue rehearsal (考前演练) of the whole loop; non-zero exit if a stage fails."""
    from examkiosk.app.rehearse import rehearse as run_rehearsal

    if data_dir is not None and DataDir(data_dir).exists():
        raise click.UsageError(f"{data_dir} already holds a station; give an empty directory.")
    say: Callable[[str], None] = lambda line: click.echo(line, err=as_json)  # noqa: E731
    result = run_rehearsal(data_dir, candidates=candidates, faces_dir=faces_dir, say=say)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        for stage in result.stages:
            mark = "通过 OK  " if stage.ok else "失败 FAIL"
            click.echo(f"{mark} {stage.name:<8} {stage.seconds:6.1f}s {stage.error}")
        click.echo("演练通过 rehearsal passed" if result.ok else "演练未通过 rehearsal FAILED")
    sys.exit(0 if result.ok else 1)


# Command groups that live beside their drivers and features.
for group in (
    cli_bundle.bundle,
    cli_cards.cards,
    cli_exam.exam,
    cli_face.face,
    cli_face.camera,
    cli_sync.sync,
    cli_station.provision,
    cli_station.package,
    cli_devices.devices,
    cli_accounts.accounts,
    cli_accounts.audit,
    cli_ops.backup,  # issue 12
    cli_ops.inspect_cmd,
    cli_ops.logs_cmd,
    cli_ops.stats_cmd,
    cli_update.update,
    cli_kiosk_shell.kiosk_shell,  # issue 15 (Windows)
):
    main.add_command(group)
