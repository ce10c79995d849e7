"""`examkiosk-central user ...` (the console's staff accounts) and `hired-guns` (with the
operators' decisions on each pair)."""

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
    from sync.central.staff import StaffAccounts


@click.group()
def user() -> None:
    """Staff accounts of the web console (viewer, operator, admin)."""


def _accounts(c: Context) -> StaffAccounts:
    """The accounts under the centre's password policy (HOME/config.json)."""
    from sync.central import centre_settings
    from sync.central.staff import StaffAccounts

    return StaffAccounts(c.home.store, centre_settings.load(c.home_dir).policy)


def _password(password_file: Path | None) -> str:
    if password_file is not None:
        return password_file.read_text("utf-8").rstrip("\r\n")
    if os.environ.get("EXAMKIOSK_CENTRAL_USER_PASSWORD"):
        return os.environ["EXAMKIOSK_CENTRAL_USER_PASSWORD"]
    if sys.stdin.isatty():
        return str(click.prompt("Password / 密码", hide_input=True, confirmation_prompt=True))
    raise click.UsageError("--password-file F is required when not on a terminal.")


_PASSWORD_FILE = click.option(
    "--password-file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="File holding the password (else $EXAMKIOSK_CENTRAL_USER_PASSWORD, else a prompt).",
)


@user.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(["viewer", "operator", "admin"]), required=True)
@click.option("--name", "display_name", default="", help="Name shown in the console.")
@_PASSWORD_FILE
@click.pass_obj
def user_add(
    c: Context, username: str, role: str, display_name: str, password_file: Path | None
) -> None:
    """Add a console account; the password must meet the stations' rules."""
    _accounts(c).add(username, display_name, role, _password(password_file), by="cli")
    click.echo(f"User {username} added ({role}).")


@user.command("passwd")
@click.argument("username")
@_PASSWORD_FILE
@click.option(
    "--keep",
    is_flag=True,
    help="Do not make the person choose a new password at the next sign-in.",
)
@click.pass_obj
def user_passwd(c: Context, username: str, password_file: Path | None, keep: bool) -> None:
    """Set an account's password (the same rules). Its sessions end; unless --keep, the
    person must choose their own at the next sign-in (the console lets them reach only the
    change-password page until then)."""
    _accounts(c).set_password(username, _password(password_file), by="cli", must_change=not keep)
    then = "" if keep else "; to be changed at the next sign-in"
    click.echo(f"Password of {username} set{then}.")


@user.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def user_list(c: Context, as_json: bool) -> None:
    """List console accounts with role, state and lock-out."""
    members = _accounts(c).members()
    rows = [
        {
            "username": m.username,
            "name": m.display_name,
            "role": m.role,
            "disabled": m.disabled,
            "locked_until": m.locked_until.isoformat() if m.locked_until else None,
            "created_at": m.created_at,
            "password_changed": m.password_changed,
            "password_expired": m.password_expired,
        }
        for m in members
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for r in rows:
        state = "disabled" if r["disabled"] else ("locked" if r["locked_until"] else "active")
        if r["password_expired"] and not r["disabled"]:
            state += ", password expired"
        click.echo(f"{r['username']:<24}{r['role']:<10}{state:<28}{r['name']}")


def _set_disabled(c: Context, username: str, disabled: bool) -> None:
    _accounts(c).set_disabled(username, disabled, by="cli")
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
    from sync.central.console.hired import key_of, reviews
    from sync.central.console.queries import hired_guns as search

    compared, pairs = search(c.home.store, sitting)
    _accounts(c).audit("cli", "view.hired_guns", sitting, f"{len(pairs)} pairs")
    decided = reviews(c.home.store)
    found: list[dict[str, Any]] = []
    for p in pairs:
        review = decided.get(key_of(p))
        found.append(
            {"pair": key_of(p), "distance": round(p.distance, 4), "a": _side(p.a),
             "b": _side(p.b), "review": None if review is None else {
                 "decision": review.decision, "note": review.note, "by": review.by,
                 "at": review.at}}
        )  # fmt: skip
    if as_json:
        click.echo(json.dumps({"sitting_id": sitting, "compared": compared, "pairs": found},
                              indent=2, ensure_ascii=False))  # fmt: skip
    else:
        click.echo(f"Sitting {sitting}: {compared} check-in faces compared, {len(found)} pairs")
        for f in found:
            a, b = f["a"], f["b"]
            review = f["review"]
            said = f" [{review['decision']} by {review['by']}]" if review else " [not reviewed]"
            click.echo(
                f"  {a['candidate_id']} ({a['venue_id']}/{a['station_id']}) ~ "
                f"{b['candidate_id']} ({b['venue_id']}/{b['station_id']}): {f['distance']:.3f}"
                + said
            )
    sys.exit(1 if found else 0)
