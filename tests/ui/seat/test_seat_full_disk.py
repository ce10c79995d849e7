"""The seat on a disk that fills up during the exam: the candidate sees a clear message, the
screen goes back to the last saved answer, and saving works again once space returns. The
seat's data directory is a small real tmpfs (the tests run as root)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from examkiosk.core.station import Station
from examkiosk.ui.seat import SeatScreen
from tests.boundary.test_full_disk import fill
from tests.ui.seat.test_seat import enter_exam, press, saved


@pytest.fixture
def seat_dir(tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.fail("this test mounts a small tmpfs and must run as root")
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mount)], check=True)
    try:
        yield mount / "seat"
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_shows_a_clear_message_and_the_last_saved_answer(
    qtbot: QtBot, seat: SeatScreen, station: Station, seat_dir: Path
) -> None:
    enter_exam(qtbot, seat)
    press(qtbot, seat, Qt.Key.Key_C)
    qtbot.waitUntil(lambda: saved(seat), timeout=5000)
    kept = seat.question.view.answer()
    filler = fill(seat_dir.parent)
    for key in (Qt.Key.Key_D, Qt.Key.Key_A, Qt.Key.Key_B) * 30:
        press(qtbot, seat, key)
        qtbot.waitUntil(lambda: seat.question.saving == 0, timeout=5000)
        if "磁盘已满" in seat.question.status.text():
            break
        kept = seat.question.view.answer()
    assert "磁盘已满" in seat.question.status.text(), "the disk never filled up"
    assert "Traceback" not in seat.question.status.text()
    assert seat.question.view.answer() == kept  # back to what is saved
    filler.unlink()
    press(qtbot, seat, Qt.Key.Key_E)
    qtbot.waitUntil(lambda: saved(seat), timeout=5000)
