"""The door analyses the camera while the candidate stands there: a card tap is judged on
what the camera already saw, on the person in front of it now, and on nobody once they left.
Real door screen, store, face engine and video files played through the camera driver."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from examkiosk.app.demo_venue import camera_video
from examkiosk.core.checkin import CheckInDesk
from examkiosk.core.face_check import FaceService
from examkiosk.core.roster import Candidate, face_encodings, roster_entries
from examkiosk.core.station import Station
from examkiosk.ui.door.camera_feed import CameraFeed
from examkiosk.ui.door.screen import DoorScreen, SimulatedDoor
from examkiosk.ui.door.sim_card import simulated_card
from examkiosk.ui.ops import Operations
from hardware.face import FaceEncoding
from hardware.sim.card_queue import QueueCardReader
from hardware.sim.video import write_video
from tests.ui.conftest import faces_dir

if faces_dir() is None:
    pytest.fail(
        "the live door tests need the test photos in ../shared/testdata/faces", pytrace=False
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
    qtbot.waitUntil(lambda: screen.ready() and screen.tap.live is not None, timeout=30_000)
    yield screen
    screen.stop()
    feed.close()


def pictures(video: Path) -> list[np.ndarray]:
    capture = cv2.VideoCapture(str(video))
    frames = []
    while True:
        ok, image = capture.read()
        if not ok:
            capture.release()
            return frames
        frames.append(image)


def camera_shows(qtbot: QtBot, door: DoorScreen, frames: list[np.ndarray], out: Path) -> None:
    """The door camera plays `frames` (a real video file, looping, 10 frames/s)."""
    video = write_video(frames, out, fps=10, seconds_per_image=0.1)
    switched: list[int] = []
    door.camera.switch_source(str(video), lambda: switched.append(1))
    qtbot.waitUntil(lambda: bool(switched), timeout=10_000)


def no_blink(frames: list[np.ndarray], count: int) -> list[np.ndarray]:
    """The clip's first picture (eyes open) for `count` frames, flickering as a camera's."""
    still = frames[0].astype(np.int16)
    return [np.clip(still + (2 if i % 2 else -2), 0, 255).astype(np.uint8) for i in range(count)]


def freeze_camera(qtbot: QtBot, door: DoorScreen) -> list[int]:
    """Stop the camera; returns a list that grows with every frame shown from now on."""
    door.camera.stop()
    qtbot.waitUntil(lambda: not door.camera.grabbing(), timeout=5_000)
    shown: list[int] = []
    door.camera.frame_shown.connect(lambda: shown.append(1))
    return shown


def tap(qtbot: QtBot, door: DoorScreen, candidate: Candidate) -> None:
    door.check_document(simulated_card(candidate))
    qtbot.waitUntil(lambda: door.verdict.prepared is not None, timeout=30_000)


def with_photos(station: Station) -> list[Candidate]:
    encodings = face_encodings(station.store)
    return [
        e.candidate for e in roster_entries(station.store) if e.candidate.candidate_id in encodings
    ]


def encoding_of(station: Station, candidate: Candidate) -> FaceEncoding:
    return FaceEncoding.from_bytes(face_encodings(station.store)[candidate.candidate_id])


def test_a_tap_after_standing_in_view_needs_no_new_frames(
    qtbot: QtBot, door: DoorScreen, station: Station, venue_dir: Path
) -> None:
    candidate = with_photos(station)[0]
    video = camera_video(venue_dir, candidate.candidate_id)
    assert video is not None
    camera_shows(qtbot, door, pictures(video), venue_dir / "stand.avi")
    qtbot.waitUntil(door.tap.seen, timeout=20_000)  # a blink seen, the best frame encoded
    shown_after_tap = freeze_camera(qtbot, door)
    tap(qtbot, door, candidate)
    assert shown_after_tap == []  # judged on what the camera saw before the card
    assessment = door.verdict.prepared.assessment  # type: ignore[union-attr]
    assert assessment.face.liveness is not None and assessment.face.liveness.decision == "live"
    assert assessment.recommendation == "admit"
    assert "建议放行" in door.verdict.banner.text() and "一致" in door.verdict.checks.text()
    assert door.verdict.live_photo.has_picture()
    assert door.tap.captures_after_tap == 0


def test_a_person_swap_in_view_is_judged_on_the_newcomer_alone(
    qtbot: QtBot, door: DoorScreen, station: Station, venue_dir: Path
) -> None:
    """The candidate blinks, then someone else steps in and taps the candidate's card: the
    verdict compares the newcomer's face, and the candidate's blink is not theirs."""
    candidate, other = with_photos(station)[:2]
    first, second = (camera_video(venue_dir, c.candidate_id) for c in (candidate, other))
    assert first is not None and second is not None
    frames = pictures(first) + no_blink(pictures(second), 40)
    camera_shows(qtbot, door, frames, venue_dir / "swap.avi")
    newcomer = encoding_of(station, other)
    live = door.tap.live
    assert live is not None

    def newcomer_analysed() -> bool:
        state = live.peek()
        return (
            state.best is not None
            and state.best.encoding is not None
            and state.best.encoding.distance(newcomer) < 0.5
            and state.frames >= 10
        )

    qtbot.waitUntil(newcomer_analysed, timeout=20_000)
    freeze_camera(qtbot, door)
    tap(qtbot, door, candidate)
    assessment = door.verdict.prepared.assessment  # type: ignore[union-attr]
    roster_check = next(c for c in assessment.face.checks if c.reference == "roster")
    assert roster_check.decision == "no_match"
    assert assessment.face.liveness is not None and assessment.face.liveness.decision != "live"
    assert assessment.recommendation == "refuse"
    assert "不建议放行" in door.verdict.banner.text()


def test_the_face_leaving_forgets_the_candidate(
    qtbot: QtBot, door: DoorScreen, station: Station, venue_dir: Path
) -> None:
    candidate = with_photos(station)[0]
    video = camera_video(venue_dir, candidate.candidate_id)
    assert video is not None
    frames = pictures(video)
    # Nobody in view for 4 s: the room behind, a lit wall with a door in it.
    height, width = frames[0].shape[:2]
    room = np.tile(np.linspace(60, 190, width, dtype=np.float32), (height, 1))
    room = cv2.cvtColor(room.astype(np.uint8), cv2.COLOR_GRAY2BGR)
    cv2.rectangle(room, (width // 5, height // 6), (width // 2, height - 1), (40, 60, 90), -1)
    empty = [
        np.clip(room.astype(np.int16) + (2 if i % 2 else -2), 0, 255).astype(np.uint8)
        for i in range(40)
    ]
    camera_shows(qtbot, door, frames + empty, venue_dir / "leave.avi")
    live = door.tap.live
    assert live is not None
    qtbot.waitUntil(door.tap.seen, timeout=20_000)
    seen = live.peek().person
    qtbot.waitUntil(lambda: live.peek().person > seen and live.peek().best is None, timeout=20_000)
    freeze_camera(qtbot, door)
    tap(qtbot, door, candidate)
    assessment = door.verdict.prepared.assessment  # type: ignore[union-attr]
    assert {c.decision for c in assessment.face.checks} == {"bad_quality"}
    assert assessment.face.liveness is not None and assessment.face.liveness.decision != "live"
    assert assessment.recommendation != "admit"
    assert "未检测到人脸" in door.verdict.checks.text()
