"""Staff sign-in on the command line: privileged commands name the person who runs them.

The staff number comes from `--staff` or `$EXAMKIOSK_STAFF`; the password from
`$EXAMKIOSK_STAFF_PASSWORD`, `--staff-password-file`, or a prompt on a terminal. The check
itself (lock-out, roles, audit) is `examkiosk.core.accounts` and `examkiosk.core.authz`, the
same as in the window.

Two cases need no personal account: a station that has no accounts yet (before its first
package brings the staff list) may import that package with the recovery passphrase that
opened it — provisioning — and a demo venue signs in with its throwaway demo accounts.
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from examkiosk.app.unlock import ENV_STAFF, ENV_STAFF_PASSWORD
from examkiosk.core.accounts import Accounts
from examkiosk.core.authz import ACTIONS, RECOVERY, Person, audit, require
from examkiosk.core.errors import KioskError
from examkiosk.core.package_import import current_exam
from examkiosk.core.station import Station

# Acts that provision a station: allowed to the recovery passphrase while no account exists.
PROVISIONING = frozenset({"package.import"})


def staff_options(command: Callable[..., Any]) -> Callable[..., Any]:
    command = click.option(
        "--staff-password-file",
        type=click.Path(path_type=Path, dir_okay=False, exists=True),
        default=None,
        help="File holding your password (else $EXAMKIOSK_STAFF_PASSWORD or a prompt).",
    )(command)
    return click.option(
        "--staff",
        default=None,
        metavar="NUMBER",
        help="Your staff number (工号), else $EXAMKIOSK_STAFF.",
    )(command)


def _demo_person(station: Station, data_dir: Path | None, action: str) -> Person | None:
    if data_dir is None or current_exam(station).get("sitting_kind") != "demo":
        return None
    from examkiosk.app.demo_venue import demo_accounts

    roles = ACTIONS[action][0] if action in ACTIONS else frozenset()
    accounts = Accounts(station)
    for number, password in demo_accounts(data_dir).items():
        person = accounts.person(number)
        if person is not None and person.role in roles:
            return accounts.sign_in(number, password, purpose=action)
    return None


def signed_in(
    station: Station,
    action: str,
    staff: str | None,
    password_file: Path | None,
    *,
    data_dir: Path | None = None,
) -> Person:
    """The signed-in person allowed to do `action`; NotAllowed / SignInRefused otherwise."""
    accounts = Accounts(station)
    number = staff or os.environ.get(ENV_STAFF, "")
    if not number:
        if action in PROVISIONING and not accounts.any_accounts():
            with station.store.transaction() as conn:
                audit(station, conn, RECOVERY, "provisioning", {"action": action})
            return RECOVERY
        demo = _demo_person(station, data_dir, action)
        if demo is not None:
            return require(demo, action)
        raise KioskError(
            "此操作需要工作人员登录：请用 --staff 给出您的工号（或设置 EXAMKIOSK_STAFF）。",
            "This needs a member of staff to sign in: give your staff number with --staff "
            "(or set EXAMKIOSK_STAFF).",
        )
    if os.environ.get(ENV_STAFF_PASSWORD):
        password = os.environ[ENV_STAFF_PASSWORD]
    elif password_file is not None:
        password = password_file.read_text().strip()
    elif sys.stdin.isatty():
        password = getpass.getpass(f"{number} 的密码 / password: ")
    else:
        raise KioskError(
            "没有提供密码：请用 --staff-password-file 或 EXAMKIOSK_STAFF_PASSWORD。",
            "No password given: use --staff-password-file or EXAMKIOSK_STAFF_PASSWORD.",
        )
    person = accounts.sign_in(number, password, purpose=action)
    try:
        return require(person, action)
    except KioskError:
        with station.store.transaction() as conn:
            audit(station, conn, person, "refused", {"action": action})
        raise
