"""The door screen driven as an invigilator would: simulated card, verdict, admit/refuse,
manual entry. Real store, real face check (when the test photos are present), real video."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from examkiosk.app.demo_venue import camera_video
from examkiosk.core.checkin import CheckInDesk
from examkiosk.core.face_check import FaceService
from examkiosk.core.roster import roster_entries
from examkiosk.core.station import Station
from examkiosk.ui.door.camera_feed import CameraFeed
from examkiosk.ui.door.screen import DoorScreen, SimulatedDoor
from examkiosk.ui.door.sim_card import simulated_card
from examkiosk.ui.ops import Operations
from hardware.sim.card_queue import QueueCardReader
from tests.ui.conftest import faces_dir

needs_faces = pytest.mark.skipif(
    faces_dir() is None, reason="test photos (../shared/testdata/faces) absent"
)


@pytest.fixture
def door(
    qtbot: QtBot, station: Station, ops: Operations, venue_dir: Path, face_service: FaceService
) -> Iterator[DoorScreen]:
    feed = CameraFeed(None)
    simulated = SimulatedDoor(QueueCardReader(), lambda cid: camera_video(venue_dir, cid))
    screen = DoorScreen(
        station, ops, lambda: CheckInDesk(station, face_service), feed, None, simulated
    )
    qtbot.addWidget(screen)
    screen.resize(1366, 700)
    screen.show()
    screen.activate()
    qtbot.waitUntil(lambda: screen.ready() and screen.roster.table.rowCount() == 20, timeout=30_000)
    yield screen
    screen.stop()
    feed.close()


def present(qtbot: QtBot, door: DoorScreen, index: int, impostor: bool = False) -> None:
    assert door.sim_panel is not None
    door.sim_panel.candidates.setCurrentIndex(index)
    door.sim_panel.impostor.setChecked(impostor)
    qtbot.mouseClick(door.sim_panel.present, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: door.verdict.prepared is not None, timeout=30_000)


def checkin_of(station: Station, candidate_id: str) -> str:
    return next(
        e.checkin for e in roster_entries(station.store) if e.candidate.candidate_id == candidate_id
    )


def test_list_shows_each_candidate_with_seat_ticket_name_and_state(
    qtbot: QtBot, door: DoorScreen, station: Station
) -> None:
    table = door.roster.table
    first = roster_entries(station.store)[0].candidate
    assert [table.item(0, c).text() for c in range(4)] == [
        first.seat,
        first.ticket,
        first.name,
        "未签到",
    ]
    qtbot.keyClicks(door.roster.search, first.ticket[-4:])
    assert door.roster.visible_rows() == 1
    assert "0 / 20" in door.roster.count.text()


def test_simulated_card_shows_verdict_and_admit_is_recorded(
    qtbot: QtBot, door: DoorScreen, station: Station
) -> None:
    present(qtbot, door, 0)
    prepared = door.verdict.prepared
    assert prepared is not None
    candidate = prepared.assessment.candidate
    assert candidate.name in door.verdict.person.text()
    assert door.verdict.admit.isEnabled()
    if faces_dir() is not None:
        assert prepared.assessment.recommendation == "admit"
        assert "建议放行" in door.verdict.banner.text()
        assert door.verdict.roster_photo.has_picture() and door.verdict.live_photo.has_picture()
        assert "一致" in door.verdict.checks.text()
    else:
        assert prepared.assessment.recommendation == "review"
    door.verdict.invigilator.setText("监考员甲")
    if prepared.assessment.recommendation != "admit":
        door.verdict.reason.setText("人工核对照片一致")
    qtbot.mouseClick(door.verdict.admit, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: door.roster.table.item(0, 3).text() == "已放行", timeout=10_000)
    assert "已放行" in door.verdict.banner.text() and candidate.seat in door.verdict.banner.text()
    assert checkin_of(station, candidate.candidate_id) == "admitted"
    assert "1 / 20" in door.roster.count.text()
    qtbot.waitUntil(lambda: door.overview.numbers["admitted"].text() == "1", timeout=10_000)
    assert door.overview.numbers["not_arrived"].text() == "19"
    assert door.overview.numbers["expected"].text() == "20"
    # The live face goes to the centre with the check-in, for the hired-gun search.
    event = next(e for e in station.events() if e.type == "checkin.admitted")
    encoding = event.payload["face_encoding"]
    if faces_dir() is not None:
        assert len(encoding) == 128 and all(isinstance(v, float) for v in encoding)
    else:
        assert encoding is None


def test_refusing_needs_a_reason_and_records_nothing_without_one(
    qtbot: QtBot, door: DoorScreen, station: Station
) -> None:
    present(qtbot, door, 1)
    prepared = door.verdict.prepared
    assert prepared is not None
    candidate_id = prepared.assessment.candidate.candidate_id
    door.verdict.invigilator.setText("监考员乙")
    qtbot.mouseClick(door.verdict.refuse, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "原因" in door.verdict.error.text(), timeout=10_000)
    assert checkin_of(station, candidate_id) == "none"
    door.verdict.reason.setText("证件与本人不符")
    qtbot.mouseClick(door.verdict.refuse, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "拒绝" in door.verdict.banner.text(), timeout=10_000)
    assert checkin_of(station, candidate_id) == "refused"


@needs_faces
def test_impostor_on_camera_is_not_recommended(qtbot: QtBot, door: DoorScreen) -> None:
    present(qtbot, door, 0, impostor=True)
    prepared = door.verdict.prepared
    assert prepared is not None
    assert prepared.assessment.recommendation == "refuse"
    assert "不建议放行" in door.verdict.banner.text()
    assert "不一致" in door.verdict.checks.text()


@needs_faces
def test_camera_plays_the_presented_candidates_video(qtbot: QtBot, door: DoorScreen) -> None:
    assert not door.camera.picture.has_picture()
    present(qtbot, door, 2)
    qtbot.waitUntil(door.camera.picture.has_picture, timeout=10_000)
    assert door.camera.latest_image() is not None


def test_manual_entry_checks_the_number_as_typed_and_needs_a_reason(
    qtbot: QtBot, door: DoorScreen, station: Station
) -> None:
    candidate = roster_entries(station.store)[3].candidate
    number = candidate.id_number
    wrong_last = "0" if number[-1] != "0" else "1"
    dialog = door.open_manual_entry()
    qtbot.keyClicks(dialog.number, number[:10])
    assert "8" in dialog.feedback.text() and not dialog.ok.isEnabled()
    qtbot.keyClicks(dialog.number, number[10:17] + wrong_last)
    assert not dialog.ok.isEnabled()
    assert "校验位" in dialog.feedback.text()
    dialog.number.setText(number)
    assert "通过" in dialog.feedback.text()
    assert not dialog.ok.isEnabled()  # no reason yet
    dialog.reason.setText("证件芯片损坏")
    assert dialog.ok.isEnabled()
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: door.verdict.prepared is not None, timeout=30_000)
    prepared = door.verdict.prepared
    assert prepared is not None and prepared.assessment.manual
    assert "手工录入" in door.verdict.banner.text()
    assert door.verdict.reason.text() == "证件芯片损坏"
    door.verdict.invigilator.setText("监考员丙")
    qtbot.mouseClick(door.verdict.admit, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: checkin_of(station, candidate.candidate_id) == "admitted", timeout=10_000
    )
    method = station.store.query(
        "SELECT method, reason FROM checkins WHERE candidate_id = ?", (candidate.candidate_id,)
    )
    assert tuple(method[0]) == ("manual", "证件芯片损坏")
    qtbot.waitUntil(lambda: "已放行" in door.verdict.banner.text(), timeout=10_000)


def test_number_not_on_the_roster_is_said_plainly(qtbot: QtBot, door: DoorScreen) -> None:
    from hardware.cards.manual import check_digit

    first17 = "11010519800101999"
    dialog = door.open_manual_entry()
    dialog.number.setText(first17 + check_digit(first17))
    dialog.reason.setText("未带证件")
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "名单中没有" in door.verdict.banner.text(), timeout=10_000)
    assert door.verdict.prepared is None and not door.verdict.admit.isEnabled()


@needs_faces
def test_a_tap_is_judged_on_the_frames_already_seen(qtbot: QtBot, door: DoorScreen) -> None:
    """The candidate stands at the camera, then taps: the verdict (blink check included)
    comes from the rolling buffer, with no capture after the tap."""
    present(qtbot, door, 0)  # the simulated panel waits until the camera has seen them
    prepared = door.verdict.prepared
    assert prepared is not None
    assert door.tap.captures_after_tap == 0
    liveness = prepared.assessment.face.liveness
    assert liveness is not None and liveness.decision == "live"
    assert prepared.assessment.recommendation == "admit"


def test_without_frames_seen_the_tap_captures_then(
    qtbot: QtBot, door: DoorScreen, station: Station
) -> None:
    candidate = roster_entries(station.store)[1].candidate
    door.tap.path = "capture"  # as before: every tap captures ~2 s after the card is read
    door.check_document(simulated_card(candidate))
    qtbot.waitUntil(lambda: door.verdict.prepared is not None, timeout=30_000)
    assert door.tap.captures_after_tap == 1
