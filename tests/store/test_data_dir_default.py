"""Where a station's data lives when no --data-dir is given, on each system."""

from __future__ import annotations

from pathlib import Path, PureWindowsPath

from examkiosk.core.inspection import loose_files
from examkiosk.store.layout import data_dir_for

HOME = Path("/home/kiosk")


def test_the_environment_variable_wins_everywhere() -> None:
    for platform in ("linux", "win32"):
        env = {"EXAMKIOSK_DATA_DIR": "/srv/station", "ProgramData": "D:\\ProgramData"}
        assert data_dir_for(platform, env, HOME) == Path("/srv/station")


def test_windows_uses_the_folder_the_installer_locked() -> None:
    got = data_dir_for("win32", {"ProgramData": "C:\\ProgramData"}, HOME)
    assert PureWindowsPath(str(got)) == PureWindowsPath("C:/ProgramData/ExamKiosk")
    fallback = data_dir_for("win32", {}, HOME)  # ProgramData unset: its standard place
    assert PureWindowsPath(str(fallback)) == PureWindowsPath("C:/ProgramData/ExamKiosk")


def test_linux_follows_xdg() -> None:
    assert data_dir_for("linux", {}, HOME) == HOME / ".local/share/examkiosk"
    assert data_dir_for("linux", {"XDG_DATA_HOME": "/data"}, HOME) == Path("/data/examkiosk")


def test_loose_file_modes_are_a_posix_finding_only() -> None:
    modes = {"station.db": 0o100600, "keyslots.json": 0o100644}
    assert loose_files(modes, "linux") == ["keyslots.json"]
    # Windows reports 0o666 for every writable file: no "readable by others" from that.
    assert loose_files({"station.db": 0o100666, "keyslots.json": 0o100666}, "win32") == []
