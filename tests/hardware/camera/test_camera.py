"""The camera as the door station uses it, fed by real video files through VideoCapture."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from hardware.camera import CameraError, CameraState, open_camera
from hardware.sim.video import still_video, write_video

from .conftest import colour_card


def test_reports_resolution_and_frame_rate(short_video: Path) -> None:
    with open_camera(short_video) as camera:
        assert (camera.info.width, camera.info.height) == (320, 240)
        assert camera.info.fps == pytest.approx(20.0)
        assert camera.info.is_file and camera.info.backend
        frame = camera.grab()
        assert frame.image.shape == (240, 320, 3) and frame.image.dtype == np.uint8


def test_frames_are_new_timestamped_and_in_order(short_video: Path) -> None:
    with open_camera(short_video) as camera:
        frames = camera.grab_sequence(8)
    indices = [f.index for f in frames]
    stamps = [f.timestamp for f in frames]
    assert indices == sorted(set(indices))
    assert stamps == sorted(stamps) and stamps[-1] - stamps[0] > 0.2  # paced at 20 fps


def test_a_video_file_loops_so_the_simulated_camera_never_runs_dry(short_video: Path) -> None:
    with open_camera(short_video) as camera:
        levels = [float(camera.grab().image.mean()) for _ in range(30)]  # 1.5 s of a 1 s file
        assert camera.state is CameraState.RUNNING
    bright = [level > 120 for level in levels]
    # bright, dark, then bright again after the loop
    assert (
        bright[0]
        and not all(bright)
        and bright.index(False) < bright.index(False) + bright[bright.index(False) :].index(True)
    )


def test_without_looping_the_end_is_a_clear_state(short_video: Path) -> None:
    with open_camera(short_video, loop=False) as camera:
        with pytest.raises(CameraError) as caught:
            for _ in range(100):
                camera.grab(timeout=2.0)
        assert caught.value.reason == "ended"
        assert camera.state is CameraState.ENDED


@pytest.mark.parametrize("content", [None, b"not a video at all" * 50], ids=["missing", "junk"])
def test_a_camera_that_cannot_open(tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "camera.avi"
    if content is not None:
        path.write_bytes(content)
    started = time.monotonic()
    with pytest.raises(CameraError) as caught:
        open_camera(path)
    assert caught.value.reason in {"not_found", "no_picture"}
    assert "摄像头" in caught.value.zh and "camera" in caught.value.en.lower()
    assert time.monotonic() - started < 10


def test_a_device_index_that_does_not_exist() -> None:
    with pytest.raises(CameraError) as caught:
        open_camera(63)
    assert caught.value.reason in {"not_found", "no_picture"}


def test_unplug_gives_a_state_then_the_camera_comes_back(tmp_path: Path) -> None:
    video = write_video([colour_card(90)], tmp_path / "cam.avi", fps=20, seconds_per_image=0.3)
    parked = tmp_path / "unplugged.avi"
    with open_camera(video) as camera:
        camera.grab()
        video.rename(parked)  # the thread reaches the end, cannot reopen: "unplugged"
        deadline = time.monotonic() + 5
        while camera.state is not CameraState.RECONNECTING and time.monotonic() < deadline:
            time.sleep(0.05)
        assert camera.state is CameraState.RECONNECTING
        started = time.monotonic()
        with pytest.raises(CameraError) as caught:
            camera.grab(timeout=5.0)
        assert caught.value.reason == "disconnected"
        assert time.monotonic() - started < 1.0  # said at once, not after the timeout
        parked.rename(video)  # plugged back in: the thread reopens it by itself
        deadline = time.monotonic() + 5
        while camera.state is not CameraState.RUNNING and time.monotonic() < deadline:
            time.sleep(0.05)
        frame = camera.grab(timeout=5.0)
        assert camera.state is CameraState.RUNNING and frame.image.mean() > 50


def test_closed_camera(short_video: Path) -> None:
    camera = open_camera(short_video)
    camera.close()
    camera.close()
    with pytest.raises(CameraError) as caught:
        camera.grab(timeout=0.5)
    assert caught.value.reason == "closed"


def test_still_video_shows_the_same_picture(tmp_path: Path) -> None:
    picture = colour_card(150, 200, 100)
    with open_camera(still_video(picture, tmp_path / "still.avi", seconds=0.5)) as camera:
        first, second = camera.grab(), camera.grab()
    assert (first.image.shape[1], first.image.shape[0]) == (200, 100)
    assert np.abs(first.image.astype(int) - second.image.astype(int)).mean() < 0.5


def test_write_video_refuses_nothing_to_write(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        write_video([], tmp_path / "empty.avi")
    assert not (tmp_path / "empty.avi").exists()
