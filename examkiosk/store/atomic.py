"""Files written so that a crash leaves either the old file or the new one, never half.

The steps that differ on Windows (file modes, folder fsync, a rename over a file another
program holds open) are in sync/portable_files.py.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from sync.portable_files import fsync_directory, replace_file, set_file_mode


def write_atomic(path: Path, data: bytes, mode: int = 0o600) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        set_file_mode(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        replace_file(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    """Make a rename in `folder` durable (the directory entry itself is flushed)."""
    fsync_directory(folder)
