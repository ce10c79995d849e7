"""Staff sign-in for privileged commands: `--staff NUMBER` and the password from
`$EXAMKIOSK_STAFF_PASSWORD`, `--staff-password-file F` or a prompt on a terminal.

The sign-in itself (lock-out, audit of every outcome) is `Accounts.sign_in`; whether the
role may do the action is `authz.require`. Nothing here decides anything.
"""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from examkiosk.core.errors import KioskError

if TYPE_CHECKING:  # kept out of start-up: `exam` commands that need no sign-in start fast
    from examkiosk.core.authz import Person
    from examkiosk.core.station import Station

ENV_STAFF = "EXAMKIOSK_STAFF"
ENV_STAFF_PASSWORD = "EXAMKIOSK_STAFF_PASSWORD"

STAFF = click.option(
    "--staff",
    default=None,
    help="Staff number (工号) of the person doing this (else $EXAMKIOSK_STAFF).",
)
STAFF_PASSWORD_FILE = click.option(
    "--staff-password-file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="File holding the staff password (else $EXAMKIOSK_STAFF_PASSWORD or a prompt).",
)


def signed_in(
    station: Station, action: str, staff: str | None, password_file: Path | None
) -> Person:
    """The signed-in person, allowed to do `action`; NotAllowed / SignInRefused otherwise."""
    from examkiosk.core.accounts import Accounts
    from examkiosk.core.authz import require

    number = (staff or os.environ.get(ENV_STAFF, "")).strip()
    if not number:
        require(None, action)  # raises: names the action and who may do it
    if os.environ.get(ENV_STAFF_PASSWORD):
        password = os.environ[ENV_STAFF_PASSWORD]
    elif password_file is not None:
        password = password_file.read_text(encoding="utf-8").strip()
    elif sys.stdin.isatty():
        password = getpass.getpass(f"工号 {number} 的密码 / password for {number}: ")
    else:
        raise KioskError(
            "需要工作人员密码：请用 --staff-password-file 或环境变量 EXAMKIOSK_STAFF_PASSWORD。",
            "A staff password is needed: give --staff-password-file or set "
            "EXAMKIOSK_STAFF_PASSWORD.",
        )
    person = Accounts(station).sign_in(number, password, purpose=action)
    return require(person, action)
