"""Removable drives: which are mounted, how much room they have, what went wrong.

`list_removable_volumes` reads /proc/mounts and /sys/block/*/removable (plus the device's
sysfs path, since many USB sticks and card readers report removable=0 yet sit on a USB bus);
on Windows it lists drive letters instead (sync/media_windows.py).
`media_error` turns an OSError met while writing into a MediaError an administrator can act on.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sync.errors import MediaError
from sync.portable_files import fsync_directory, replace_file, set_file_mode

_ESCAPE = re.compile(r"\\([0-7]{3})")
_UDEV_ESCAPE = re.compile(r"(\\x[0-9a-fA-F]{2})")


@dataclass(frozen=True)
class Volume:
    """One mounted removable volume (a USB stick, a card in a reader)."""

    device: str  # e.g. /dev/sdb1
    mount_point: Path
    fs_type: str  # e.g. vfat, exfat, ntfs3
    label: str  # filesystem label, "" when it has none
    read_only: bool
    total_bytes: int
    free_bytes: int

    @property
    def display_name(self) -> str:
        return self.label or self.mount_point.name or self.device


def _unescape_mount_field(field: str) -> str:
    # /proc/mounts escapes space, tab, newline and backslash as \040 \011 \012 \134.
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), field)


def _udev_unescape(name: str) -> str:
    raw = bytearray()
    for part in _UDEV_ESCAPE.split(name):
        if _UDEV_ESCAPE.fullmatch(part):
            raw.append(int(part[2:], 16))
        else:
            raw += part.encode("utf-8", "surrogateescape")
    return raw.decode("utf-8", "replace")


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""


def _disk_of(name: str, sys_root: Path) -> str | None:
    """The whole-disk name (sdb) of a block device name (sdb1), or None if unknown to sysfs."""
    node = sys_root / "class" / "block" / name
    if not node.exists():
        return None
    if (node / "partition").exists():
        return node.resolve().parent.name
    return name


def _is_removable(disk: str, sys_root: Path) -> bool:
    node = sys_root / "block" / disk
    if _read_text(node / "removable") == "1":
        return True
    try:
        parts = node.resolve().parts
    except OSError:
        return False
    return any(part.startswith("usb") for part in parts)


def _labels(dev_root: Path) -> dict[str, str]:
    """Device name (sdb1) -> filesystem label, from udev's /dev/disk/by-label links."""
    labels: dict[str, str] = {}
    by_label = dev_root / "disk" / "by-label"
    try:
        entries = list(by_label.iterdir())
    except OSError:
        return labels
    for entry in entries:
        try:
            target = os.path.basename(os.readlink(entry))
        except OSError:
            continue
        labels[target] = _udev_unescape(entry.name)
    return labels


def list_removable_volumes(
    *,
    mounts_file: Path = Path("/proc/mounts"),
    sys_root: Path = Path("/sys"),
    dev_root: Path = Path("/dev"),
) -> list[Volume]:
    """Mounted volumes on removable or USB disks, in mount order; never raises.

    On Windows: drive letters, from sync/media_windows.py. The keyword arguments exist so
    the Linux parsing can be exercised against a recorded /proc + /sys layout; callers use
    the defaults.
    """
    if sys.platform == "win32":
        from sync.media_windows import list_windows_volumes  # imports this module: lazily

        return list_windows_volumes()
    try:
        lines = mounts_file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    labels = _labels(dev_root)
    volumes: list[Volume] = []
    seen: set[tuple[str, str]] = set()
    for line in lines:
        fields = line.split()
        if len(fields) < 4 or not fields[0].startswith("/dev/"):
            continue
        device = os.path.realpath(_unescape_mount_field(fields[0]))
        mount_point = Path(_unescape_mount_field(fields[1]))
        if mount_point == Path("/") or mount_point.parts[:2] == ("/", "boot"):
            continue
        name = os.path.basename(device)
        disk = _disk_of(name, sys_root)
        if disk is None or not _is_removable(disk, sys_root):
            continue
        if (device, str(mount_point)) in seen:
            continue
        seen.add((device, str(mount_point)))
        try:
            usage = shutil.disk_usage(mount_point)
        except OSError:  # unmounted or pulled since /proc/mounts was read
            continue
        volumes.append(
            Volume(
                device=device,
                mount_point=mount_point,
                fs_type=fields[2],
                label=labels.get(name, ""),
                read_only="ro" in fields[3].split(","),
                total_bytes=usage.total,
                free_bytes=usage.free,
            )
        )
    return volumes


# Windows error codes that Python's errno mapping blurs: the C runtime maps 19..36 (write
# protect, drive not ready, CRC, general failure, sharing violation...) all to EACCES, which
# would call a pulled stick "read-only". Looked up first when the OSError has a winerror.
WINERROR_AS_ERRNO = {
    19: errno.EROFS,  # ERROR_WRITE_PROTECT
    5: errno.EACCES,  # ERROR_ACCESS_DENIED
    39: errno.ENOSPC,  # ERROR_HANDLE_DISK_FULL
    112: errno.ENOSPC,  # ERROR_DISK_FULL
    223: errno.EFBIG,  # ERROR_FILE_TOO_LARGE
    2: errno.ENOENT,  # ERROR_FILE_NOT_FOUND
    3: errno.ENOENT,  # ERROR_PATH_NOT_FOUND
    15: errno.ENODEV,  # ERROR_INVALID_DRIVE
    21: errno.ENODEV,  # ERROR_NOT_READY (card reader without a card, stick pulled)
    23: errno.EIO,  # ERROR_CRC
    31: errno.EIO,  # ERROR_GEN_FAILURE
    55: errno.ENODEV,  # ERROR_DEV_NOT_EXIST
    433: errno.ENODEV,  # ERROR_NO_SUCH_DEVICE
    1117: errno.EIO,  # ERROR_IO_DEVICE
    1167: errno.ENODEV,  # ERROR_DEVICE_NOT_CONNECTED
    1617: errno.ENODEV,  # ERROR_DEVICE_REMOVED
    32: errno.EBUSY,  # ERROR_SHARING_VIOLATION: another program holds the file
    33: errno.EBUSY,  # ERROR_LOCK_VIOLATION
}


