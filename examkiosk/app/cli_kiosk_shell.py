"""`examkiosk kiosk-shell`: the Windows kiosk account's shell (examkiosk/app/kiosk_shell.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from examkiosk.app.cli_options import DATA_DIR, data_dir_or_default


@click.command("kiosk-shell")
@DATA_DIR
def kiosk_shell(data_dir: Path | None) -> None:
    """Run the kiosk window and restart it whenever it ends (the Windows kiosk shell)."""
    from examkiosk.app.kiosk_shell import detach_console, supervise, window_command

    detach_console()
    sys.exit(supervise(window_command(data_dir_or_default(data_dir))))
