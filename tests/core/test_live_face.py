"""The door's running face analysis on its own thread (examkiosk.core.live_face), fed real
video frames read through the camera driver, and what the face check makes of it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from examkiosk.core.face_check import FaceService
from examkiosk.core.live_face import LiveFace
from hardware.camera import open_camera
from hardware.face import FaceEngine, face_available
from hardware.sim.blink import blink_video

FACES = Path(__file__).resolve().parents[2] / ".." / "shared" / "testdata" / "faces"


@pytest.fixture(scope="module")
def engine() -> FaceEngine:
    if not face_available() or not (FACES / "single").is_dir():
        pytest.fail("these tests need dlib and the test photos in ../shared/testdata/faces")
    return FaceEngine()


@pytest.fixture
def live(engine: FaceEngine) -> Iterator[LiveFace]:
    analysis = LiveFace(engine)
    yield analysis
    analysis.close()


def test_a_tap_before_enough_was_seen_waits_for_the_frames_then_starts_over(
    live: LiveFace, tmp_path: Path
) -> None:
    video = blink_video(FACES / "single" / "obama_2.jpg", tmp_path / "blink.avi", size=(1280, 720))
    with open_camera(video) as camera:
        live.offer(camera.grab(2.0))
        taken = live.take(wait_s=30.0)  # the card is tapped as the candidate steps up
        assert not taken.done()
        offered = 1
        while not taken.done() and offered < 60:
            live.offer(camera.grab(2.0))
            offered += 1
    state = taken.result(timeout=10.0)
    assert state.ready and state.blink_seen and state.best is not None
    assert state.frames <= offered
    # The next tap is judged on what the camera sees next, not on this candidate's frames.
    assert live.peek().person > state.person


def test_no_camera_picture_is_said_plainly(engine: FaceEngine) -> None:
    live = LiveFace(engine)
    try:
        state = live.take(wait_s=0.2).result(timeout=10.0)
    finally:
        live.close()
    result = FaceService(engine).check_live(
        state, candidate_id="c1", roster_encoding=None, chip=None
    )
    assert [c.decision for c in result.checks] == ["unavailable"]
    assert "摄像头没有画面" in result.checks[0].message_zh
