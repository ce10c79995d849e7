"""The atomic-write steps that differ on Windows: the retried rename (pure, with the error
Windows gives while a scanner holds the target), and the POSIX steps on this machine."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

import pytest

from sync.portable_files import (
    REPLACE_ATTEMPTS,
    fsync_directory,
    replace_file,
    replace_with_retries,
    set_file_mode,
)


class HeldOpen:
    """os.replace as Windows behaves while another program holds the target for `busy` tries:
    PermissionError (winerror 32, a sharing violation), then the real rename."""

    def __init__(self, busy: int) -> None:
        self.busy, self.calls, self.pauses = busy, 0, 0

    def replace(self, source: Path | str, target: Path | str) -> None:
        self.calls += 1
        if self.calls <= self.busy:
            raise PermissionError(13, "The process cannot access the file", str(target))
        os.replace(source, target)

    def pause(self, seconds: float) -> None:
        self.pauses += 1


def test_a_target_held_open_for_a_moment_is_replaced_after_retries(tmp_path: Path) -> None:
    (tmp_path / "station.json").write_text("old")
    (tmp_path / "new.tmp").write_text("new")
    held = HeldOpen(busy=3)
    replace_with_retries(
        tmp_path / "new.tmp", tmp_path / "station.json", replace=held.replace, pause=held.pause
    )
    assert (tmp_path / "station.json").read_text() == "new"
    assert not (tmp_path / "new.tmp").exists()
    assert (held.calls, held.pauses) == (4, 3)


def test_a_target_held_open_for_good_gives_up_and_changes_nothing(tmp_path: Path) -> None:
    (tmp_path / "station.json").write_text("old")
    (tmp_path / "new.tmp").write_text("new")
    held = HeldOpen(busy=REPLACE_ATTEMPTS)
    with pytest.raises(PermissionError):
        replace_with_retries(
            tmp_path / "new.tmp", tmp_path / "station.json", replace=held.replace, pause=held.pause
        )
    assert (tmp_path / "station.json").read_text() == "old"
    assert (held.calls, held.pauses) == (REPLACE_ATTEMPTS, REPLACE_ATTEMPTS - 1)


def test_other_errors_are_not_retried(tmp_path: Path) -> None:
    held = HeldOpen(busy=0)
    with pytest.raises(FileNotFoundError):
        replace_with_retries(
            tmp_path / "missing", tmp_path / "t", replace=held.replace, pause=held.pause
        )
    assert (held.calls, held.pauses) == (1, 0)


def test_on_this_linux_machine_modes_are_set_and_the_folder_synced(tmp_path: Path) -> None:
    fd, name = tempfile.mkstemp(dir=tmp_path)
    try:
        set_file_mode(fd, 0o600)
    finally:
        os.close(fd)
    assert stat.S_IMODE(os.stat(name).st_mode) == 0o600
    replace_file(name, tmp_path / "done")
    fsync_directory(tmp_path)
    assert (tmp_path / "done").exists()
