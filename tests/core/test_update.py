"""Signed offline updates applied to a station's install: verified before anything changes,
refused when signed by another key, older, damaged, for another platform or during a sitting,
the previous release kept for one roll-back, data and audit trail intact."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from examkiosk.core.authz import Person
from examkiosk.core.errors import KioskError
from examkiosk.core.provision import provision_station
from examkiosk.core.station import Station
from examkiosk.core.update import (
    Installation,
    apply_update,
    check_update,
    roll_back,
    this_platform,
)
from sync.crypto import KeyPair
from sync.errors import BadSignature, FormatError, UnexpectedSigner
from sync.update import UpdateRefused, build_update
from tests.core.conftest import ID_NUMBER, TICKET
from tests.core.exam_fixtures import FakeClock, provision_exam_station

ADMIN = Person("A001", "王管理", "venue_admin")
CENTRAL = KeyPair.generate()


def make_release(folder: Path, version: str) -> Path:
    (folder / "_internal").mkdir(parents=True)
    program = folder / "examkiosk"
    program.write_text(f"#!/bin/sh\necho examkiosk, version {version}\n")
    program.chmod(0o755)
    (folder / "_internal" / "libthing.so.1").write_bytes(os.urandom(3000))
    (folder / "_internal" / "libthing.so").symlink_to("libthing.so.1")
    return folder


def make_update(tmp: Path, version: str, signer: KeyPair = CENTRAL, **kw: str) -> Path:
    release = make_release(tmp / f"build-{version}-{signer.public().key_id[:6]}", version)
    out = tmp / f"examkiosk-{version}.eku"
    with open(out, "wb") as stream:
        build_update(
            release,
            stream,
            version=version,
            platform=kw.get("platform", this_platform()),
            issued_at="2026-11-25T20:00:00+08:00",
            signer=signer,
        )
    return out


def snapshot(root: Path) -> list[tuple[str, str]]:
    """Everything about an install a change could touch: names, link targets, contents."""
    rows = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            rows.append((rel, "-> " + os.readlink(path)))
        elif path.is_file():
            rows.append((rel, path.read_bytes().hex()[:64] + f" {oct(path.stat().st_mode)}"))
        else:
            rows.append((rel, "dir"))
    return rows


@pytest.fixture
def install(tmp_path: Path) -> Installation:
    root = tmp_path / "opt"
    make_release(root / "releases" / "0.1.0", "0.1.0")
    (root / "current").symlink_to("releases/0.1.0")
    return Installation(root)


@pytest.fixture
def station(tmp_path: Path) -> Iterator[Station]:
    station = provision_station(
        tmp_path / "data",
        station_id="ST-DOOR-U",
        venue_id="V-U",
        mode="door",
        central=CENTRAL.public(),
        passphrase="update-tests-passphrase-01",
    )
    yield station
    station.close()


def _updates(station: Station) -> list[dict[str, object]]:
    return [e.payload for e in station.events() if e.type == "audit.update.apply"]


def test_an_update_from_the_centre_is_installed_and_the_previous_release_kept(
    tmp_path: Path, install: Installation, station: Station
) -> None:
    update = make_update(tmp_path, "0.2.0")
    events_before = len(station.events())
    applied = apply_update(update, station, ADMIN, install)
    assert (applied.previous, applied.installed) == ("0.1.0", "0.2.0")
    assert install.installed_version() == "0.2.0" and install.previous_version() == "0.1.0"
    new = install.current / "examkiosk"
    assert os.access(new, os.X_OK) and "version 0.2.0" in new.read_text()
    assert os.readlink(install.current / "_internal" / "libthing.so") == "libthing.so.1"
    assert os.readlink(install.current / "examkiosk-central") == "examkiosk"
    assert (install.releases / "0.1.0" / "examkiosk").is_file()  # kept for a roll-back
    # One audit event names the person, the versions and the file; nothing else changed.
    assert len(station.events()) == events_before + 1
    (event,) = _updates(station)
    assert event["from"] == "0.1.0" and event["to"] == "0.2.0" and event["by"] == "A001"
    assert event["sha256"] == applied.sha256
    assert not [p for p in install.releases.iterdir() if p.name.startswith(".")]


def test_roll_back_returns_to_the_previous_release_and_only_two_are_kept(
    tmp_path: Path, install: Installation, station: Station
) -> None:
    apply_update(make_update(tmp_path, "0.2.0"), station, ADMIN, install)
    apply_update(make_update(tmp_path, "0.3.0"), station, ADMIN, install)
    assert sorted(p.name for p in install.releases.iterdir()) == ["0.2.0", "0.3.0"]
    assert roll_back(station, ADMIN, install) == "0.2.0"
    assert install.installed_version() == "0.2.0" and install.previous_version() == "0.3.0"
    assert "version 0.2.0" in (install.current / "examkiosk").read_text()
    rolled = [e.payload for e in station.events() if e.type == "audit.update.rollback"]
    assert rolled == [rolled[0]] and rolled[0]["to"] == "0.2.0"


def test_roll_back_without_a_previous_release_is_refused(
    install: Installation, station: Station
) -> None:
    with pytest.raises(KioskError, match="no previous version"):
        roll_back(station, ADMIN, install)
    assert install.installed_version() == "0.1.0"


def _refused_and_unchanged(
    update: Path, station: Station, install: Installation, error: type[Exception], match: str | None
) -> None:
    before, events = snapshot(install.root), len(station.events())
    with pytest.raises(error, match=match):
        apply_update(update, station, ADMIN, install)
    assert snapshot(install.root) == before
    assert len(station.events()) == events


def test_an_update_signed_by_another_key_changes_nothing(
    tmp_path: Path, install: Installation, station: Station
) -> None:
    update = make_update(tmp_path, "0.2.0", signer=KeyPair.generate())
    _refused_and_unchanged(update, station, install, UnexpectedSigner, None)


def test_an_older_or_the_same_version_changes_nothing(
    tmp_path: Path, install: Installation, station: Station
) -> None:
    for version in ("0.0.9", "0.1.0"):
        update = make_update(tmp_path, version)
        _refused_and_unchanged(update, station, install, UpdateRefused, "not newer")


def test_a_damaged_or_truncated_update_changes_nothing(
    tmp_path: Path, install: Installation, station: Station
) -> None:
    update = make_update(tmp_path, "0.2.0")
    data = bytearray(update.read_bytes())
    damaged = tmp_path / "damaged.eku"
    data[len(data) // 2] ^= 0x40
    damaged.write_bytes(bytes(data))
    _refused_and_unchanged(damaged, station, install, BadSignature, None)
    truncated = tmp_path / "truncated.eku"
    truncated.write_bytes(update.read_bytes()[:-100])
    _refused_and_unchanged(truncated, station, install, FormatError, None)
    not_update = tmp_path / "notes.eku"
    not_update.write_bytes(b"PK\x03\x04 this is a zip file")
    _refused_and_unchanged(not_update, station, install, FormatError, None)


def test_an_update_for_another_platform_changes_nothing(
    tmp_path: Path, install: Installation, station: Station
) -> None:
    other = "windows-amd64" if not this_platform().startswith("windows") else "linux-amd64"
    update = make_update(tmp_path, "0.2.0", platform=other)
    _refused_and_unchanged(update, station, install, UpdateRefused, "is for")


def test_no_update_during_a_sitting(tmp_path: Path, install: Installation) -> None:
    from examkiosk.core.exam import ExamEngine

    station = provision_exam_station(tmp_path / "seat", FakeClock())
    try:
        with station.store.transaction() as conn:  # this centre's key, as a package brings
            station.store.set_meta(conn, "central_keys", json.dumps(CENTRAL.public().to_dict()))
        ExamEngine(station, boot="boot-1").login(TICKET, ID_NUMBER)
        update = make_update(tmp_path, "0.2.0")
        _refused_and_unchanged(update, station, install, KioskError, "in progress")
    finally:
        station.close()


def test_check_reports_what_apply_would_install_and_changes_nothing(
    tmp_path: Path, install: Installation, station: Station
) -> None:
    before = snapshot(install.root)
    meta = check_update(make_update(tmp_path, "0.2.0"), station, install)
    assert meta.version == "0.2.0" and meta.central_key_id == CENTRAL.public().key_id
    assert snapshot(install.root) == before


def test_a_folder_without_the_program_cannot_be_made_an_update(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(FormatError):
        build_update(
            tmp_path / "empty",
            io.BytesIO(),
            version="0.2.0",
            platform="linux-amd64",
            issued_at="2026-11-25T20:00:00+08:00",
            signer=CENTRAL,
        )
