"""Where the command line gets the recovery passphrase from, in order of preference."""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path

from examkiosk.core.clock import Clock
from examkiosk.core.errors import NotProvisioned, StoreLocked
from examkiosk.core.logs import install_file_log
from examkiosk.core.provision import open_station, open_station_as_staff
from examkiosk.core.station import Station
from examkiosk.store import keys as store_keys
from examkiosk.store.layout import DataDir

ENV_PASSPHRASE = "EXAMKIOSK_PASSPHRASE"
ENV_STAFF = "EXAMKIOSK_STAFF"
ENV_STAFF_PASSWORD = "EXAMKIOSK_STAFF_PASSWORD"


def passphrase_for(
    data_dir: Path, passphrase_file: Path | None = None, *, prompt: bool = True
) -> str | None:
    """The passphrase from the environment, a file, a demo venue, or (with `prompt`) a
    prompt on a terminal.

    Returns None when none is to be had: the caller then reports the locked store, or the
    window asks in a dialog. The OS key store, where there is one, is tried before these.
    """
    if os.environ.get(ENV_PASSPHRASE):
        return os.environ[ENV_PASSPHRASE]
    if passphrase_file is not None:
        return passphrase_file.read_text().strip()
    demo = DataDir(data_dir).demo_passphrase
    if demo.exists():
        return demo.read_text().strip()
    if prompt and sys.stdin.isatty():
        return getpass.getpass("考点管理员恢复口令 / recovery passphrase: ")
    return None


def not_provisioned(data_dir: Path) -> NotProvisioned:
    return NotProvisioned(
        f"数据目录 {data_dir} 中没有工作站。请先运行 examkiosk demo --setup-only 或完成部署。",
        f"There is no station in {data_dir}. Run `examkiosk demo --setup-only` or "
        "provision the station first.",
    )


def open_for_cli(
    data_dir: Path, passphrase_file: Path | None = None, clock: Clock | None = None
) -> Station:
    """Open the station for a command: the OS key store, else the signing-in person's own key
    slot ($EXAMKIOSK_STAFF with $EXAMKIOSK_STAFF_PASSWORD), else the recovery passphrase."""
    layout = DataDir(data_dir)
    if not layout.exists():
        raise not_provisioned(data_dir)
    install_file_log(data_dir)  # issue 12: the station's rotating JSON log
    if store_keys.key_from_os(layout.keyslots) is not None:
        return open_station(data_dir, None, clock)
    staff, password = os.environ.get(ENV_STAFF, ""), os.environ.get(ENV_STAFF_PASSWORD, "")
    passphrase = passphrase_for(data_dir, passphrase_file, prompt=not (staff and password))
    if staff and password and store_keys.has_staff_slots(layout.keyslots):
        try:
            return open_station_as_staff(data_dir, staff, password, clock)[0]
        except StoreLocked:
            if passphrase is None:
                raise
    return open_station(data_dir, passphrase, clock)
