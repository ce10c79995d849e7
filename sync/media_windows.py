"""Removable drives on Windows: the drive letters of USB sticks and memory cards.

The choice is pure (`drive_roots`, `is_removable`, `choose_removable`, `bus_type_of`,
`volume_from_info`: plain numbers and strings in, tested on any system); the Win32 calls
are in the thin `list_windows_volumes` wrapper (ctypes, Windows only, not run in CI):

- GetLogicalDrives: a bit mask, bit 0 = A:;
- GetDriveTypeW: DRIVE_REMOVABLE for sticks and card readers. Many USB sticks and all USB
  disks say DRIVE_FIXED, so for those the storage bus is asked as well
  (IOCTL_STORAGE_QUERY_PROPERTY, STORAGE_DEVICE_DESCRIPTOR.BusType: USB, SD, MMC), the same
  rule the Linux listing applies with sysfs's "removable" flag and USB path;
- GetVolumeInformationW: label, file system, read-only flag; it fails for an empty card
  reader, which is skipped. Critical-error boxes ("insert a disk") are suppressed for the
  calling thread while listing: a kiosk must never show one.

Volumes mounted in folders rather than on a letter are not listed; the system drive never is.
"""

from __future__ import annotations

import os
import shutil
import string
import struct
from collections.abc import Iterable
from pathlib import Path

from sync.media import Volume

DRIVE_UNKNOWN, DRIVE_NO_ROOT_DIR, DRIVE_REMOVABLE, DRIVE_FIXED = 0, 1, 2, 3
DRIVE_REMOTE, DRIVE_CDROM, DRIVE_RAMDISK = 4, 5, 6
BUS_USB, BUS_SD, BUS_MMC = 7, 12, 13  # STORAGE_BUS_TYPE
REMOVABLE_BUSES = frozenset({BUS_USB, BUS_SD, BUS_MMC})
FILE_READ_ONLY_VOLUME = 0x00080000
IOCTL_STORAGE_QUERY_PROPERTY = 0x002D1400
# STORAGE_DEVICE_DESCRIPTOR: Version, Size (DWORDs), DeviceType, DeviceTypeModifier,
# RemovableMedia, CommandQueueing (BYTEs), four DWORD offsets, then BusType (a DWORD enum).
_DESCRIPTOR_HEAD = struct.Struct("<IIBBBBIIIII")
SEM_FAILCRITICALERRORS, SEM_NOOPENFILEERRORBOX = 0x0001, 0x8000


def drive_roots(mask: int) -> list[str]:
    """GetLogicalDrives' bit mask -> ["A:\\", "E:\\", ...] in letter order."""
    return [f"{letter}:\\" for bit, letter in enumerate(string.ascii_uppercase) if mask >> bit & 1]


def bus_type_of(descriptor: bytes) -> int | None:
    """BusType from a STORAGE_DEVICE_DESCRIPTOR as DeviceIoControl returned it; None if short."""
    if len(descriptor) < _DESCRIPTOR_HEAD.size:
        return None
    fields = _DESCRIPTOR_HEAD.unpack_from(descriptor)
    size = fields[1]
    if size < _DESCRIPTOR_HEAD.size:  # the driver filled in less than the bus type
        return None
    return int(fields[10])


def is_removable(drive_type: int, bus_type: int | None) -> bool:
    """A drive a venue administrator carries: a removable drive, or a fixed one on USB/SD."""
    if drive_type == DRIVE_REMOVABLE:
        return True
    return drive_type == DRIVE_FIXED and bus_type in REMOVABLE_BUSES


def choose_removable(
    drives: Iterable[tuple[str, int, int | None]], system_drive: str = "C:"
) -> list[str]:
    """The roots among (root, drive type, bus type) to offer, never the system drive."""
    system = system_drive.rstrip("\\").upper()
    return [
        root
        for root, drive_type, bus in drives
        if root.rstrip("\\").upper() != system and is_removable(drive_type, bus)
    ]