def effective_errno(code: int | None, winerror: int | None) -> int | None:
    """The errno to classify by: the Windows error's own meaning where we know it."""
    if winerror is not None and winerror in WINERROR_AS_ERRNO:
        return WINERROR_AS_ERRNO[winerror]
    return code


def media_error(exc: OSError, where: Path | str) -> MediaError:
    """The MediaError for an OSError met while writing to or reading from `where`."""
    winerror = getattr(exc, "winerror", None)
    code = effective_errno(exc.errno, winerror)
    detail = f"{where}: {exc.strerror or exc} (errno {exc.errno}"
    detail += f", winerror {winerror})" if winerror is not None else ")"
    if code in (errno.EROFS, errno.EACCES, errno.EPERM):
        return MediaError(
            "无法写入该U盘：它是只读的（可能打开了写保护开关）或没有写入权限。"
            "请关闭写保护开关，或换一个U盘后再导出。",
            "This drive cannot be written: it is read-only (its write-protect switch may be "
            "on) or access is denied. Turn write protection off or use another drive, then "
            "export again.",
            problem="read_only",
            detail=detail,
        )
    if code in (errno.ENOSPC, errno.EDQUOT):
        return MediaError(
            "U盘空间不足，导出未完成，U盘上没有留下不完整的文件。请删除U盘上不需要的文件或换一个容量更大的U盘后再导出。",
            "The drive is full; the export did not complete and left no partial file. Free "
            "some space on the drive or use a larger one, then export again.",
            problem="full",
            detail=detail,
        )
    if code == errno.EFBIG:
        return MediaError(
            "文件超过了该U盘文件系统允许的单个文件大小（FAT32 最大 4GB）。请换用 exFAT 或 NTFS 格式的U盘。",
            "The file is larger than this drive's file system allows (FAT32: 4 GB at most). "
            "Use a drive formatted as exFAT or NTFS.",
            problem="full",
            detail=detail,
        )
    if code in (errno.ENOENT, errno.ENODEV, errno.ENXIO, errno.ESTALE, errno.EIO, errno.ENOTDIR):
        return MediaError(
            "U盘在读写过程中被拔出或无法访问，导出未完成。请重新插好U盘，等待系统识别后再导出一次。",
            "The drive was removed or stopped responding during the operation; the export did "
            "not complete. Plug the drive in again, wait for it to appear, and export again.",
            problem="vanished",
            detail=detail,
        )
    return MediaError(
        "读写U盘时出错，操作未完成。请换一个U盘再试；如仍失败，请联系技术支持。",
        "The drive could not be read or written and the operation did not complete. Try "
        "another drive; if it fails again, contact technical support.",
        problem="io",
        detail=detail,
    )


def free_bytes(path: Path) -> int:
    """Bytes available to this process on the file system holding `path`."""
    try:
        return shutil.disk_usage(path).free  # statvfs's f_bavail on POSIX; Windows has no statvfs
    except OSError as exc:
        raise media_error(exc, path) from exc


def check_writable(directory: Path, needed_bytes: int = 0) -> None:
    """Raise MediaError unless a file of `needed_bytes` could plausibly be written there.

    Creates and removes a small probe file, because a read-only mount or a write-protected
    stick is only certain once a write has been tried (root passes permission checks).
    """
    if not directory.is_dir():
        raise media_error(OSError(errno.ENOENT, "no such directory"), directory)
    try:
        fd, probe = tempfile.mkstemp(prefix=".ek-probe-", dir=directory)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise media_error(exc, directory) from exc
    if needed_bytes and free_bytes(directory) < needed_bytes:
        raise media_error(OSError(errno.ENOSPC, "not enough free space"), directory)


def discard(path: Path | None) -> None:
    """Remove a file if it is there; silent when the drive has gone with it."""
    if path is not None:
        try:
            path.unlink(missing_ok=True)
        except OSError:
            pass


def drop_cached_pages(fd: int) -> None:
    """Ask the kernel to forget a synced file's cached pages, so reads come from the drive."""
    if hasattr(os, "posix_fadvise"):
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        except OSError:
            pass


@contextmanager
def atomic_file(path: Path) -> Iterator[BinaryIO]:
    """A new file at `path`, all or nothing.

    Yields a binary file with a temporary name in `path`'s folder. When the block ends
    normally: flush, fsync, `os.replace` onto `path` (replacing an older file), fsync of the
    folder. When the block raises or any step fails, neither the temporary file nor a new
    `path` is left (an older file survives unless the rename already happened); OSErrors
    become MediaError.
    """
    leftover: Path | None = None
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
        leftover = Path(name)
        try:  # mkstemp's 0600 would hide the file from the desktop user; it is encrypted
            set_file_mode(fd, 0o644)
        except OSError:  # vfat/exfat sticks have no modes
            pass
        with os.fdopen(fd, "wb", buffering=1 << 20) as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        replace_file(leftover, path)
        leftover = path
        fsync_directory(path.parent)
        leftover = None
    except OSError as exc:
        discard(leftover)
        raise media_error(exc, path) from exc
    except BaseException:
        discard(leftover)
        raise
