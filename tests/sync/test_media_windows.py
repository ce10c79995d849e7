"""Removable drives on Windows, from the values the Win32 calls return (pure parts; the ctypes
wrapper `list_windows_volumes` has not run on Windows), and the Windows error codes that
Python's errno mapping would misread."""

from __future__ import annotations

import errno
import struct
from pathlib import Path

import pytest

from sync.media import effective_errno, media_error
from sync.media_windows import (
    BUS_SD,
    BUS_USB,
    DRIVE_CDROM,
    DRIVE_FIXED,
    DRIVE_REMOTE,
    DRIVE_REMOVABLE,
    FILE_READ_ONLY_VOLUME,
    bus_type_of,
    choose_removable,
    drive_roots,
    is_removable,
    volume_from_info,
)

NVME, SATA = 17, 11


def descriptor(bus: int, *, size: int = 0, removable: int = 0) -> bytes:
    """A STORAGE_DEVICE_DESCRIPTOR as DeviceIoControl fills it, with vendor and product strings."""
    head = struct.Struct("<IIBBBBIIIII I")
    strings = b"Kingston\x00DataTraveler 3.0\x00"
    total = head.size + len(strings)
    fields = (1, size or total, 0, 0, removable, 0, head.size, head.size + 9, 0, 0, bus, 0)
    return head.pack(*fields) + strings


def test_logical_drive_mask_becomes_letters_in_order() -> None:
    # C: (system), D: (DVD), E: (stick), Z: (a mapped share): bits 2, 3, 4, 25.
    mask = 1 << 2 | 1 << 3 | 1 << 4 | 1 << 25
    assert drive_roots(mask) == ["C:\\", "D:\\", "E:\\", "Z:\\"]
    assert drive_roots(0) == []
    assert drive_roots(0x3FFFFFF)[-1] == "Z:\\" and len(drive_roots(0x3FFFFFF)) == 26


def test_bus_type_is_read_from_the_device_descriptor() -> None:
    assert bus_type_of(descriptor(BUS_USB)) == BUS_USB
    assert bus_type_of(descriptor(NVME)) == NVME
    assert bus_type_of(descriptor(BUS_USB)[:20]) is None  # short answer
    assert bus_type_of(descriptor(BUS_USB, size=24)) is None  # driver filled in less


@pytest.mark.parametrize(
    ("drive_type", "bus", "offered"),
    [
        (DRIVE_REMOVABLE, None, True),  # a stick or a card reader that says so
        (DRIVE_FIXED, BUS_USB, True),  # a stick or USB disk that says "fixed"
        (DRIVE_FIXED, BUS_SD, True),  # a laptop's SD slot
        (DRIVE_FIXED, NVME, False),  # the station's own second disk
        (DRIVE_FIXED, SATA, False),
        (DRIVE_FIXED, None, False),  # bus unknown: not offered
        (DRIVE_CDROM, None, False),
        (DRIVE_REMOTE, None, False),
    ],
)
def test_which_drives_are_offered(drive_type: int, bus: int | None, offered: bool) -> None:
    assert is_removable(drive_type, bus) is offered


def test_the_system_drive_is_never_offered_and_order_is_kept() -> None:
    drives = [
        ("C:\\", DRIVE_FIXED, BUS_USB),  # Windows To Go: the system itself on USB
        ("D:\\", DRIVE_CDROM, None),
        ("E:\\", DRIVE_FIXED, NVME),
        ("F:\\", DRIVE_REMOVABLE, None),
        ("G:\\", DRIVE_FIXED, BUS_USB),
    ]
    assert choose_removable(drives, "C:") == ["F:\\", "G:\\"]
    assert choose_removable(drives, "c:\\") == ["F:\\", "G:\\"]
    assert choose_removable(drives, "G:") == ["C:\\", "F:\\"]


def test_volume_from_volume_information() -> None:
    stick = volume_from_info("F:\\", "考点U盘", "FAT32", 0x0002_0006, 8_000_000_000, 7_500_000_000)
    assert (stick.device, stick.mount_point, stick.fs_type) == ("F:", Path("F:\\"), "fat32")
    assert stick.label == "考点U盘" and stick.display_name == "考点U盘"
    assert not stick.read_only
    locked = volume_from_info("G:\\", "", "exFAT", FILE_READ_ONLY_VOLUME | 0x6, 10, 0)
    assert locked.read_only and locked.fs_type == "exfat" and locked.label == ""


@pytest.mark.parametrize(
    ("code", "winerror", "problem"),
    [
        # Python maps all of Windows' 19..36 to EACCES; the winerror tells them apart.
        (errno.EACCES, 19, "read_only"),  # ERROR_WRITE_PROTECT
        (errno.EACCES, 21, "vanished"),  # ERROR_NOT_READY: the stick was pulled
        (errno.EACCES, 31, "vanished"),  # ERROR_GEN_FAILURE
        (errno.EACCES, 32, "io"),  # ERROR_SHARING_VIOLATION: another program has the file
        (errno.EACCES, 5, "read_only"),  # ERROR_ACCESS_DENIED
        (errno.ENOSPC, 112, "full"),  # ERROR_DISK_FULL
        (errno.EINVAL, 223, "full"),  # ERROR_FILE_TOO_LARGE (FAT32's 4 GB)
        (errno.ENOENT, 1167, "vanished"),  # ERROR_DEVICE_NOT_CONNECTED
        (errno.EINVAL, 87, "io"),  # a code we do not know keeps the errno's meaning
    ],
)
def test_windows_errors_are_classified_by_their_own_code(
    code: int, winerror: int, problem: str
) -> None:
    mapped = effective_errno(code, winerror)
    assert media_error(OSError(mapped, "x"), "F:\\b.ekb").problem == problem


def test_without_a_winerror_the_errno_decides() -> None:
    assert effective_errno(errno.EROFS, None) == errno.EROFS
    assert media_error(OSError(errno.EROFS, "Read-only file system"), "/media/u").problem == (
        "read_only"
    )
