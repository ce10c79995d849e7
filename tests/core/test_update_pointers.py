"""Offline updates in the Windows layout: `current` and `previous` are pointer files (Windows
lets only administrators make symbolic links). The same apply and roll-back code runs here
with `pointers=True` on real files; what is not shown is Windows' own rename and ACLs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from examkiosk import __version__
from examkiosk.core.provision import provision_station
from examkiosk.core.station import Station
from examkiosk.core.update import Installation, apply_update, release_named_by, roll_back
from tests.core.test_update import ADMIN, CENTRAL, make_update


def _windows_release(folder: Path, version: str) -> None:
    (folder / "_internal").mkdir(parents=True)
    (folder / "examkiosk.exe").write_bytes(b"MZ" + version.encode())
    (folder / "_internal" / "python311.dll").write_bytes(os.urandom(2000))


@pytest.fixture
def install(tmp_path: Path) -> Installation:
    root = tmp_path / "Program Files" / "ExamKiosk"
    _windows_release(root / "releases" / "0.1.0", "0.1.0")
    (root / "current").write_text("releases/0.1.0\n")  # as the installer writes it
    return Installation(root, pointers=True)


@pytest.fixture
def station(tmp_path: Path) -> Iterator[Station]:
    station = provision_station(
        tmp_path / "data",
        station_id="ST-WIN-1",
        venue_id="V-W",
        mode="seat",
        central=CENTRAL.public(),
        passphrase="windows-update-passphrase-01",
    )
    yield station
    station.close()


def test_an_update_switches_the_pointer_files(
    tmp_path: Path, install: Installation, station: Station
) -> None:
    assert install.current_program() == install.releases / "0.1.0" / "examkiosk.exe"
    applied = apply_update(make_update(tmp_path, "0.2.0"), station, ADMIN, install)
    assert (applied.previous, applied.installed) == ("0.1.0", "0.2.0")
    assert install.current.read_text() == "releases/0.2.0\n" and not install.current.is_symlink()
    assert install.previous.read_text() == "releases/0.1.0\n"
    assert install.installed_version() == "0.2.0" and install.previous_version() == "0.1.0"
    assert not [p.name for p in install.root.iterdir() if p.name.startswith(".")]


def test_roll_back_points_back(tmp_path: Path, install: Installation, station: Station) -> None:
    apply_update(make_update(tmp_path, "0.2.0"), station, ADMIN, install)
    assert roll_back(station, ADMIN, install) == "0.1.0"
    assert install.current.read_text() == "releases/0.1.0\n"
    assert install.current_program() == install.releases / "0.1.0" / "examkiosk.exe"
    assert install.previous_version() == "0.2.0"


@pytest.mark.parametrize(
    ("text", "release"),
    [
        ("releases/0.2.0\n", "0.2.0"),
        ("releases\\0.2.0\r\n", "0.2.0"),  # written by hand in Notepad
        ("releases/..", None),
        ("releases/../../Windows", None),
        ("C:\\Windows\\System32", None),
        ("", None),
        ("releases/", None),
    ],
)
def test_a_pointer_names_a_release_folder_and_nothing_else(text: str, release: str | None) -> None:
    assert release_named_by(text) == release


def test_a_damaged_pointer_falls_back_to_the_running_program(install: Installation) -> None:
    install.current.write_text("releases/../../Windows\n")
    assert install.installed_version() == __version__ and install.current_program() is None
    install.current.write_bytes(b"releases/" + b"9" * 400)  # too long to be a pointer
    assert install.installed_version() == __version__
    install.current.write_text("releases/0.7.0\n")  # names a release that is not there
    assert install.current_program() is None
