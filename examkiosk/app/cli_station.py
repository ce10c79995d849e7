"""`examkiosk provision` and `examkiosk package`: setting up a real station.

The centre pins its public keys in the station at provisioning, the station prints its own
public keys for the centre to register, and exam packages encrypted to it are imported.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from examkiosk.app.cli_auth import signed_in, staff_options
from examkiosk.app.cli_options import DATA_DIR, PASSPHRASE_FILE, data_dir_or_default
from examkiosk.core.errors import KioskError


def _new_passphrase(passphrase_file: Path | None) -> str:
    if os.environ.get("EXAMKIOSK_PASSPHRASE"):
        return os.environ["EXAMKIOSK_PASSPHRASE"]
    if passphrase_file is not None:
        return passphrase_file.read_text("utf-8").strip()
    if not sys.stdin.isatty():
        raise click.UsageError(
            "no recovery passphrase: give --passphrase-file or set $EXAMKIOSK_PASSPHRASE"
        )
    return str(
        click.prompt(
            "新的恢复口令 / new recovery passphrase", hide_input=True, confirmation_prompt=True
        )
    )


@click.command()
@DATA_DIR
@PASSPHRASE_FILE
@click.option("--station-id", required=True, help="e.g. ST-0101-03 (as the centre assigns it).")
@click.option("--venue", "venue_id", required=True)
@click.option("--mode", type=click.Choice(["door", "seat", "admin"]), required=True)
@click.option(
    "--central-keys",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    required=True,
    help="The centre's public keys (examkiosk-central public-keys > FILE).",
)
@click.option(
    "--keys-out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write this station's public keys here for `examkiosk-central register-station`.",
)
def provision(
    data_dir: Path | None,
    passphrase_file: Path | None,
    station_id: str,
    venue_id: str,
    mode: str,
    central_keys: Path,
    keys_out: Path | None,
) -> None:
    """Make this machine a station: encrypted store, its own keys, the centre's keys pinned."""
    from examkiosk.core.provision import provision_station
    from sync.crypto import PublicKeys

    try:
        central = PublicKeys.from_dict(json.loads(central_keys.read_text("utf-8")))
    except ValueError as exc:
        raise KioskError(
            "中心公钥文件无法读取，请向省考试中心重新索取。",
            "The centre's public key file cannot be read; ask the exam centre for it again.",
            detail=str(exc),
        ) from exc
    station = provision_station(
        data_dir_or_default(data_dir),
        station_id=station_id,
        venue_id=venue_id,
        mode=mode,
        central=central,
        passphrase=_new_passphrase(passphrase_file),
    )
    try:
        public = {"station_id": station_id, "venue_id": venue_id,
                  "public": station.keys().public().to_dict()}  # fmt: skip
    finally:
        station.close()
    text = json.dumps(public, indent=2)
    if keys_out is not None:
        keys_out.write_text(text + "\n", "utf-8")
    click.echo(text)
    click.echo(
        "已部署。请把本机公钥交省考试中心登记，并妥善保管恢复口令（丢失后无法恢复数据）。\n"
        "Provisioned. Give these public keys to the exam centre to register, and keep the "
        "recovery passphrase safe: without it the data cannot be restored.",
        err=True,
    )


@click.group()
def package() -> None:
    """Exam packages (.ekp) from the exam centre."""


@package.command("import")
@DATA_DIR
@PASSPHRASE_FILE
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@staff_options
def package_import(
    data_dir: Path | None,
    passphrase_file: Path | None,
    file: Path,
    staff: str | None,
    staff_password_file: Path | None,
) -> None:
    """Verify and import a package; roster faces are encoded once, here, with progress.
    A venue administrator signs in (the first package of a new station: the recovery
    passphrase that opened it)."""
    from examkiosk.app.unlock import open_for_cli
    from examkiosk.core.face_check import FaceService
    from examkiosk.core.package_import import import_package

    station = open_for_cli(data_dir_or_default(data_dir), passphrase_file)
    try:
        person = signed_in(station, "package.import", staff, staff_password_file, data_dir=data_dir)
    except BaseException:
        station.close()
        raise
    face = FaceService.create()
    try:
        summary = import_package(
            station,
            file.read_bytes(),
            face_encoder=face.encode if face.available else None,
            progress=lambda done, total, _c: (
                click.echo(f"  {done}/{total}", err=True)
                if done == total or done % 50 == 0
                else None
            ),
            by=person,
        )
    finally:
        station.close()
    meta = summary.meta
    click.echo(
        f"已导入 imported {meta.exam_id} v{meta.version} ({meta.sitting_id}): "
        f"{summary.candidates} candidates, {summary.items} items"
        + (" (paper sealed until release)" if summary.items == 0 else "")
        + f", faces encoded {summary.faces_encoded}"
        + (
            f", photos without a usable face: {len(summary.faces_failed)}"
            if summary.faces_failed
            else ""
        )
    )
