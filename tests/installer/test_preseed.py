"""The station's Debian installer preseed and the install drive image.

The preseed parses with debconf's own checker, holds no password, locks root, installs no
desktop and leaves the erase confirmation to the technician; its shell fragments run here
against stand-in /cdrom, /target and installer commands (the real installer is not run).
The image builder is run on a stand-in Debian image made with xorriso the way debian-cd
makes one (UEFI El Torito image, hybrid GPT), since no Debian image is downloaded here."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from examkiosk import __version__
from tests.conftest import REPO

PRESEED = REPO / "installer/preseed/examkiosk-station.cfg"
BUILDER = REPO / "installer/preseed/build_usb_image.py"
DEBS = (f"examkiosk_{__version__}_amd64.deb", f"examkiosk-station_{__version__}_all.deb")


def _tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is not installed (Makefile APT_PACKAGES lists its package)"
    return path


def _answers() -> dict[str, tuple[str, str]]:
    """question -> (type, value), continuation lines joined as the installer joins them."""
    joined = re.sub(r"\\\n", " ", PRESEED.read_text("utf-8"))
    answers = {}
    for line in joined.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = line.split(None, 3)
        answers[fields[1]] = (fields[2], fields[3] if len(fields) > 3 else "")
    return answers


def test_preseed_parses_with_debconf() -> None:
    result = subprocess.run(
        [_tool("debconf-set-selections"), "--checkonly", str(PRESEED)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    # --checkonly exits 0 after a warning (an unknown type, say): any word is a failure.
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


def test_debconf_check_catches_a_broken_preseed(tmp_path: Path) -> None:
    broken = tmp_path / "broken.cfg"
    broken.write_text(PRESEED.read_text("utf-8").replace("boolean false", "boolen false", 1))
    result = subprocess.run(
        [_tool("debconf-set-selections"), "--checkonly", str(broken)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Unknown type boolen" in result.stderr


def test_preseed_holds_no_password_and_locks_root() -> None:
    answers = _answers()
    assert [q for q, (kind, _) in answers.items() if kind == "password"] == []
    assert not any("password" in question for question in answers)
    assert answers["passwd/root-login"] == ("boolean", "false")
    assert answers["passwd/make-user"] == ("boolean", "true")
    assert answers["passwd/username"][1] == "technician"


def test_preseed_installs_no_desktop_and_asks_before_erasing() -> None:
    answers = _answers()
    assert answers["tasksel/first"] == ("multiselect", "")
    assert "pkgsel/include" not in answers
    # The installer itself asks whether to write the new partition table.
    assert "partman/confirm" not in answers and "partman/confirm_nooverwrite" not in answers
    assert "finish-install/reboot_in_progress" not in answers


def _shims(folder: Path, scripts: dict[str, str]) -> dict[str, str]:
    folder.mkdir()
    for name, body in scripts.items():
        (folder / name).write_text("#!/bin/sh\n" + body)
        (folder / name).chmod(0o755)
    return {"PATH": f"{folder}:/usr/bin:/bin"}


def _late_command(tmp_path: Path, debs: tuple[str, ...], apt_status: int) -> tuple[int, Path]:
    """Runs the late_command as the installer does (sh -c, its status is what it reports)
    with stand-in /cdrom and /target; in-target (which runs its command chrooted into
    /target) records the command and what the packages' folder holds at that moment."""
    cdrom, target = tmp_path / "cdrom", tmp_path / "target"
    (cdrom / "examkiosk").mkdir(parents=True)
    for name in debs:
        (cdrom / "examkiosk" / name).write_bytes(name.encode())
    target.mkdir()
    record = tmp_path / "in-target.log"
    env = _shims(
        tmp_path / "bin",
        {
            "in-target": f'printf "%s\\n" "$@" > "{record}"\n'
            f'ls "{target}/var/cache/examkiosk-install" >> "{record}"\n'
            f"exit {apt_status}\n"
        },
    )
    command = _answers()["preseed/late_command"][1]
    command = command.replace("/target", str(target)).replace("/cdrom", str(cdrom))
    result = subprocess.run(["sh", "-c", command], capture_output=True, text=True, env=env)
    return result.returncode, record


def test_late_command_installs_both_packages_from_the_drive(tmp_path: Path) -> None:
    status, record = _late_command(tmp_path, DEBS, apt_status=0)
    assert status == 0
    lines = record.read_text().splitlines()
    assert lines[:3] == ["sh", "-c", "apt-get install -y /var/cache/examkiosk-install/*.deb"]
    assert sorted(lines[3:]) == sorted(DEBS)
    assert not (tmp_path / "target/var/cache/examkiosk-install").exists()  # nothing left


