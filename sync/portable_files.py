"""The three steps of an atomic file write that differ between Linux and Windows.

Atomic writes here are: temporary file, private mode, fsync, rename over the target, fsync of
the folder. On Windows:
- `os.fchmod` does not exist before Python 3.13 (and then only sets the read-only flag): who
  may read the station's files is decided by the data folder's ACL, which the installer sets
  (installer/windows/examkiosk.iss), so `set_file_mode` does nothing there;
- a folder cannot be opened with `os.open` (PermissionError), and NTFS journals the rename
  itself, so `fsync_directory` does nothing there;
- `os.replace` fails with PermissionError while another program holds the target open without
  delete sharing: antivirus and the search indexer open new files for a moment, so
  `replace_file` retries for about a second before giving up.
"""

from __future__ import annotations

import errno
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPLACE_ATTEMPTS = 10
REPLACE_PAUSE_SECONDS = 0.1


def set_file_mode(fd: int, mode: int) -> None:
    """Give an open file `mode` where the system has file modes (POSIX)."""
    if sys.platform != "win32":
        os.fchmod(fd, mode)


def fsync_directory(directory: Path) -> None:
    """Make a rename in `directory` durable (POSIX); a no-op on Windows (see above)."""
    if sys.platform == "win32":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError as exc:
        # Some file systems (vfat on older kernels, some FUSE) refuse a directory fsync;
        # the file itself has been synced, which is what matters there.
        if exc.errno not in (errno.EINVAL, errno.EOPNOTSUPP):
            raise
    finally:
        os.close(fd)


def replace_with_retries(
    source: Path | str,
    target: Path | str,
    *,
    replace: Callable[[Path | str, Path | str], None] = os.replace,
    pause: Callable[[float], None] = time.sleep,
    attempts: int = REPLACE_ATTEMPTS,
) -> None:
    """`replace(source, target)`, tried up to `attempts` times while it raises PermissionError
    (a Windows sharing violation); the last PermissionError, or any other error, is raised."""
    for attempt in range(1, attempts + 1):
        try:
            replace(source, target)
            return
        except PermissionError:
            if attempt == attempts:
                raise
            pause(REPLACE_PAUSE_SECONDS)


def replace_file(source: Path | str, target: Path | str) -> None:
    """`os.replace`, with the Windows retries; on POSIX a PermissionError is final at once."""
    if sys.platform == "win32":
        replace_with_retries(source, target)
    else:
        os.replace(source, target)
