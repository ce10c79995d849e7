"""A simulated candidate who blinks: a photo with its eyes painted shut for a few frames.

The rehearsal, the demo and the tests use this so a simulated camera can pass the blink
liveness check the way a person does, while a still photo (sim/video.still_video) fails it.
The skin just above each eye is slid down over the eye opening and a lash line drawn, which
the 68-landmark model reads as a closed eye.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from hardware.face.analysis import detect, landmarks68
from hardware.face.images import load_image
from hardware.face.models import load_models
from hardware.sim.video import write_video

BGR = npt.NDArray[np.uint8]


def close_eyes(image: BGR | Path) -> BGR:
    """The same picture with both eyes of its largest face closed; ValueError if no face."""
    picture = image if isinstance(image, np.ndarray) else load_image(image)
    models = load_models()
    boxes = detect(models, picture, 480)
    if not boxes:
        raise ValueError("no face to close the eyes of")
    points = landmarks68(models, picture, boxes[0])
    result = picture.copy()
    for first in (36, 42):
        eye = points[first : first + 6]
        width = float(np.linalg.norm(eye[0] - eye[3]))
        x0, x1 = int(eye[:, 0].min() - 0.25 * width), int(eye[:, 0].max() + 0.25 * width) + 1
        top = int(eye[:, 1].min() - 0.15 * width)
        bottom = int(eye[:, 1].max() + 0.12 * width) + 1
        span = bottom - top
        if x0 < 0 or top - span < 0 or bottom > picture.shape[0] or x1 > picture.shape[1]:
            continue
        # The upper eyelid is the skin just above the eye: slide it down over the opening.
        lid = picture[top - span : top, x0:x1].astype(np.float32)
        mask: npt.NDArray[Any] = np.zeros((span, x1 - x0), dtype=np.float32)
        cv2.ellipse(
            mask, ((x1 - x0) // 2, span // 2), ((x1 - x0) // 2, span // 2), 0, 0, 360, 1.0, -1
        )
        mask = cv2.GaussianBlur(mask, (0, 0), max(1.0, span / 8))[:, :, None]
        region = result[top:bottom, x0:x1].astype(np.float32)
        result[top:bottom, x0:x1] = (lid * mask + region * (1 - mask)).astype(np.uint8)
        lash = np.array([eye[0], eye[5], eye[4], eye[3]], dtype=np.float64)
        lash[:, 1] = lash[:, 1] * 0.5 + eye[:, 1].mean() * 0.5
        cv2.polylines(
            result, [lash.astype(np.int32)], False, (35, 30, 30), max(1, int(width * 0.05))
        )
    return result


def blink_video(
    image: BGR | Path,
    out: Path,
    *,
    fps: int = 10,
    seconds: float = 2.0,
    blink_seconds: float = 0.3,
    size: tuple[int, int] | None = None,
) -> Path:
    """A video of the photo with sensor noise and one blink in the middle."""
    picture = image if isinstance(image, np.ndarray) else load_image(image)
    closed = close_eyes(picture)
    total = max(3, round(fps * seconds))
    shut = max(1, round(fps * blink_seconds))
    before = (total - shut) // 2
    frames = [picture] * before + [closed] * shut + [picture] * (total - shut - before)
    return write_video(frames, out, fps=fps, seconds_per_image=1.0 / fps, size=size, noise=2.0)