def volume_from_info(
    root: str, label: str, fs_name: str, flags: int, total: int, free: int
) -> Volume:
    """The Volume for a drive letter from GetVolumeInformationW and the free-space call."""
    return Volume(
        device=root.rstrip("\\"),
        mount_point=Path(root),
        fs_type=fs_name.lower(),
        label=label,
        read_only=bool(flags & FILE_READ_ONLY_VOLUME),
        total_bytes=total,
        free_bytes=free,
    )


# --- Win32 (thin wrappers; Windows only) -----------------------------------------------------


def _kernel32():  # type: ignore[no-untyped-def]
    import ctypes

    return ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]


def _bus_type(root: str) -> int | None:
    import ctypes
    from ctypes import wintypes

    k32 = _kernel32()
    k32.CreateFileW.restype = wintypes.HANDLE
    k32.CreateFileW.argtypes = [
        wintypes.LPCWSTR, wintypes.DWORD, wintypes.DWORD, wintypes.LPVOID,
        wintypes.DWORD, wintypes.DWORD, wintypes.HANDLE,
    ]  # fmt: skip
    share_read_write, open_existing = 0x1 | 0x2, 3
    # Access 0: a query of the device's properties needs no read or write right (no admin).
    handle = k32.CreateFileW(
        "\\\\.\\" + root.rstrip("\\"), 0, share_read_write, None, open_existing, 0, None
    )
    if handle in (None, 0, wintypes.HANDLE(-1).value):
        return None
    try:
        query = struct.pack("<II4x", 0, 0)  # StorageDeviceProperty, PropertyStandardQuery
        out = ctypes.create_string_buffer(1024)
        returned = wintypes.DWORD()
        ok = k32.DeviceIoControl(
            wintypes.HANDLE(handle), IOCTL_STORAGE_QUERY_PROPERTY, query, len(query),
            out, len(out), ctypes.byref(returned), None,
        )  # fmt: skip
        return bus_type_of(out.raw[: returned.value]) if ok else None
    finally:
        k32.CloseHandle(wintypes.HANDLE(handle))


def _volume_information(root: str) -> tuple[str, str, int] | None:
    import ctypes
    from ctypes import wintypes

    label = ctypes.create_unicode_buffer(261)
    fs_name = ctypes.create_unicode_buffer(261)
    serial, max_name, flags = wintypes.DWORD(), wintypes.DWORD(), wintypes.DWORD()
    ok = _kernel32().GetVolumeInformationW(
        root, label, len(label), ctypes.byref(serial), ctypes.byref(max_name),
        ctypes.byref(flags), fs_name, len(fs_name),
    )  # fmt: skip
    return (label.value, fs_name.value, flags.value) if ok else None


def list_windows_volumes() -> list[Volume]:
    """Mounted removable volumes in letter order; never raises (Windows only)."""
    import ctypes
    from ctypes import wintypes

    k32 = _kernel32()
    previous = wintypes.DWORD()
    k32.SetThreadErrorMode(SEM_FAILCRITICALERRORS | SEM_NOOPENFILEERRORBOX, ctypes.byref(previous))
    try:
        facts = []
        for root in drive_roots(int(k32.GetLogicalDrives())):
            drive_type = int(k32.GetDriveTypeW(root))
            bus = _bus_type(root) if drive_type == DRIVE_FIXED else None
            facts.append((root, drive_type, bus))
        volumes = []
        for root in choose_removable(facts, os.environ.get("SystemDrive", "C:")):
            info = _volume_information(root)
            if info is None:  # no medium in the reader, or pulled meanwhile
                continue
            try:
                usage = shutil.disk_usage(root)
            except OSError:
                continue
            volumes.append(volume_from_info(root, *info, usage.total, usage.free))
        return volumes
    except OSError:
        return []
    finally:
        k32.SetThreadErrorMode(previous, None)
