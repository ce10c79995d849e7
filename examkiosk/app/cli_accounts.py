"""`examkiosk accounts ...` (local staff accounts) and `examkiosk audit list` (the trail)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from examkiosk.app.cli_auth import signed_in, staff_options
from examkiosk.app.cli_options import (
    DATA_DIR,
    PASSPHRASE_FILE,
    KioskGroup,
    data_dir_or_default,
    lang,
)
from sync.credentials import STATION_ROLES


def _open(data_dir: Path | None, passphrase_file: Path | None):  # type: ignore[no-untyped-def]
    from examkiosk.app.unlock import open_for_cli

    return open_for_cli(data_dir_or_default(data_dir), passphrase_file)


@click.group(cls=KioskGroup)
def accounts() -> None:
    """Staff accounts (工作人员账号): from the package, and local ones the venue
    administrator adds."""


@accounts.command("list")
@DATA_DIR
@PASSPHRASE_FILE
@staff_options
@click.option("--json", "as_json", is_flag=True)
def accounts_list(
    data_dir: Path | None,
    passphrase_file: Path | None,
    staff: str | None,
    staff_password_file: Path | None,
    as_json: bool,
) -> None:
    """Every account: number, name, role, source, state (a venue administrator signs in)."""
    from examkiosk.core.accounts import Accounts

    station = _open(data_dir, passphrase_file)
    try:
        signed_in(station, "accounts.manage", staff, staff_password_file, data_dir=data_dir)
        rows = Accounts(station).list()
    finally:
        station.close()
    listed = [
        {
            "staff_number": r.staff_number,
            "name": r.name,
            "role": r.role,
            "source": r.source,
            "disabled": r.disabled,
            "failures": r.failures,
            "enrolled": bool(r.verifier),
            "password_changed_at": r.password_changed_at,
        }
        for r in rows
    ]
    if as_json:
        click.echo(json.dumps(listed, ensure_ascii=False, indent=2))
        return
    en = lang().startswith("en")
    for r in listed:
        role = STATION_ROLES.get(str(r["role"]), (r["role"], r["role"]))[1 if en else 0]
        state = ("disabled" if en else "已停用") if r["disabled"] else ("active" if en else "有效")
        if not r["enrolled"]:
            state += " (not enrolled)" if en else "（未激活）"
        click.echo(f"{r['staff_number']:<14} {role:<10} {state:<10} {r['name']}")


@accounts.command("add")
@DATA_DIR
@PASSPHRASE_FILE
@staff_options
@click.argument("number")
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(list(STATION_ROLES)), required=True)
@click.option(
    "--password-file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    required=True,
    help="File holding the new person's password.",
)
def accounts_add(
    data_dir: Path | None,
    passphrase_file: Path | None,
    staff: str | None,
    staff_password_file: Path | None,
    number: str,
    name: str,
    role: str,
    password_file: Path,
) -> None:
    """Add a local account (audited)."""
    from examkiosk.core.accounts import Accounts

    station = _open(data_dir, passphrase_file)
    try:
        person = signed_in(
            station, "accounts.manage", staff, staff_password_file, data_dir=data_dir
        )
        added = Accounts(station).add_local(
            person, number, name, role, password_file.read_text().strip()
        )
    finally:
        station.close()
    click.echo(f"已添加 added {added.staff_number} ({added.role})")


def _change(action: str):  # type: ignore[no-untyped-def]
    @DATA_DIR
    @PASSPHRASE_FILE
    @staff_options
    @click.argument("number")
    def command(
        data_dir: Path | None,
        passphrase_file: Path | None,
        staff: str | None,
        staff_password_file: Path | None,
        number: str,
    ) -> None:
        from examkiosk.core.accounts import Accounts

        station = _open(data_dir, passphrase_file)
        try:
            person = signed_in(
                station, "accounts.manage", staff, staff_password_file, data_dir=data_dir
            )
            accounts_ = Accounts(station)
            if action == "unlock":
                accounts_.unlock(person, number)
            else:
                accounts_.set_disabled(person, number, action == "disable")
        finally:
            station.close()
        click.echo(f"{action}: {number}")

    return command


accounts.command("disable", help="Disable an account (audited).")(_change("disable"))
accounts.command("enable", help="Enable an account again (audited).")(_change("enable"))
accounts.command("unlock", help="Lift a lock-out after wrong passwords (audited).")(
    _change("unlock")
)


@click.group(cls=KioskGroup)
def audit() -> None:
    """The audit trail (审计记录): who did what, when."""


@audit.command("list")
@DATA_DIR
@PASSPHRASE_FILE
@staff_options
@click.option("--by", "by_staff", default=None, help="Only this staff number.")
@click.option("--action", default=None, help="Only this action (e.g. signin_failed).")
@click.option("--since", default=None, help="From this ISO time.")
@click.option("--until", default=None, help="Up to this ISO time.")
@click.option("--json", "as_json", is_flag=True)
@click.option("--xlsx", type=click.Path(path_type=Path, dir_okay=False), default=None)
def audit_list(
    data_dir: Path | None,
    passphrase_file: Path | None,
    staff: str | None,
    staff_password_file: Path | None,
    by_staff: str | None,
    action: str | None,
    since: str | None,
    until: str | None,
    as_json: bool,
    xlsx: Path | None,
) -> None:
    """Audit entries, newest first (a venue administrator signs in; the viewing is audited)."""
    from examkiosk.core.audit_log import audit_entries, export_xlsx

    station = _open(data_dir, passphrase_file)
    try:
        person = signed_in(station, "audit.view", staff, staff_password_file, data_dir=data_dir)
        entries = audit_entries(
            station, person, by=by_staff, action=action, since=since, until=until
        )
        if xlsx is not None:
            export_xlsx(station, person, entries, xlsx)
    finally:
        station.close()
    if as_json:
        click.echo(json.dumps([e.to_dict() for e in entries], ensure_ascii=False, indent=2))
        return
    for e in entries:
        click.echo(f"{e.seq:>6} {e.wall_time[:19]} {e.by or '-':<14} {e.action:<24} {e.details()}")
    if xlsx is not None:
        click.echo(f"已导出 exported: {xlsx}", err=True)