@pytest.mark.parametrize(("debs", "apt_status"), [(DEBS[:1], 0), (DEBS, 100)])
def test_late_command_fails_the_install_without_the_packages_or_apt(
    tmp_path: Path, debs: tuple[str, ...], apt_status: int
) -> None:
    # A drive missing the station package, or apt failing (no mirror): the installer must
    # say "Execution of preseeded command failed", not finish a bare Debian.
    status, _ = _late_command(tmp_path, debs, apt_status)
    assert status != 0


@pytest.mark.parametrize(
    ("mounts", "disks", "chosen"),
    [
        # The drive enumerates first: the internal NVMe disk is chosen.
        ("/dev/sda1 /cdrom iso9660 ro 0 0", "/dev/sda /dev/nvme0n1", "/dev/nvme0n1"),
        ("/dev/sdb /cdrom iso9660 ro 0 0", "/dev/sda /dev/sdb", "/dev/sda"),
    ],
)
def test_early_command_chooses_the_internal_disk(
    tmp_path: Path, mounts: str, disks: str, chosen: str
) -> None:
    (tmp_path / "mounts").write_text(f"proc /proc proc rw 0 0\n{mounts}\n")
    record = tmp_path / "debconf.log"
    env = _shims(
        tmp_path / "bin",
        {
            "list-devices": f'[ "$1" = disk ] && printf "%s\\n" {disks}\n',
            "debconf-set": f'echo "$1=$2" >> "{record}"\n',
        },
    )
    command = _answers()["partman/early_command"][1]
    command = command.replace("/proc/mounts", str(tmp_path / "mounts"))
    result = subprocess.run(
        ["sh", "-ec", command], capture_output=True, text=True, timeout=60, env=env
    )
    assert result.returncode == 0, result.stderr
    assert record.read_text().splitlines() == [
        f"partman-auto/disk={chosen}",
        f"grub-installer/bootdev={chosen}",
    ]


# --- the install drive image ---------------------------------------------------------------

DEBIAN_GRUB = """set theme=/boot/grub/theme/1
menuentry --hotkey=g 'Graphical install' {
    set background_color=black
    linux    /install.amd/vmlinuz vga=788 --- quiet
    initrd   /install.amd/gtk/initrd.gz
}
menuentry --hotkey=i 'Install' {
    set background_color=black
    linux    /install.amd/vmlinuz vga=788 --- quiet
    initrd   /install.amd/initrd.gz
}
"""


@pytest.fixture
def debian_image(tmp_path: Path) -> Path:
    """A stand-in Debian installer image: GRUB and isolinux menus, kernel, an EFI boot image,
    hybrid GPT, made with the xorriso options debian-cd uses (no BIOS boot loader)."""
    tree = tmp_path / "cd"
    for folder in ("boot/grub", "isolinux", "install.amd/gtk", ".disk"):
        (tree / folder).mkdir(parents=True)
    (tree / "boot/grub/grub.cfg").write_text(DEBIAN_GRUB)
    (tree / "isolinux/txt.cfg").write_text(
        "label install\n\tmenu label ^Install\n\tkernel /install.amd/vmlinuz\n"
        "\tappend vga=788 initrd=/install.amd/initrd.gz --- quiet\n"
    )
    for name in ("install.amd/vmlinuz", "install.amd/initrd.gz", "install.amd/gtk/initrd.gz"):
        (tree / name).write_bytes(os.urandom(4096))
    (tree / ".disk/info").write_text("Debian GNU/Linux 12 stand-in")
    subprocess.run(
        [_tool("mkfs.vfat"), "-C", str(tree / "boot/grub/efi.img"), "2048"],
        check=True,
        capture_output=True,
    )
    (tmp_path / "mbr.bin").write_bytes(bytes(432))
    iso = tmp_path / "debian-12-amd64-netinst.iso"
    subprocess.run(
        [_tool("xorriso"), "-as", "mkisofs", "-r", "-V", "Debian 12 amd64 n", "-o", str(iso)]
        + ["-J", "-joliet-long", "-isohybrid-mbr", str(tmp_path / "mbr.bin")]
        + ["-eltorito-alt-boot", "-e", "boot/grub/efi.img", "-no-emul-boot"]
        + ["-isohybrid-gpt-basdat", str(tree)],
        check=True,
        capture_output=True,
    )
    return iso


