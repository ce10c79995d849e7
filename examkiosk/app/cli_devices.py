"""`examkiosk devices ...`: the station's card reader and camera, configured and connected."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from examkiosk.app.cli_auth import signed_in, staff_options
from examkiosk.app.cli_options import DATA_DIR, PASSPHRASE_FILE, KioskGroup, data_dir_or_default
from examkiosk.app.devices import (
    KINDS,
    CameraConfig,
    DeviceConfig,
    DeviceConfigError,
    card_reader_config,
    load_devices,
    parse_camera_source,
    parse_resolution,
    save_devices,
    stored_devices,
)
from examkiosk.app.unlock import open_for_cli


def _connected() -> dict[str, Any]:
    """What is plugged in right now. Each probe reports its own failure instead of raising."""
    from serial.tools import list_ports

    from hardware.camera import list_cameras
    from hardware.cards.pcsc import list_readers
    from hardware.errors import DeviceError

    found: dict[str, Any] = {"pcsc": [], "pcsc_error": None}
    try:
        found["pcsc"] = [r.__dict__ for r in list_readers()]
    except DeviceError as exc:
        found["pcsc_error"] = {"zh": exc.zh, "en": exc.en}
    found["serial"] = [
        {"port": p.device, "description": p.description} for p in list_ports.comports()
    ]
    found["cameras"] = [c.__dict__ for c in list_cameras()]
    return found


def _reader_present(config: DeviceConfig, found: dict[str, Any]) -> bool | None:
    """Whether the configured reader is among what is connected (None: cannot tell)."""
    reader = config.card_reader
    if reader.kind == "pcsc":
        wanted = reader.options.get("reader", "").lower()
        return any(wanted in r["name"].lower() for r in found["pcsc"])
    if reader.kind == "gat467":
        port = reader.options.get("port", "")
        return Path(port).exists() or any(p["port"] == port for p in found["serial"])
    return None


def _camera_present(camera: CameraConfig, found: dict[str, Any]) -> bool | None:
    if camera.is_index:
        return any(str(c["index"]) == camera.source for c in found["cameras"])
    if "://" in camera.source:
        return None
    return Path(camera.source).is_file()


@click.group(cls=KioskGroup)
def devices() -> None:
    """The station's card reader and camera: show and set them."""


@devices.command("show")
@DATA_DIR
@PASSPHRASE_FILE
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def show_cmd(data_dir: Path | None, passphrase_file: Path | None, as_json: bool) -> None:
    """The configuration (store + environment on demo venues) and the devices connected."""
    station = open_for_cli(data_dir_or_default(data_dir), passphrase_file)
    try:
        config = load_devices(station)
    finally:
        station.close()
    found = _connected()
    reader_ok = _reader_present(config, found)
    camera_ok = _camera_present(config.camera, found)
    if as_json:
        out = {
            "stored_in": "station store",
            "devices": config.to_json(),
            "overridden_by": list(config.overridden),
            "card_reader_connected": reader_ok,
            "camera_connected": camera_ok,
            "connected": found,
        }
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    click.echo("配置保存在本机加密数据中 / configuration kept in the station's encrypted store")
    if config.overridden:
        click.echo(f"  环境变量覆盖 / overridden by: {', '.join(config.overridden)}")
    options = ", ".join(f"{k}={v}" for k, v in config.card_reader.options.items())
    mark = {True: "已连接 / connected", False: "未找到 / NOT FOUND", None: "-"}
    click.echo(f"  读卡器 / card reader: {config.card_reader.kind} {options}".rstrip())
    click.echo(f"      {mark[reader_ok]}")
    size = "{}x{}".format(*config.camera.resolution) if config.camera.resolution else "auto"
    click.echo(f"  摄像头 / camera: {config.camera.source}  ({size})")
    click.echo(f"      {mark[camera_ok]}")
    click.echo("已连接 / connected:")
    if found["pcsc_error"]:
        click.echo(f"  PC/SC: {found['pcsc_error']['zh']}\n         {found['pcsc_error']['en']}")
    elif not found["pcsc"]:
        click.echo("  PC/SC: 未发现读卡器 / no readers")
    for r in found["pcsc"]:
        click.echo(f"  PC/SC  {r['name']}: {r['state']}")
    for p in found["serial"]:
        click.echo(f"  serial {p['port']}: {p['description']}")
    if not found["cameras"]:
        click.echo("  camera: 未发现摄像头 / none")
    for c in found["cameras"]:
        click.echo(f"  camera {c['index']}: {c['name']} ({c['width']}x{c['height']})")


@devices.command("set")
@DATA_DIR
@click.option("--card-reader", "kind", type=click.Choice(KINDS), required=True)
@click.option("--reader", default="", help="PC/SC reader name (part of it); default: any.")
@click.option("--port", default="", help="Serial port of a GA/T 467 resident-ID reader.")
@click.option("--baud", default="", help="Serial speed of the GA/T 467 reader (default 115200).")
@click.option("--wlt-decoder", default="", help="Vendor WLT photo decoder library (gat467).")
@click.option("--csca", default="", help="CSCA certificate files, comma-separated (pcsc).")
@click.option("--camera", default=None, help="Camera index (0, 1...) or a video file / URL.")
@click.option("--resolution", default=None, help="Frame size the door works at, e.g. 1280x720.")
@PASSPHRASE_FILE
@staff_options
def set_cmd(
    data_dir: Path | None,
    kind: str,
    reader: str,
    port: str,
    baud: str,
    wlt_decoder: str,
    csca: str,
    camera: str | None,
    resolution: str | None,
    passphrase_file: Path | None,
    staff: str | None,
    staff_password_file: Path | None,
) -> None:
    """Change the station's device configuration (the camera is kept unless given).

    A venue administrator or technician signs in; the change is audited with the old and
    new values. Simulated devices only on rehearsal and demo venues."""
    station = open_for_cli(data_dir_or_default(data_dir), passphrase_file)
    try:
        person = signed_in(station, "devices.change", staff, staff_password_file, data_dir=data_dir)
        _set(
            station,
            person,
            kind,
            reader,
            port,
            baud,
            wlt_decoder,
            csca,
            camera,
            resolution,
        )
    finally:
        station.close()


def _set(
    station: Any,
    person: Any,
    kind: str,
    reader: str,
    port: str,
    baud: str,
    wlt_decoder: str,
    csca: str,
    camera: str | None,
    resolution: str | None,
) -> None:
    current = stored_devices(station)
    options = {"reader": reader, "port": port, "baud": baud, "wlt_decoder": wlt_decoder}
    options["csca"] = csca
    card = card_reader_config(kind, options)
    cam = current.camera
    if camera is not None:
        source = parse_camera_source(camera, "--camera", "--camera")
        if not source.isdigit() and "://" not in source:
            if not Path(source).is_file():
                raise DeviceConfigError(
                    "--camera", "--camera", f"文件 {source} 不存在", f"file {source} does not exist"
                )
            source = str(Path(source).resolve())
        cam = CameraConfig(source, cam.resolution)
    if resolution is not None:
        size = (
            None
            if resolution in ("", "auto")
            else parse_resolution(resolution, "--resolution", "--resolution")
        )
        cam = CameraConfig(cam.source, size)
    save_devices(station, person, DeviceConfig(card, cam))
    click.echo(f"已保存并记录审计 / saved and audited (by {person.staff_number})")


if __name__ == "__main__":  # `python -m examkiosk.app.cli_devices` before the group is attached
    sys.exit(devices())
