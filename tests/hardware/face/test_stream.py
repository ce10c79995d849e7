"""The door camera's running analysis (hardware.face.stream) on real video files read through
the camera driver: the blink and the best frame belong to the face in front of the camera
now, never to the one before."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hardware.camera import Frame, open_camera
from hardware.face import FaceEncoding, FaceEngine, LivenessDecision
from hardware.face.images import load_image
from hardware.face.stream import READY_FRAMES, FaceStream
from hardware.sim.blink import blink_video
from hardware.sim.video import fit_frame, write_video

CAMERA = (1280, 720)


def frames_of(video: Path, count: int) -> list[Frame]:
    """`count` frames of a video file as the door camera delivers them (paced, looping)."""
    with open_camera(video) as camera:
        return [camera.grab(2.0) for _ in range(count)]


def clip(tmp: Path, parts: list[tuple[str, Path]]) -> Path:
    """One video of several parts in turn: ("blink", photo) a 2 s blinking clip of the photo,
    ("still", photo) 2 s of it without a blink, ("empty", _) 1 s with
    nobody in view."""
    pictures: list[np.ndarray] = []
    for kind, photo in parts:
        if kind == "blink":
            part = blink_video(photo, tmp / f"part{len(pictures)}.avi", size=CAMERA)
            pictures += [f.image for f in frames_of(part, 20)]
        elif kind == "still":
            # A living face that does not blink: the exposure flickers as a camera's does.
            still = fit_frame(load_image(photo), *CAMERA).astype(np.int16)
            pictures += [
                np.clip(still + (2 if i % 2 else -2), 0, 255).astype(np.uint8) for i in range(20)
            ]
        else:
            pictures += [
                np.full((CAMERA[1], CAMERA[0], 3), 90 + i % 2, np.uint8) for i in range(10)
            ]
    return write_video(pictures, tmp / "door.avi", fps=10, seconds_per_image=0.1)


def analyse(
    engine: FaceEngine, frames: list[Frame], stream: FaceStream | None = None
) -> FaceStream:
    stream = stream or FaceStream(engine)
    for frame in frames:
        stream.add(frame.image, frame.timestamp)
    return stream


def distance(stream: FaceStream, reference: FaceEncoding) -> float:
    best = stream.state().best
    assert best is not None and best.encoding is not None
    return best.encoding.distance(reference)


def test_a_blinking_candidate_is_ready_with_their_best_frame_encoded(
    engine: FaceEngine, faces_dir: Path, tmp_path: Path, references: dict[str, FaceEncoding]
) -> None:
    video = clip(tmp_path, [("blink", faces_dir / "single" / "obama_2.jpg")])
    stream = analyse(engine, frames_of(video, 20))
    state = stream.state()
    assert state.ready and state.blink_seen
    assert state.liveness is not None and state.liveness.decision is LivenessDecision.LIVE
    assert distance(stream, references["obama_1"]) < 0.5
    # Bounded work: most frames only get the cheap measurements, not an encoding.
    assert stream.encodings <= 20 // 3


def test_without_a_blink_the_analysis_says_so_plainly(
    engine: FaceEngine, faces_dir: Path, tmp_path: Path
) -> None:
    video = clip(tmp_path, [("still", faces_dir / "single" / "biden_2.jpg")])
    frames = frames_of(video, READY_FRAMES)
    stream = analyse(engine, frames[:10])
    assert not stream.state().ready  # 1 s, no blink yet: a tap would wait for more
    analyse(engine, frames[10:], stream)
    state = stream.state()
    assert state.ready and not state.blink_seen
    assert state.liveness is not None and state.liveness.decision is LivenessDecision.NOT_LIVE
    assert "未检测到眨眼" in state.liveness.message_zh


def test_someone_else_stepping_in_starts_over_without_the_first_persons_blink(
    engine: FaceEngine, faces_dir: Path, tmp_path: Path, references: dict[str, FaceEncoding]
) -> None:
    single = faces_dir / "single"
    video = clip(tmp_path, [("blink", single / "obama_2.jpg"), ("still", single / "biden_2.jpg")])
    frames = frames_of(video, 40)
    stream = analyse(engine, frames[:20])
    first = stream.state()
    assert first.blink_seen and distance(stream, references["obama_1"]) < 0.5
    analyse(engine, frames[20:], stream)
    state = stream.state()
    assert state.person > first.person
    # Only the newcomer's frames: their face is the one compared, and Obama's blink is not
    # credited to them.
    assert distance(stream, references["biden_1"]) < 0.5
    assert distance(stream, references["obama_1"]) > 0.6
    assert state.frames <= 20 and not state.blink_seen
    assert state.liveness is not None and state.liveness.decision is not LivenessDecision.LIVE


def test_the_face_leaving_the_picture_forgets_the_person(
    engine: FaceEngine, faces_dir: Path, tmp_path: Path, references: dict[str, FaceEncoding]
) -> None:
    single = faces_dir / "single"
    video = clip(tmp_path, [("blink", single / "obama_2.jpg"), ("empty", single)])
    frames = frames_of(video, 30)
    stream = analyse(engine, frames[:20])
    first = stream.state()
    assert first.ready
    analyse(engine, frames[20:], stream)
    state = stream.state()
    assert state.person > first.person
    assert state.best is None and state.frames == 0 and not state.ready
    assert "no_face" in state.flags


def test_a_tap_confirms_the_newest_frame_shows_the_same_person(
    engine: FaceEngine, faces_dir: Path, tmp_path: Path, references: dict[str, FaceEncoding]
) -> None:
    """Someone steps in between two identity checks, just before the tap: `confirm` sees
    it, and the analysis starts over with the newcomer rather than judging the first."""
    single = faces_dir / "single"
    video = clip(tmp_path, [("blink", single / "obama_2.jpg"), ("still", single / "biden_2.jpg")])
    frames = frames_of(video, 21)
    stream = FaceStream(engine)
    for frame in frames[:20]:
        stream.add(frame.image, frame.timestamp)
    before = stream.state()
    # The newcomer's first frame, measured as a busy thread does (no encoding).
    stream.add(frames[20].image, frames[20].timestamp, behind=True)
    stream.confirm()
    state = stream.state()
    assert state.confirmed and state.person > before.person
    assert distance(stream, references["biden_1"]) < 0.5 and not state.ready
