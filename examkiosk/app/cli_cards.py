"""`examkiosk cards ...`: see the readers, read one card (for set-up and troubleshooting)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from hardware.cards.document import IdentityDocument
from hardware.cards.errors import PcscUnavailable
from hardware.cards.factory import open_reader
from hardware.cards.mrz import MrzTextError
from hardware.cards.pcsc import list_readers
from hardware.cards.serial_find import usb_serial_candidates
from hardware.errors import DeviceError


def _fail(exc: DeviceError, code: int = 1) -> None:
    click.echo(exc.zh, err=True)
    click.echo(exc.en, err=True)
    if exc.detail:
        click.echo(f"  ({exc.detail})", err=True)
    sys.exit(code)


@click.group()
def cards() -> None:
    """ID card readers: list them, read a card."""


@cards.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def list_cmd(as_json: bool) -> None:
    """PC/SC readers and their state, and serial ports a resident-ID reader may be on."""
    from serial.tools import list_ports

    comports = list_ports.comports()
    bridges = {c.device: c.bridge for c in usb_serial_candidates(ports=comports)}
    ports = [
        {
            "port": p.device,
            "description": p.description,
            "usb_id": f"{p.vid:04x}:{p.pid:04x}" if p.vid is not None else None,
            "reader_bridge": bridges.get(p.device),  # a USB id resident-ID readers use
        }
        for p in comports
    ]
    try:
        readers = [r.__dict__ for r in list_readers()]
        problem = None
    except PcscUnavailable as exc:
        readers, problem = [], exc
    if as_json:
        out = {"pcsc": readers, "pcsc_error": problem.en if problem else None, "serial": ports}
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        if problem:
            click.echo(f"PC/SC: {problem.zh}\n       {problem.en}")
        elif not readers:
            click.echo("PC/SC: no readers (未发现读卡器)")
        for r in readers:
            atr = f"  ATR {r['atr']}" if r["atr"] else ""
            click.echo(f"PC/SC  {r['name']}: {r['state']}{atr}")
        for p in ports:
            usb = f"  USB {p['usb_id']}" if p["usb_id"] else ""
            hint = f"  (可能是身份证阅读器 / may be a resident-ID reader: {p['reader_bridge']})"
            click.echo(
                f"serial {p['port']}: {p['description']}{usb}{hint if p['reader_bridge'] else ''}"
            )
    if problem:
        sys.exit(1)


_CHECK_NAMES = {
    "passive": ("被动认证", "passive authentication"),
    "active": ("主动认证", "active authentication"),
    "chip": ("芯片认证", "chip authentication"),
}


def _document_json(doc: IdentityDocument) -> dict[str, object]:
    out = doc.summary()
    out["valid_from"] = doc.valid_from.isoformat() if doc.valid_from else None
    out["checks"] = [
        {"kind": c.kind, "result": c.result.value, "zh": c.zh, "en": c.en, "detail": c.detail}
        for c in doc.checks
    ]
    out["extra"] = dict(doc.extra)
    return out


def _echo_checks(doc: IdentityDocument) -> None:
    """Each chip check in words, both languages: what the invigilator would be told."""
    for check in doc.checks:
        zh, en = _CHECK_NAMES.get(check.kind, (check.kind, check.kind))
        click.echo(f"{zh} / {en}:")
        click.echo(f"    {check.zh}")
        click.echo(f"    {check.en}")


@cards.command("read")
@click.option("--reader", default="", help="PC/SC reader name (substring); default: any.")
@click.option(
    "--mrz",
    default="",
    metavar="DOCNO,BIRTH,EXPIRY",
    help="Chip key for passports and ID cards: the three items, or the scanned MRZ.",
)
@click.option("--can", default="", metavar="DIGITS", help="Card access number (PACE ID cards).")
@click.option("--json", "as_json", is_flag=True, help="Print the document as JSON.")
@click.option("--photo-out", type=click.Path(path_type=Path, dir_okay=False), default=None)
@click.option("--timeout", default=30.0, show_default=True, help="Seconds to wait for a card.")
@click.option("--kind", type=click.Choice(["pcsc", "gat467"]), default="pcsc", show_default=True)
@click.option(
    "--port", default="", help="Serial port of a GA/T 467 resident-ID reader, or auto (by USB id)."
)
@click.option("--wlt-decoder", default="", help="Vendor WLT photo decoder library (gat467).")
@click.option(
    "--csca",
    default="",
    help="CSCA master lists, certificates, folders of them and CRLs, comma-separated (pcsc).",
)
def read_cmd(
    reader: str,
    mrz: str,
    can: str,
    as_json: bool,
    photo_out: Path | None,
    timeout: float,
    kind: str,
    port: str,
    wlt_decoder: str,
    csca: str,
) -> None:
    """Wait for a card, read it and print the identity document."""
    options = {
        "reader": reader,
        "mrz": mrz,
        "can": can,
        "csca": csca,
        "port": port,
        "wlt_decoder": wlt_decoder,
    }
    try:
        device = open_reader(kind, {k: v for k, v in options.items() if v})
    except MrzTextError as exc:  # refused before any chip is touched
        click.echo(exc.zh, err=True)
        click.echo(exc.en, err=True)
        sys.exit(1)
    except DeviceError as exc:  # e.g. a CSCA list that does not load: zh/en, exit 1
        _fail(exc)
        return
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    if not as_json:
        click.echo(f"请放卡 / Present the card ({device.name}, {timeout:g} s)...", err=True)
    try:
        doc = device.read(timeout)
    except DeviceError as exc:
        _fail(exc)
        return
    finally:
        device.close()
    if doc is None:
        click.echo(f"未检测到证件 / No card was presented within {timeout:g} s.", err=True)
        sys.exit(2)
    if photo_out is not None and doc.photo is not None:
        photo_out.write_bytes(doc.photo)
    if as_json:
        click.echo(json.dumps(_document_json(doc), ensure_ascii=False, indent=2))
        return
    for key, value in _document_json(doc).items():
        if key not in ("extra", "checks"):
            click.echo(f"{key:>15}: {value}")
    for key, value in doc.extra.items():
        click.echo(f"{key:>15}: {value}")
    if photo_out is not None:
        click.echo(f"{'photo':>15}: {photo_out if doc.photo else 'none on the card'}")
    _echo_checks(doc)