@pytest.fixture
def release(tmp_path: Path, station_package: Path) -> tuple[Path, Path]:
    dist = tmp_path / "dist"
    dist.mkdir()
    shutil.copy(station_package, dist / DEBS[1])
    # The program's package is half a gigabyte; the image builder only copies it.
    (dist / DEBS[0]).write_bytes(os.urandom(65536))
    keys = tmp_path / "central-keys.json"
    keys.write_text('{"centre": "stand-in", "signing": "AAAA", "encryption": "BBBB"}\n')
    return dist, keys


def _build(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(BUILDER), *args], capture_output=True, text=True, timeout=600
    )


def _xorriso(image: Path, *commands: str) -> str:
    result = subprocess.run(
        [_tool("xorriso"), "-osirrox", "on", "-indev", str(image), *commands],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_usb_image_carries_preseed_packages_boot_entry_and_keys(
    tmp_path: Path, debian_image: Path, release: tuple[Path, Path]
) -> None:
    dist, keys = release
    out = tmp_path / "station.img"
    result = _build(
        "--iso", str(debian_image), "--keys", str(keys), "--dist", str(dist), "--out", str(out)
    )
    assert result.returncode == 0, result.stderr
    got = tmp_path / "got"
    got.mkdir()
    _xorriso(
        out,
        "-extract", "/examkiosk", str(got / "examkiosk"),
        "-extract", "/boot/grub/grub.cfg", str(got / "grub.cfg"),
        "-extract", "/isolinux/txt.cfg", str(got / "txt.cfg"),
    )  # fmt: skip
    assert sorted(p.name for p in (got / "examkiosk").iterdir()) == sorted(
        [*DEBS, "examkiosk-station.cfg"]
    )
    assert _sha(got / "examkiosk/examkiosk-station.cfg") == _sha(PRESEED)
    for name in DEBS:
        assert _sha(got / "examkiosk" / name) == _sha(dist / name)

    # The first GRUB entry (the default, after 5 s) starts the installer with the preseed.
    grub = (got / "grub.cfg").read_text()
    entries = re.findall(r"menuentry [^{]*\{(.*?)\}", grub, flags=re.DOTALL)
    assert len(entries) == 3 and "set default=0" in grub
    assert (
        "auto=true priority=critical preseed/file=/cdrom/examkiosk/examkiosk-station.cfg"
        in entries[0]
    )
    assert "linux    /install.amd/vmlinuz " in entries[0]
    assert "'" not in re.search(r"menuentry [^']*'([^']*)'", grub).group(1)  # type: ignore[union-attr]
    assert (got / "txt.cfg").read_text().startswith("label examkiosk\n")

    # The boot setup survived, and a FAT partition labelled EXAMKIOSK holds the keys.
    report = _xorriso(out, "-report_el_torito", "plain", "-report_system_area", "plain")
    assert "/boot/grub/efi.img" in report and "UEFI" in report
    fat = re.search(r"^MBR partition\s*:\s*\d+\s+0x\w\w\s+0x0c\s+(\d+)\s+(\d+)", report, re.M)
    assert fat, report
    at = f"{out}@@{int(fat.group(1)) * 512}"
    label = subprocess.run(
        [_tool("mlabel"), "-s", "-i", at, "::"], capture_output=True, text=True, check=True
    ).stdout
    assert "EXAMKIOSK" in label
    subprocess.run(
        [_tool("mcopy"), "-i", at, "::/central-keys.json", str(got / "keys.json")], check=True
    )
    assert _sha(got / "keys.json") == _sha(keys)


def test_usb_image_refuses_what_is_not_a_debian_image_or_keys(
    tmp_path: Path, debian_image: Path, release: tuple[Path, Path]
) -> None:
    dist, keys = release
    out = tmp_path / "station.img"
    not_debian = tmp_path / "other.iso"
    subprocess.run(
        [_tool("xorriso"), "-as", "mkisofs", "-o", str(not_debian), str(dist)],
        check=True,
        capture_output=True,
    )
    refused = _build("--iso", str(not_debian), "--keys", str(keys), "--dist", str(dist))
    assert refused.returncode == 1 and "not a Debian amd64 installer image" in refused.stderr
    bad_keys = tmp_path / "bad.json"
    bad_keys.write_text("not json")
    refused = _build(
        "--iso", str(debian_image), "--keys", str(bad_keys), "--dist", str(dist), "--out", str(out)
    )
    assert refused.returncode == 1 and "not the centre's public keys" in refused.stderr
    (dist / DEBS[0]).unlink()
    refused = _build(
        "--iso", str(debian_image), "--keys", str(keys), "--dist", str(dist), "--out", str(out)
    )
    assert refused.returncode == 1 and "run make dist first" in refused.stderr
    assert not out.exists() and not list(tmp_path.glob("*.partial"))
    assert "Traceback" not in refused.stderr
