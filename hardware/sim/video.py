"""Video files for the simulated camera: real MJPG .avi files that OpenCV's VideoCapture reads
through the same code path as a webcam (hardware.camera.open_camera(path))."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from hardware.face.images import load_image

BGR = npt.NDArray[np.uint8]


def fit_frame(image: BGR, width: int, height: int) -> BGR:
    """Scale to fit inside width x height, centred on black (letterbox)."""
    h, w = image.shape[:2]
    scale = min(width / w, height / h)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    resized = cv2.resize(
        image, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    )
    canvas = np.zeros((height, width, 3), dtype=np.uint8)
    y, x = (height - size[1]) // 2, (width - size[0]) // 2
    canvas[y : y + size[1], x : x + size[0]] = resized
    return canvas


def write_video(
    images: Sequence[BGR | Path],
    out: Path,
    fps: int = 10,
    seconds_per_image: float = 1.0,
    *,
    size: tuple[int, int] | None = None,
    noise: float = 0.0,
) -> Path:
    """Write `images` (arrays or photo paths) as an MJPG .avi, each shown `seconds_per_image`.

    The frame size is `size` (width, height) or the first image's (rounded to even); other
    images are letterboxed. `noise` adds Gaussian sensor noise of that standard deviation, so
    the frames differ like a real camera's (0 keeps a still image perfectly still). The file
    is written next to `out` and renamed into place, then read back: a video OpenCV cannot
    read raises OSError.
    """
    if not images:
        raise ValueError("write_video needs at least one image")
    pictures = [image if isinstance(image, np.ndarray) else load_image(image) for image in images]
    width, height = size or (pictures[0].shape[1] // 2 * 2, pictures[0].shape[0] // 2 * 2)
    repeats = max(1, round(fps * seconds_per_image))
    out = Path(out)
    temporary = out.with_name(f".{out.stem}.partial.avi")
    writer = cv2.VideoWriter(str(temporary), cv2.VideoWriter.fourcc(*"MJPG"), fps, (width, height))
    if not writer.isOpened():
        raise OSError(f"OpenCV cannot write {temporary}")
    rng = np.random.default_rng(len(pictures))
    # A few noise fields reused in turn: consecutive frames differ like a sensor's, and
    # writing stays fast.
    fields = [rng.normal(0.0, noise, (height, width, 3)).astype(np.int16) for _ in range(3)]
    written = 0
    try:
        for picture in pictures:
            frame = (
                picture
                if picture.shape[:2] == (height, width)
                else fit_frame(picture, width, height)
            )
            for _ in range(repeats):
                if noise:
                    jitter = fields[written % len(fields)]
                    writer.write(np.clip(frame + jitter, 0, 255).astype(np.uint8))
                else:
                    writer.write(frame)
                written += 1
    finally:
        writer.release()
    check = cv2.VideoCapture(str(temporary))
    readable = check.isOpened() and check.read()[0]
    check.release()
    if not readable:
        temporary.unlink(missing_ok=True)
        raise OSError(f"the video written to {out} cannot be read back")
    os.replace(temporary, out)
    return out


def still_video(image: BGR | Path, out: Path, seconds: float = 2.0, fps: int = 10) -> Path:
    """A video of one picture that never changes: what a photo held to the camera looks like
    at its most favourable to an attacker (it must fail liveness)."""
    return write_video([image], out, fps=fps, seconds_per_image=seconds)
