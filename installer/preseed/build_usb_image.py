"""Builds the station install drive image from an official Debian 12 amd64 installer image.

    python installer/preseed/build_usb_image.py --iso debian-12.N.0-amd64-netinst.iso \
        --keys central-keys.json [--dist dist] [--out dist/examkiosk-station-<version>-usb.img]

Done once per release at the centre (the only terminal in the route); each technician writes
the image onto a USB drive with any image writer (GNOME Disks "Restore Disk Image", Rufus in
DD mode, balenaEtcher) and installs every station of a venue from that drive.

The image is the Debian image, unchanged except for:
- /examkiosk/: the preseed file and both packages (examkiosk, examkiosk-station) of this
  version, which the installer's late_command installs;
- a first boot entry "ExamKiosk station" (UEFI GRUB; the BIOS menu lists it too) that starts
  the installer with that preseed file;
- a third partition, FAT, labelled EXAMKIOSK, holding central-keys.json: after the install
  the station mounts it for the set-up page, which reads the centre's keys from it and saves
  the recovery sheet and the station's keys onto it.

Nothing is downloaded: the Debian image is given. xorriso keeps the image's boot setup
(`-boot_image any replay`).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "installer"))

from build_deb import PACKAGE, STATION, BuildError, program_version  # noqa: E402

PRESEED = Path(__file__).resolve().parent / "examkiosk-station.cfg"
ON_IMAGE = "/examkiosk"
KERNEL = "/install.amd/vmlinuz"
INITRD = "/install.amd/initrd.gz"
BOOT_ARGS = f"auto=true priority=critical preseed/file=/cdrom{ON_IMAGE}/examkiosk-station.cfg"
ENTRY = "ExamKiosk station - erases the disk of this machine"
KEYS_LABEL = "EXAMKIOSK"
KEYS_MIB = 256  # room for fifty recovery sheets, the stations' keys and a few bundles
MAX_KEYS_BYTES = 1 << 20


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BuildError(f"{name} is not installed (Makefile APT_PACKAGES lists its package)")
    return path


def _run(*command: str) -> str:
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise BuildError(f"{Path(command[0]).name} failed: {result.stderr.strip()[-2000:]}")
    return result.stdout


def _extract(iso: Path, path: str, target: Path) -> str | None:
    result = subprocess.run(
        [_tool("xorriso"), "-osirrox", "on", "-indev", str(iso), "-extract", path, str(target)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0 or not target.is_file():
        return None
    return target.read_text("utf-8", errors="replace")


def grub_with_station_entry(grub_cfg: str) -> str:
    """The ExamKiosk entry first, chosen after five seconds; Debian's entries stay below it."""
    first = re.search(r"^\s*menuentry\b", grub_cfg, flags=re.MULTILINE)
    if first is None:
        raise BuildError(
            "the image's /boot/grub/grub.cfg has no menu entry: not a Debian installer"
        )
    entry = (
        "set default=0\n"
        "set timeout=5\n"
        f"menuentry --hotkey=k '{ENTRY}' {{\n"
        "    set background_color=black\n"
        f"    linux    {KERNEL} {BOOT_ARGS} --- quiet\n"
        f"    initrd   {INITRD}\n"
        "}\n"
    )
    return grub_cfg[: first.start()] + entry + grub_cfg[first.start() :]


def isolinux_with_station_entry(txt_cfg: str) -> str:
    entry = (
        "label examkiosk\n"
        f"\tmenu label ^{ENTRY}\n"
        f"\tkernel {KERNEL}\n"
        f"\tappend {BOOT_ARGS} vga=788 initrd={INITRD} --- quiet\n"
    )
    return entry + txt_cfg


def _keys_partition(keys: Path, target: Path) -> None:
    if keys.stat().st_size > MAX_KEYS_BYTES:
        raise BuildError(f"{keys} is larger than 1 MiB: not the centre's public keys")
    try:
        json.loads(keys.read_text("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BuildError(f"{keys} is not JSON ({exc}): not the centre's public keys") from exc
    _run(_tool("mkfs.vfat"), "-C", "-F", "32", "-n", KEYS_LABEL, str(target), str(KEYS_MIB * 1024))
    _run(_tool("mcopy"), "-i", str(target), str(keys), "::/central-keys.json")


def build(iso: Path, keys: Path, dist: Path, out: Path, version: str) -> Path:
    xorriso = _tool("xorriso")
    debs = [dist / f"{PACKAGE}_{version}_amd64.deb", dist / f"{STATION}_{version}_all.deb"]
    missing = [str(deb) for deb in debs if not deb.is_file()]
    if missing:
        raise BuildError("missing (run make dist first): " + ", ".join(missing))
    if not iso.is_file():
        raise BuildError(f"{iso} does not exist")
    with tempfile.TemporaryDirectory(prefix="ek-usb-") as tmp:
        work = Path(tmp)
        grub = _extract(iso, "/boot/grub/grub.cfg", work / "grub.cfg")
        if grub is None or _extract(iso, KERNEL, work / "vmlinuz") is None:
            raise BuildError(
                f"{iso} is not a Debian amd64 installer image (no GRUB menu or kernel)"
            )
        (work / "grub.cfg").write_text(grub_with_station_entry(grub), "utf-8")
        maps = ["-map", str(work / "grub.cfg"), "/boot/grub/grub.cfg"]
        txt = _extract(iso, "/isolinux/txt.cfg", work / "txt.cfg")
        if txt is not None:
            (work / "txt.cfg").write_text(isolinux_with_station_entry(txt), "utf-8")
            maps += ["-map", str(work / "txt.cfg"), "/isolinux/txt.cfg"]
        maps += ["-map", str(PRESEED), f"{ON_IMAGE}/examkiosk-station.cfg"]
        for deb in debs:
            maps += ["-map", str(deb), f"{ON_IMAGE}/{deb.name}"]
        _keys_partition(keys, work / "keys.img")
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(out.name + ".partial")
        partial.unlink(missing_ok=True)
        _run(
            xorriso,
            "-indev",
            str(iso),
            "-outdev",
            str(partial),
            *maps,
            "-append_partition",
            "3",
            "0x0c",
            str(work / "keys.img"),
            "-boot_image",
            "any",
            "replay",
        )
        partial.replace(out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iso", type=Path, required=True, help="Debian 12 amd64 installer image")
    parser.add_argument("--keys", type=Path, required=True, help="the centre's central-keys.json")
    parser.add_argument("--dist", type=Path, default=REPO / "dist")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--version", default=None)
    args = parser.parse_args(argv)
    try:
        version = args.version or program_version()
        out = args.out or args.dist / f"examkiosk-station-{version}-usb.img"
        path = build(args.iso, args.keys, args.dist, out, version)
    except (BuildError, OSError) as exc:
        print(f"build_usb_image: {exc}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
