"""`examkiosk update`: signed offline updates of the program, from a USB drive.

    examkiosk update check    FILE [--data-dir D] [--install-root R]
    examkiosk update apply    FILE [--data-dir D] [--install-root R] --staff NUMBER
    examkiosk update rollback      [--data-dir D] [--install-root R] --staff NUMBER
    examkiosk update status        [--install-root R]

apply and rollback need a venue administrator (update.apply) and are audited. Exit status 2:
refused (not signed by the centre, damaged, not newer, a sitting in progress); nothing
changed.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from examkiosk.app.cli_auth import signed_in, staff_options
from examkiosk.app.cli_options import DATA_DIR, PASSPHRASE_FILE, data_dir_or_default

if TYPE_CHECKING:
    from examkiosk.core.update import Installation

INSTALL_ROOT = click.option(
    "--install-root",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Where releases/ and current are (default /opt/examkiosk or $EXAMKIOSK_INSTALL_ROOT).",
)
UPDATE_FILE = click.argument("file", type=click.Path(path_type=Path, dir_okay=False))


def _installation(root: Path | None) -> Installation:
    from examkiosk.core.update import Installation, default_install_root

    return Installation(root or default_install_root())


@click.group()
def update() -> None:
    """Signed offline updates of this program (程序离线更新)."""


@update.command("status")
@INSTALL_ROOT
def update_status(install_root: Path | None) -> None:
    """The installed version and the one a roll-back would return to."""
    install = _installation(install_root)
    click.echo(f"已安装 installed: {install.installed_version()}")
    click.echo(f"上一版本 previous: {install.previous_version() or '-'}")


@update.command("check")
@UPDATE_FILE
@DATA_DIR
@PASSPHRASE_FILE
@INSTALL_ROOT
def update_check(
    file: Path, data_dir: Path | None, passphrase_file: Path | None, install_root: Path | None
) -> None:
    """Verify an update file and say whether it could be applied now (changes nothing)."""
    from examkiosk.app.unlock import open_for_cli
    from examkiosk.core.update import check_update

    station = open_for_cli(data_dir_or_default(data_dir), passphrase_file)
    try:
        meta = check_update(file, station, _installation(install_root))
    finally:
        station.close()
    click.echo(f"可以安装 can be applied: {meta.version} ({meta.platform}, {meta.issued_at})")


@update.command("apply")
@UPDATE_FILE
@DATA_DIR
@PASSPHRASE_FILE
@INSTALL_ROOT
@staff_options
def update_apply(
    file: Path,
    data_dir: Path | None,
    passphrase_file: Path | None,
    install_root: Path | None,
    staff: str | None,
    staff_password_file: Path | None,
) -> None:
    """Verify and install an update signed by the centre; the previous version is kept."""
    from examkiosk.app.unlock import open_for_cli
    from examkiosk.core.update import apply_update, check_update

    station = open_for_cli(data_dir_or_default(data_dir), passphrase_file)
    try:
        install = _installation(install_root)
        check_update(file, station, install)  # refuse before asking anyone for a password
        person = signed_in(station, "update.apply", staff, staff_password_file, data_dir=data_dir)
        applied = apply_update(file, station, person, install)
    finally:
        station.close()
    click.echo(
        f"已更新 updated: {applied.previous} -> {applied.installed}. "
        "重新启动程序后生效 Takes effect when the program restarts."
    )


@update.command("rollback")
@DATA_DIR
@PASSPHRASE_FILE
@INSTALL_ROOT
@staff_options
def update_rollback(
    data_dir: Path | None,
    passphrase_file: Path | None,
    install_root: Path | None,
    staff: str | None,
    staff_password_file: Path | None,
) -> None:
    """Return to the previous version (kept by the last update)."""
    from examkiosk.app.unlock import open_for_cli
    from examkiosk.core.update import roll_back

    station = open_for_cli(data_dir_or_default(data_dir), passphrase_file)
    try:
        person = signed_in(station, "update.apply", staff, staff_password_file, data_dir=data_dir)
        version = roll_back(station, person, _installation(install_root))
    finally:
        station.close()
    click.echo(f"已回退 rolled back to {version}.")
