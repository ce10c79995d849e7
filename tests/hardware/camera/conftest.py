"""Camera fixtures: real video files read by OpenCV VideoCapture (no camera mocks)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from hardware.sim.video import write_video


def colour_card(value: int, width: int = 320, height: int = 240) -> np.ndarray:
    """A frame whose grey level identifies it after MJPG compression."""
    frame = np.full((height, width, 3), value, dtype=np.uint8)
    cv2.putText(frame, str(value), (10, 120), cv2.FONT_HERSHEY_SIMPLEX, 2, (255, 255, 255), 3)
    return frame


@pytest.fixture
def short_video(tmp_path: Path) -> Path:
    """1 s at 20 fps: a dark second half-second after a bright one."""
    return write_video(
        [colour_card(200), colour_card(40)], tmp_path / "short.avi", fps=20, seconds_per_image=0.5
    )
