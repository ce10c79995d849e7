"""Proctoring snapshots during a sitting at the seat, with a real video camera and face engine.

The candidate must never be interrupted: snapshots are taken off the GUI thread while they
answer, the only sign is a quiet camera line, and problems go to the invigilator's list.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from examkiosk.core.exam import ExamEngine
from examkiosk.core.face_check import FaceService
from examkiosk.core.proctor_incidents import incidents
from examkiosk.core.station import Station
from examkiosk.ui.door.camera_feed import CameraFeed
from examkiosk.ui.ops import Operations
from examkiosk.ui.seat import SeatScreen
from tests.core.exam_fixtures import FakeClock, provision_exam_station
from tests.core.test_proctoring import check_in_snapshot
from tests.ui.seat.test_seat import enter_exam, press, saved

FACES = Path(__file__).resolve().parents[3] / ".." / "shared" / "testdata" / "faces"
GAP_SECONDS = 5  # the shortest gap a package may set


@pytest.fixture
def station(seat_dir: Path, clock: FakeClock) -> Iterator[Station]:
    opened = provision_exam_station(
        seat_dir,
        clock,
        settings={"proctor_min_seconds": GAP_SECONDS, "proctor_max_seconds": GAP_SECONDS},
    )
    check_in_snapshot(opened, "C1", FACES / "single" / "obama_1.jpg")
    yield opened
    opened.close()


@pytest.fixture
def face(face_service: FaceService) -> FaceService:
    if not face_service.available:
        pytest.skip("the face library or the test photos are not available here")
    return face_service


@pytest.fixture
def impostor_video(tmp_path: Path) -> Path:
    """The seat camera shows someone other than the person checked in at the door."""
    from hardware.sim.video import write_video

    return write_video([FACES / "single" / "biden_1.jpg"], tmp_path / "seat.avi", fps=5, noise=2.0)


def make_seat(
    qtbot: QtBot, station: Station, ops: Operations, camera: CameraFeed, face: FaceService
) -> SeatScreen:
    screen = SeatScreen(station, ops, camera=camera, face=lambda: face)
    qtbot.addWidget(screen)
    screen.resize(1280, 860)
    screen.show()
    return screen


def proctor_events(station: Station, kind: str) -> list[str]:
    rows = station.store.query(
        "SELECT payload_json FROM events WHERE type = ? ORDER BY seq", (f"proctor.{kind}",)
    )
    return [str(r[0]) for r in rows]


def test_snapshots_during_the_sitting_alert_the_invigilator_and_the_exam_goes_on(
    qtbot: QtBot, station: Station, ops: Operations, face: FaceService, impostor_video: Path
) -> None:
    camera = CameraFeed(str(impostor_video))
    seat = make_seat(qtbot, station, ops, camera, face)
    try:
        enter_exam(qtbot, seat)
        # One snapshot at the start, taken while the candidate is already answering.
        press(qtbot, seat, Qt.Key.Key_B)
        qtbot.waitUntil(lambda: saved(seat), timeout=5000)
        qtbot.waitUntil(lambda: seat.proctoring.taken >= 1, timeout=20_000)
        indicator = seat.question.camera
        assert indicator.isVisible() and "监考摄像头已开启" in indicator.text()
        # The invigilator sees the impostor; the candidate's screen shows nothing of it.
        found = incidents(station)
        assert [i.kind for i in found] == ["different_person"]
        assert found[0].ticket == "T0001" and found[0].name == "张三"
        assert seat.stack.currentWidget() is seat.question and seat.exam_running
        assert "身份" not in seat.question.warning.text()

        # The next snapshot follows after the package's gap, and answering goes on meanwhile.
        press(qtbot, seat, Qt.Key.Key_Right)
        press(qtbot, seat, Qt.Key.Key_A)
        qtbot.waitUntil(lambda: saved(seat), timeout=5000)
        qtbot.waitUntil(lambda: seat.proctoring.taken >= 2, timeout=(GAP_SECONDS + 15) * 1000)
        assert len(proctor_events(station, "snapshot")) == 2
        attempt = ExamEngine(station).attempt_for("C1")
        assert attempt is not None and attempt.state == "in_progress"
        assert len(ExamEngine(station).answers(attempt.attempt_id)) == 2
        assert seat.question.remaining.text() == "1:00:00"  # snapshots never cost time

        # Submitting ends the snapshots.
        seat._submit()
        qtbot.waitUntil(lambda: seat.stack.currentWidget() is seat.receipt, timeout=5000)
        assert not seat.proctoring.active and not seat.proctoring.timer.isActive()
        assert not indicator.isVisible()
    finally:
        seat.stop()
        camera.close()


def test_a_camera_that_gives_no_picture_is_reported_not_imposed(
    qtbot: QtBot, station: Station, ops: Operations, face: FaceService, tmp_path: Path
) -> None:
    camera = CameraFeed(str(tmp_path / "unplugged.avi"))  # OpenCV cannot open it
    seat = make_seat(qtbot, station, ops, camera, face)
    try:
        enter_exam(qtbot, seat)
        qtbot.waitUntil(lambda: seat.proctoring.taken >= 1, timeout=20_000)
        assert [i.kind for i in incidents(station)] == ["camera_unavailable"]
        assert "暂无画面" in seat.question.camera.text()
        press(qtbot, seat, Qt.Key.Key_C)
        qtbot.waitUntil(lambda: saved(seat), timeout=5000)
        assert seat.stack.currentWidget() is seat.question and seat.exam_running
    finally:
        seat.stop()
        camera.close()


def test_without_a_camera_the_seat_works_unwatched(
    qtbot: QtBot, seat: SeatScreen, station: Station
) -> None:
    enter_exam(qtbot, seat)
    press(qtbot, seat, Qt.Key.Key_A)
    qtbot.waitUntil(lambda: saved(seat), timeout=5000)
    assert not seat.proctoring.active
    assert not seat.question.camera.isVisible()
    assert proctor_events(station, "snapshot") == []
