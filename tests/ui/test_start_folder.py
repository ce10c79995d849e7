"""Where the file dialogs open (`start_folder`): the first removable drive, or the first
writable one for an export, else the home folder. The drives come from a recorded
/proc/mounts + /sys + /dev layout (sync.media.list_removable_volumes reads those), with
real directories as mount points."""

from __future__ import annotations

from pathlib import Path

from examkiosk.ui.widgets import start_folder
from sync.media import Volume, list_removable_volumes

# disk name -> (sysfs path below /sys, removable flag)
DISKS = {
    "sda": ("devices/pci0000:00/0000:00:17.0/ata1/host0/block/sda", "0"),  # internal
    "mmcblk0": ("devices/platform/sdhci/mmc_host/mmc0/block/mmcblk0", "1"),  # SD card
    "sdb": ("devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0/host6/block/sdb", "0"),  # USB
}


def recorded_system(root: Path, mounts: list[str]) -> None:
    """/sys and /dev for the three disks above, and /proc/mounts with `mounts` lines."""
    sys_root = root / "sys"
    for disk, (where, removable) in DISKS.items():
        node = sys_root / where
        partition = node / (f"{disk}p1" if disk.startswith("mmc") else f"{disk}1")
        partition.mkdir(parents=True)
        (partition / "partition").write_text("1\n")
        (node / "removable").write_text(removable + "\n")
        for folder, name, target in (
            ("block", disk, node),
            ("class/block", disk, node),
            ("class/block", partition.name, partition),
        ):
            (sys_root / folder).mkdir(parents=True, exist_ok=True)
            (sys_root / folder / name).symlink_to(target)
    (root / "dev").mkdir()
    (root / "mounts").write_text("".join(line + "\n" for line in mounts))


def volumes(root: Path) -> list[Volume]:
    return list_removable_volumes(
        mounts_file=root / "mounts", sys_root=root / "sys", dev_root=root / "dev"
    )


def folders(tmp_path: Path, *names: str) -> list[Path]:
    made = [tmp_path / name for name in names]
    for folder in made:
        folder.mkdir()
    return made


def test_opens_on_the_first_removable_drive_and_skips_a_read_only_one_for_export(
    tmp_path: Path,
) -> None:
    card, stick, data, home = folders(tmp_path, "card", "U盘", "data", "home")
    root = tmp_path / "system"
    recorded_system(
        root,
        [
            "/dev/sda1 / ext4 rw 0 0",
            f"/dev/sda1 {data} ext4 rw 0 0",  # an internal disk: never offered
            f"/dev/mmcblk0p1 {card} exfat ro,nosuid 0 0",  # write-protected SD card
            f"/dev/sdb1 {stick} vfat rw,nosuid 0 0",
        ],
    )
    found = volumes(root)
    assert [v.mount_point for v in found] == [card, stick]
    assert start_folder(volumes=found, home=home) == card  # opening a package: any drive
    assert start_folder(writable=True, volumes=found, home=home) == stick  # an export


def test_home_when_no_drive_or_only_read_only_ones(tmp_path: Path) -> None:
    card, data, home = folders(tmp_path, "card", "data", "home")
    only_internal = tmp_path / "a"
    recorded_system(only_internal, [f"/dev/sda1 {data} ext4 rw 0 0"])
    assert volumes(only_internal) == []
    assert start_folder(volumes=volumes(only_internal), home=home) == home
    read_only = tmp_path / "b"
    recorded_system(read_only, [f"/dev/mmcblk0p1 {card} exfat ro 0 0"])
    assert start_folder(volumes=volumes(read_only), home=home) == card
    assert start_folder(writable=True, volumes=volumes(read_only), home=home) == home


def test_a_drive_pulled_after_mounts_was_read_is_not_offered(tmp_path: Path) -> None:
    stick, home = folders(tmp_path, "stick", "home")
    gone = tmp_path / "pulled"  # listed in /proc/mounts, but its mount point has vanished
    root = tmp_path / "system"
    recorded_system(root, [f"/dev/sdb1 {gone} vfat rw 0 0", f"/dev/mmcblk0p1 {stick} vfat rw 0 0"])
    assert start_folder(volumes=volumes(root), home=home) == stick


def test_on_this_machine_it_is_a_folder_that_exists() -> None:
    assert start_folder().is_dir() and start_folder(writable=True).is_dir()
