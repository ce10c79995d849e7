"""The simulated blinking candidate, read through the real camera path: every test identity's
clip passes liveness from whichever frame the 2 s window starts at, the same photo held still
fails it, and the painted blink does not turn a matching face into an unsure one."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from hardware.camera import Frame, open_camera
from hardware.face import Decision, FaceEncoding, FaceEngine, LivenessDecision
from hardware.sim.blink import blink_schedule, blink_video
from hardware.sim.video import still_video

from .conftest import identity

FPS, SECONDS, WINDOW = 10, 2.0, 20  # the demo's clips and the rehearsal's liveness window
CLIP_FRAMES = round(FPS * SECONDS)
IDENTITIES: tuple[str, ...] = ("alex_lacamoire", "biden", "kit_harington")
IDENTITIES += ("lin_manuel_miranda", "obama", "rose_leslie")


def _critical_starts() -> list[int]:
    """Window starts that are hardest for the blink check: inside a blink (its first closed
    frames are cut off) or just after one (the next blink must fit in the window). A window
    starting earlier in an open stretch holds the same blink plus more open frames."""
    closed = blink_schedule(CLIP_FRAMES, round(FPS * 0.3), round(SECONDS))
    starts = {0}
    for i in range(CLIP_FRAMES):
        if closed[i] or closed[i - 1]:
            starts.add(i)
    return sorted(starts)


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory, singles: list[Path]) -> dict[str, Path]:
    """Each identity's last photo as the demo writes it: a 2 s blink clip at 10 fps."""
    folder = tmp_path_factory.mktemp("blink")
    last = {identity(p): p for p in singles}  # sorted, so the last photo wins
    assert set(last) == set(IDENTITIES)
    return {
        name: blink_video(photo, folder / f"{name}.avi", fps=FPS, seconds=SECONDS)
        for name, photo in last.items()
    }


def _grab(path: Path, count: int) -> list[Frame]:
    with open_camera(str(path)) as camera:
        return camera.grab_sequence(count, timeout=5.0)


@pytest.fixture(scope="module")
def streams(clips: dict[str, Path]) -> dict[str, list[Frame]]:
    """What the camera delivers from each clip: enough frames that a window can start at
    every frame of the loop. The cameras run side by side, as door stations would."""
    count = CLIP_FRAMES + WINDOW - 1
    with ThreadPoolExecutor(len(clips)) as pool:
        futures = {name: pool.submit(_grab, path, count) for name, path in clips.items()}
        return {name: future.result() for name, future in futures.items()}


@pytest.mark.parametrize("name", IDENTITIES)
def test_the_blink_clip_passes_liveness_from_any_starting_frame(
    engine: FaceEngine, streams: dict[str, list[Frame]], name: str
) -> None:
    stream = streams[name]
    # The camera numbers the frames it delivers; a looping file restarts without a gap.
    position = {frame.index % CLIP_FRAMES: i for i, frame in reversed(list(enumerate(stream)))}
    assert set(position) == set(range(CLIP_FRAMES))
    for start in _critical_starts():
        window = stream[position[start] : position[start] + WINDOW]
        result = engine.liveness(window)
        assert result.decision is LivenessDecision.LIVE, (name, start, result)
        assert result.frames_with_face == WINDOW and not result.still_picture


@pytest.mark.parametrize("name", IDENTITIES)
def test_the_same_photo_held_still_fails_liveness(
    engine: FaceEngine, singles: list[Path], tmp_path: Path, name: str
) -> None:
    photo = [p for p in singles if identity(p) == name][-1]
    clip = still_video(photo, tmp_path / "still.avi", seconds=SECONDS, fps=FPS)
    result = engine.liveness(_grab(clip, WINDOW))
    assert result.decision is LivenessDecision.NOT_LIVE and result.blinks == 0, result


@pytest.mark.parametrize("name", IDENTITIES)
def test_blink_frames_verify_like_the_photo(
    engine: FaceEngine,
    singles: list[Path],
    references: dict[str, FaceEncoding],
    streams: dict[str, list[Frame]],
    name: str,
) -> None:
    """The door verifies a frame of the liveness window, open-eyed or mid-blink, as it
    verifies the photo the clip was made from: a match stays a match, and a photo that is
    not a match (some identities' photos are not, even as photos) never becomes one."""
    photos = [p for p in singles if identity(p) == name]
    reference = references[photos[0].stem]
    as_photo = engine.verify(photos[-1], reference).decision
    closed = blink_schedule(CLIP_FRAMES, round(FPS * 0.3), round(SECONDS))
    frames = {frame.index % CLIP_FRAMES: frame for frame in streams[name]}
    for position in (0, closed.index(True)):  # one open-eyed frame, one mid-blink frame
        verdict = engine.verify(frames[position], reference)
        matched = verdict.decision is Decision.MATCH
        assert matched == (as_photo is Decision.MATCH), (name, position, verdict.distance)


def test_the_schedule_puts_a_whole_blink_in_every_window() -> None:
    """Any 14 frames of the default 20-frame loop (1.4 s) hold open, closed, open."""
    closed = blink_schedule(CLIP_FRAMES, 3, 2)
    assert sum(closed) == 6
    for start in range(CLIP_FRAMES):
        window = [closed[(start + i) % CLIP_FRAMES] for i in range(14)]
        text = "".join("c" if c else "o" for c in window)
        assert "occco" in text, (start, text)
    with pytest.raises(ValueError):
        blink_schedule(2, 1, 1)
