"""`examkiosk-central user ...` (the console's staff accounts) and `hired-guns`."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:  # the group's module imports this one
    from sync.central.cli import Context
    from sync.central.console.queries import Snap


@click.group()
def user() -> None:
    """Staff accounts of the web console (viewer, operator, admin)."""


@user.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(["viewer", "operator", "admin"]), required=True)
@click.option("--name", "display_name", default="", help="Name shown in the console.")
@click.option(
    "--password-file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="File holding the password (else $EXAMKIOSK_CENTRAL_USER_PASSWORD, else a prompt).",
)
@click.pass_obj
def user_add(
    c: Context, username: str, role: str, display_name: str, password_file: Path | None
) -> None:
    """Add a console account; the password must meet the stations' rules."""
    from sync.central.staff import StaffAccounts

    if password_file is not None:
        password = password_file.read_text("utf-8").rstrip("\r\n")
    elif os.environ.get("EXAMKIOSK_CENTRAL_USER_PASSWORD"):
        password = os.environ["EXAMKIOSK_CENTRAL_USER_PASSWORD"]
    elif sys.stdin.isatty():
        password = str(click.prompt("Password / 密码", hide_input=True, confirmation_prompt=True))
    else:
        raise click.UsageError("--password-file F is required when not on a terminal.")
    accounts = StaffAccounts(c.home.store)
    accounts.add(username, display_name, role, password)
    accounts.audit("cli", "user.add", username, f"role {role}")
    click.echo(f"User {username} added ({role}).")


@user.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def user_list(c: Context, as_json: bool) -> None:
    """List console accounts with role, state and lock-out."""
    from sync.central.staff import StaffAccounts

    members = StaffAccounts(c.home.store).members()
    rows = [
        {
            "username": m.username,
            "name": m.display_name,
            "role": m.role,
            "disabled": m.disabled,
            "locked_until": m.locked_until.isoformat() if m.locked_until else None,
            "created_at": m.created_at,
        }
        for m in members
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for r in rows:
        state = "disabled" if r["disabled"] else ("locked" if r["locked_until"] else "active")
        click.echo(f"{r['username']:<24}{r['role']:<10}{state:<10}{r['name']}")


def _set_disabled(c: Context, username: str, disabled: bool) -> None:
    from sync.central.staff import StaffAccounts

    accounts = StaffAccounts(c.home.store)
    accounts.set_disabled(username, disabled)
    accounts.audit("cli", "user.disable" if disabled else "user.enable", username)
    click.echo(f"User {username} {'disabled' if disabled else 'enabled'}.")


@user.command("disable")
@click.argument("username")
@click.pass_obj
def user_disable(c: Context, username: str) -> None:
    """Disable an account and end its sessions at once."""
    _set_disabled(c, username, True)


@user.command("enable")
@click.argument("username")
@click.pass_obj
def user_enable(c: Context, username: str) -> None:
    """Enable a disabled account again (and clear its failure count)."""
    _set_disabled(c, username, False)


def _side(face: Snap) -> dict[str, Any]:
    return {
        "candidate_id": face.candidate_id,
        "venue_id": face.venue_id,
        "station_id": face.station_id,
        "event_seq": face.seq,
        "at": face.at,
    }


@click.command("hired-guns")
@click.option("--sitting", required=True, help="The sitting whose check-in faces to compare.")
@click.option("--json", "as_json", is_flag=True, help="Print the pairs as JSON.")
@click.pass_obj
def hired_guns(c: Context, sitting: str, as_json: bool) -> None:
    """Pairs of different candidates whose live check-in faces match (one person sitting
    for two), across every venue of the sitting. Exit 1 if any pair is found."""
    from sync.central.console.queries import hired_guns as search
    from sync.central.staff import StaffAccounts

    compared, pairs = search(c.home.store, sitting)
    StaffAccounts(c.home.store).audit("cli", "view.hired_guns", sitting, f"{len(pairs)} pairs")
    found: list[dict[str, Any]] = [
        {"distance": round(p.distance, 4), "a": _side(p.a), "b": _side(p.b)} for p in pairs
    ]
    if as_json:
        click.echo(json.dumps({"sitting_id": sitting, "compared": compared, "pairs": found},
                              indent=2, ensure_ascii=False))  # fmt: skip
    else:
        click.echo(f"Sitting {sitting}: {compared} check-in faces compared, {len(found)} pairs")
        for f in found:
            a, b = f["a"], f["b"]
            click.echo(
                f"  {a['candidate_id']} ({a['venue_id']}/{a['station_id']}) ~ "
                f"{b['candidate_id']} ({b['venue_id']}/{b['station_id']}): {f['distance']:.3f}"
            )
    sys.exit(1 if found else 0)
