"""The door's path end to end: photos written to real video files, read through VideoCapture
by the camera thread, verified 1:1 and 1:N, and checked for a blink."""

from __future__ import annotations

from pathlib import Path

import pytest

from hardware.camera import open_camera
from hardware.face import Decision, FaceEncoding, FaceEngine, Gallery, LivenessDecision
from hardware.sim.blink import blink_video
from hardware.sim.video import still_video, write_video

# A 720p camera frame with the photo letterboxed in it, as a door webcam would deliver.
CAMERA = (1280, 720)


@pytest.fixture(scope="module")
def door_video(tmp_path_factory: pytest.TempPathFactory, faces_dir: Path) -> Path:
    """Three candidates step in front of the camera one after the other, 0.5 s each."""
    out = tmp_path_factory.mktemp("door") / "door.avi"
    people = [faces_dir / "single" / f for f in ("obama_2.jpg", "biden_2.jpg", "rose_leslie_2.jpg")]
    return write_video(people, out, fps=10, seconds_per_image=0.5, size=CAMERA, noise=2.0)


def test_genuine_and_impostor_through_the_camera(
    engine: FaceEngine, door_video: Path, references: dict[str, FaceEncoding]
) -> None:
    roster = {"obama": references["obama_1"], "biden": references["biden_1"]}
    roster["rose_leslie"] = references["rose_leslie_1"]
    gallery = Gallery.from_encodings(roster)
    seen: dict[str, Decision] = {}
    with open_camera(door_video) as camera:
        assert (camera.info.width, camera.info.height) == CAMERA
        for _ in range(15):  # 1.5 s: every person appears at least once
            frame = camera.grab()
            roster_verdict, wrong_card = engine.verify_references(
                frame, {"roster": roster["obama"], "chip": roster["biden"]}
            )
            assert roster_verdict.probe_encoding is not None
            nearest = engine.search(roster_verdict.probe_encoding, gallery, top=1)[0]
            assert nearest.decision is Decision.MATCH
            seen[nearest.candidate_id] = roster_verdict.decision
            if nearest.candidate_id == "obama":
                assert roster_verdict.decision is Decision.MATCH
                assert wrong_card.decision is Decision.NO_MATCH
            elif nearest.candidate_id == "biden":
                assert roster_verdict.decision is Decision.NO_MATCH
                assert wrong_card.decision is Decision.MATCH
    assert set(seen) == {"obama", "biden", "rose_leslie"}
    assert seen["rose_leslie"] is Decision.NO_MATCH  # an impostor for Obama's roster entry


def test_a_blinking_candidate_passes_liveness(
    engine: FaceEngine, faces_dir: Path, tmp_path: Path
) -> None:
    photo = faces_dir / "single" / "obama_2.jpg"
    video = blink_video(photo, tmp_path / "blink.avi", fps=20, seconds=1.0, size=CAMERA)
    with open_camera(video) as camera:
        frames = camera.grab_sequence(20)  # 1 s at 20 fps
    result = engine.liveness(frames)
    assert result.decision is LivenessDecision.LIVE, result
    assert result.blinks >= 1 and result.frames_with_face >= 18
    assert result.min_ear is not None and result.open_ear is not None
    assert result.min_ear < result.open_ear


def test_a_photo_held_to_the_camera_fails_liveness(
    engine: FaceEngine, faces_dir: Path, tmp_path: Path
) -> None:
    still = still_video(faces_dir / "single" / "obama_2.jpg", tmp_path / "still.avi", fps=20)
    with open_camera(still) as camera:
        frames = camera.grab_sequence(15)
    result = engine.liveness(frames)
    assert result.decision is LivenessDecision.NOT_LIVE and result.still_picture
    assert "照片" in result.message_zh and "photo" in result.message_en
    # The same photo with camera noise (a print in front of a real sensor) still never blinks.
    noisy = write_video(
        [faces_dir / "single" / "obama_2.jpg"], tmp_path / "noisy.avi", fps=20, noise=2.0
    )
    with open_camera(noisy) as camera:
        result = engine.liveness(camera.grab_sequence(15))
    assert result.decision is LivenessDecision.NOT_LIVE and not result.still_picture
    assert result.blinks == 0 and "眨眼" in result.message_zh


def test_liveness_with_too_few_frames_or_no_face(engine: FaceEngine, tmp_path: Path) -> None:
    import numpy as np

    from hardware.camera import Frame

    blank = [Frame(np.full((240, 320, 3), 60 + i, np.uint8), float(i), i) for i in range(8)]
    assert engine.liveness(blank[:2]).decision is LivenessDecision.UNSURE
    result = engine.liveness(blank)
    assert result.decision is LivenessDecision.UNSURE and result.frames_with_face == 0
