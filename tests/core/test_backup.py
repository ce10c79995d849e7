"""Backups in the domain: automatic backups with rotation, a full disk, settings carried over."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from examkiosk.core.backup import create_backup, last_backup, restore_backup, verify_backup
from examkiosk.core.backup_schedule import (
    AutoBackup,
    BackupSchedule,
    load_schedule,
    save_schedule,
)
from examkiosk.core.errors import KioskError
from examkiosk.core.station import Station
from tests.core.exam_fixtures import PASSPHRASE, FakeClock
from tests.core.ops_fixtures import tiny_tmpfs


def test_automatic_backups_come_when_due_and_keep_the_newest(
    station: Station, clock: FakeClock, tmp_path: Path
) -> None:
    usb = tmp_path / "usb"
    usb.mkdir()
    save_schedule(station, BackupSchedule(str(usb), every_minutes=10, keep=2))
    schedule = load_schedule(station)
    assert schedule == BackupSchedule(str(usb), 10, 2)
    auto = AutoBackup(station, tmp_path / "seat", schedule)
    made = []
    previous = 0
    for minute in (0, 3, 10, 12, 20, 30):
        clock.advance(60 * (minute - previous))
        previous = minute
        result = auto.run_if_due(minute * 60.0)
        if result is not None:
            made.append((minute, result.path))
    # A second timer (another window, a restart) agrees: the last backup is 0 minutes old.
    assert AutoBackup(station, tmp_path / "seat", schedule).run_if_due(0.0) is None
    assert [m for m, _ in made] == [0, 10, 20, 30]
    kept = sorted(p.name for p in usb.iterdir())
    assert kept == sorted(p.name for _, p in made[-2:])  # rotation keeps the newest two
    assert last_backup(station)["path"] == str(made[-1][1])  # type: ignore[index]
    kinds = [e.type for e in station.events()]
    assert kinds.count("backup.started") == 4 and "backup.schedule_set" in kinds


def test_a_missing_usb_drive_is_reported_not_raised(station: Station, tmp_path: Path) -> None:
    auto = AutoBackup(station, tmp_path / "seat", BackupSchedule(str(tmp_path / "gone"), 5, 3))
    assert auto.run_if_due(0.0) is None
    assert auto.last_error is not None and "USB" in auto.last_error.en
    assert last_backup(station) is None


def test_a_full_disk_fails_cleanly_and_leaves_nothing(station: Station, tmp_path: Path) -> None:
    with tiny_tmpfs(tmp_path / "small", "64k") as small:
        with pytest.raises(KioskError) as caught:
            create_backup(station, tmp_path / "seat", small)
        assert "full" in caught.value.en
        assert list(small.iterdir()) == []
    assert last_backup(station) is None


def test_settings_travel_with_the_backup(
    station: Station, clock: FakeClock, tmp_path: Path
) -> None:
    devices = {"card_reader": {"kind": "manual"}, "camera": {"source": "0"}}
    (tmp_path / "seat" / "devices.json").write_text(json.dumps(devices))
    made = create_backup(station, tmp_path / "seat", tmp_path)
    report = verify_backup(made.path, PASSPHRASE)
    assert report.opened and report.manifest["files"]["settings/devices.json"]["size"] > 0
    restored, _ = restore_backup(made.path, tmp_path / "new", PASSPHRASE, clock)
    try:
        assert json.loads((tmp_path / "new" / "devices.json").read_text()) == devices
        assert (tmp_path / "new" / "station.db").stat().st_mode & 0o077 == 0
        assert restored.station_id == station.station_id
    finally:
        restored.close()


def test_a_hostile_or_foreign_file_is_refused_before_anything_is_written(
    station: Station, tmp_path: Path
) -> None:
    import io
    import tarfile

    from examkiosk.core.backup_format import BadBackup

    made = create_backup(station, tmp_path / "seat", tmp_path)
    hostile = tmp_path / "hostile.ekbak"
    with tarfile.open(made.path) as good, tarfile.open(hostile, "w") as out:
        for member in good:
            handle = good.extractfile(member)
            assert handle is not None
            out.addfile(member, handle)
        evil = tarfile.TarInfo("../../escaped")
        evil.size = 4
        out.addfile(evil, io.BytesIO(b"evil"))
    for path in (hostile, tmp_path / "seat" / "keyslots.json"):
        with pytest.raises(BadBackup):
            restore_backup(path, tmp_path / "target", PASSPHRASE)
        assert not (tmp_path / "target").exists() and not (tmp_path.parent / "escaped").exists()
