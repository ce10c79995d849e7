"""Write paths on a disk that fills up, turns read-only or fails: a clear zh/en message, no
traceback, and everything saved before still there. Real small tmpfs mounts (root only)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from examkiosk.core.errors import StoreWriteFailed
from examkiosk.core.exam import ExamEngine
from examkiosk.core.station import Station
from tests.core.conftest import ID_NUMBER, TICKET
from tests.core.exam_fixtures import FakeClock, provision_exam_station


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 6 MiB tmpfs mounted for the test (and unmounted after it)."""
    if os.geteuid() != 0:
        pytest.fail("these tests mount a small tmpfs and must run as root")
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> Path:
    """Fill the disk to the last byte with one file; returns it (delete it to free space)."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 20, 4096, 512, 1):
            while True:
                try:
                    if os.write(fd, b"\0" * size) < size:
                        break
                except OSError:
                    break
    finally:
        os.close(fd)
    return filler


def test_a_full_disk_during_answer_saves_is_a_clear_error_and_keeps_what_was_saved(
    small_disk: Path,
) -> None:
    clock = FakeClock()
    station: Station = provision_exam_station(small_disk / "seat", clock)
    engine = ExamEngine(station, boot="boot-1")
    attempt = engine.login(TICKET, ID_NUMBER)
    engine.save_answer(attempt.attempt_id, "A1-1", ["C"])
    fill(small_disk)
    failure: StoreWriteFailed | None = None
    saved: list[str] | None = None
    for n in range(20_000):  # the WAL takes what space was left first
        choice = ["A", "B", "C", "D", "E"][n % 5]
        try:
            engine.save_answer(attempt.attempt_id, "A2-1", [choice])
            saved = [choice]
        except StoreWriteFailed as exc:
            failure = exc
            break
    assert failure is not None, "the disk never filled up"
    assert failure.problem == "full" and "磁盘已满" in failure.zh and "disk is full" in failure.en
    # The screen keeps showing what is saved: the store still answers with it.
    expected = {"A1-1": ["C"], **({"A2-1": saved} if saved else {})}
    assert engine.answers(attempt.attempt_id) == expected
    # Space comes back (the technician deletes something): saving works again.
    (small_disk / "filler").unlink()
    engine.save_answer(attempt.attempt_id, "A2-1", ["E"])
    assert engine.answers(attempt.attempt_id)["A2-1"] == ["E"]
    station.close()


def mount_tmpfs(where: Path, size: str, *, read_only: bool = False) -> Path:
    where.mkdir(parents=True, exist_ok=True)
    options = f"size={size}" + (",ro" if read_only else "")
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], check=True)
    return where


def test_exports_to_a_read_only_or_full_stick_say_so_and_leave_nothing(tmp_path: Path) -> None:
    from tests.app.sync_helpers import add_answers, examkiosk, new_venue

    venue = new_venue(tmp_path / "venue")
    add_answers(venue.station, 3000)
    venue.station.close()
    venue.central.close()
    sticks = [
        mount_tmpfs(tmp_path / "ro-stick", "2m", read_only=True),
        mount_tmpfs(tmp_path / "full-stick", "64k"),
    ]
    try:
        for stick in sticks:
            run = examkiosk("bundle", "export", "--data-dir", str(venue.data_dir), "--out",
                            str(stick), ok=False)  # fmt: skip
            assert run.returncode != 0 and "Traceback" not in run.stderr + run.stdout
            said = run.stderr.lower()
            assert "read-only" in said or "full" in said or "space" in said, run.stderr
            assert list(stick.iterdir()) == []  # no bundle, no temporary file
    finally:
        for stick in sticks:
            subprocess.run(["umount", "-l", str(stick)], check=False)
