"""A simulated candidate who blinks: a photo with its eyes painted shut for a few frames.

The rehearsal, the demo and the tests use this so a simulated camera can pass the blink
liveness check the way a person does, while a still photo (sim/video.still_video) fails it.

How an eye is closed: the eye opening and its lashes (the polygon of the 68-landmark eye
points, grown a little) are painted with the skin just outside it, lid skin above the lash
line and lower-lid skin below it, with a little texture, and a dark lash line is drawn where
the lids meet. The landmark model is a cascade of regression trees whose answer on a painted
eye depends on the photo (blur, make-up, deep-set eyes), so several paintings are tried and
the one the model reads as most closed is kept: the simulation checks its own output rather
than hoping. Nothing here changes what the liveness check accepts.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from hardware.face.analysis import FaceBox, detect, landmarks68
from hardware.face.images import load_image
from hardware.face.liveness import eye_aspect_ratio
from hardware.face.models import FaceModels, load_models
from hardware.sim.video import fit_frame, write_video

BGR = npt.NDArray[np.uint8]
Floats = npt.NDArray[np.float64]

# Detection sides tried in turn: the engine's default first, then larger ones for big photos
# whose face is small in the frame (0 = the photo's own size).
DETECT_SIDES = (480, 960, 0)
GOOD_ENOUGH_EAR = 0.15  # a painting read below this (and below 0.6 x open) is kept at once
FLICKER = 2  # grey levels of exposure flicker, up and down on alternate frames


@dataclass(frozen=True)
class _Lid:
    """One way of painting a closed eye (fractions of the eye's width)."""

    line: float  # where the lids meet: 0 = upper lid landmarks, 1 = lower lid landmarks
    above: float  # how far above the upper lid landmarks the lid skin is painted
    split: float  # half-height of the blend from lid skin to lower-lid skin at the line
    shade: float  # darkening of the lid just above the lash line (0 to 1)

    @property
    def below(self) -> float:
        return 0.08 if self.above < 0.3 else 0.12


LIDS = tuple(
    _Lid(line, above, split, shade)
    for line, above, split, shade in itertools.product(
        (0.6, 0.7, 0.8), (0.12, 0.2, 0.3), (0.0, 0.03), (0.0, 0.4)
    )
)


def find_face(models: FaceModels, picture: BGR) -> FaceBox:
    """The largest face, searched at growing sizes; ValueError if there is none."""
    for side in DETECT_SIDES:
        boxes = detect(models, picture, side or max(picture.shape[:2]))
        if boxes:
            return boxes[0]
    raise ValueError("no face to close the eyes of")


def _contour(xs: Floats, points: Floats) -> Floats:
    order = np.argsort(points[:, 0])
    return np.interp(xs, points[order, 0], points[order, 1])


def _column_median(
    image: npt.NDArray[np.float32], top: int, y_from: Floats, y_to: Floats, smooth: int
) -> npt.NDArray[np.float32]:
    """Per column, the median colour between two rows, smoothed along the row."""
    values = np.zeros((image.shape[1], 3), dtype=np.float32)
    for column in range(image.shape[1]):
        a = max(0, round(float(y_from[column])) - top)
        b = max(a + 1, round(float(y_to[column])) - top)
        values[column] = np.median(image[a:b, column], axis=0)
    smoothed = cv2.blur(values[None], (smooth, 1), borderType=cv2.BORDER_REPLICATE)
    return np.asarray(smoothed[0], dtype=np.float32)


def _paint_eye(
    out: npt.NDArray[np.float32], picture: BGR, eye: Floats, lid: _Lid, seed: int
) -> None:
    """Paint one eye (its 6 landmarks) shut, in place; eyes at the picture's edge are left."""
    width = float(np.linalg.norm(eye[0] - eye[3]))
    if width < 4:
        return
    pad = int(0.08 * width) + 1
    x0, x1 = int(np.floor(eye[0, 0])) - pad, int(np.ceil(eye[3, 0])) + 1 + pad
    xs = np.arange(x0, x1, dtype=np.float64)
    along = np.clip((xs - eye[0, 0]) / max(float(eye[3, 0] - eye[0, 0]), 1.0), 0.0, 1.0)
    bulge = np.sqrt(np.sin(np.pi * along))  # allowances fade to nothing at the corners
    upper, lower = _contour(xs, eye[[0, 1, 2, 3]]), _contour(xs, eye[[0, 5, 4, 3]])
    top_edge = upper - (lid.above * bulge + 0.015) * width
    bottom_edge = lower + (lid.below * bulge + 0.015) * width
    band = 0.05 * width
    top, bottom = int(top_edge.min() - band) - 2, int(bottom_edge.max() + band) + 3
    height, full_width = out.shape[:2]
    if x0 < 0 or top < 0 or x1 > full_width or bottom > height:
        return
    region = out[top:bottom, x0:x1]
    smooth = max(3, int(0.25 * width)) | 1
    lid_skin = _column_median(region, top, top_edge - band, top_edge, smooth)
    cheek_skin = _column_median(region, top, bottom_edge, bottom_edge + band, smooth)
    ys = np.arange(top, bottom, dtype=np.float64)[:, None]
    line = upper * (1 - lid.line) + lower * lid.line
    if lid.split:
        mix = np.clip((ys - line[None, :] + lid.split * width) / (2 * lid.split * width), 0, 1)
    else:
        mix = np.clip((ys - top_edge[None, :]) / np.maximum(bottom_edge - top_edge, 1)[None], 0, 1)
    fill = lid_skin[None] * (1 - mix[:, :, None]) + cheek_skin[None] * mix[:, :, None]
    if lid.shade:
        rise = (line[None, :] - ys) / (0.12 * width)
        shadow = lid.shade * np.exp(-(np.clip(rise, 0, None) ** 2)) * (rise > -0.3)
        fill = fill * (1 - shadow)[:, :, None]
    # Skin is not flat: a little fixed texture keeps the painted lid from reading as a patch.
    fill = fill + np.random.default_rng(seed).normal(0.0, 1.5, fill.shape[:2])[:, :, None]
    inside = ((ys >= top_edge[None, :]) & (ys <= bottom_edge[None, :])).astype(np.float32)
    weight = cv2.GaussianBlur(inside, (0, 0), max(0.7, 0.03 * width))[:, :, None]
    region[:] = fill * weight + region * (1 - weight)
    # The lash line where the lids meet, as dark as the darkest part of the open eye.
    y0, y1 = int(eye[:, 1].min()), int(eye[:, 1].max()) + 1
    inner = picture[y0:y1, int(eye[0, 0]) : int(eye[3, 0]) + 1].reshape(-1, 3)
    dark = np.percentile(inner, 5, axis=0) if inner.size else np.array([40.0, 35.0, 35.0])
    on_eye = (xs >= eye[0, 0]) & (xs <= eye[3, 0])
    curve = np.stack([xs[on_eye], line[on_eye]], axis=1)
    cv2.polylines(
        out,
        [np.round(curve).astype(np.int32)],
        False,
        tuple(float(v) for v in dark),
        max(1, round(0.05 * width)),
        cv2.LINE_AA,
    )


def _paint(picture: BGR, points: Floats, lid: _Lid) -> BGR:
    out = picture.astype(np.float32)
    for first in (36, 42):
        _paint_eye(out, picture, points[first : first + 6], lid, seed=first)
    return np.clip(out, 0, 255).astype(np.uint8)


def close_eyes(image: BGR | Path) -> BGR:
    """The same picture with both eyes of its largest face closed; ValueError if no face.

    Of the paintings in LIDS, the first the landmark model reads as clearly closed is
    returned, else the one it reads as most closed.
    """
    picture = image if isinstance(image, np.ndarray) else load_image(image)
    models = load_models()
    box = find_face(models, picture)
    points = landmarks68(models, picture, box)
    good_enough = min(GOOD_ENOUGH_EAR, 0.6 * eye_aspect_ratio(points))
    best, best_ear = picture, float("inf")
    for lid in LIDS:
        painted = _paint(picture, points, lid)
        ear = eye_aspect_ratio(landmarks68(models, painted, box))
        if ear < best_ear:
            best, best_ear = painted, ear
        if ear <= good_enough:
            break
    return best


def blink_schedule(frames: int, shut: int, blinks: int) -> list[bool]:
    """Which frames of a looping clip show the eyes closed.

    The clip is cut into `blinks` nearly equal segments with a run of `shut` closed frames
    in the middle of each (fewer blinks if a segment could not hold open frames on both
    sides). Hence any `longest segment + shut + 1` consecutive frames of the loop, from any
    starting frame, hold a whole blink: open, closed, open.
    """
    if frames < 3:
        raise ValueError("a blink needs at least 3 frames")
    shut = max(1, min(shut, frames - 2))
    blinks = max(1, min(blinks, frames // (shut + 2)))
    closed = [False] * frames
    for i in range(blinks):
        start, end = i * frames // blinks, (i + 1) * frames // blinks
        first = start + (end - start - shut) // 2
        for frame in range(first, first + shut):
            closed[frame] = True
    return closed


def blink_video(
    image: BGR | Path,
    out: Path,
    *,
    fps: int = 10,
    seconds: float = 2.0,
    blink_seconds: float = 0.3,
    blink_every: float = 1.0,
    size: tuple[int, int] | None = None,
    noise: float = 1.0,
) -> Path:
    """A looping video of the photo that blinks every `blink_every` seconds.

    With the defaults (10 fps, 2 s, a 0.3 s blink every 1 s) any 1.4 s of the loop, from any
    starting frame, holds a whole blink, so a 2 s liveness window always sees one. Frames
    differ by sensor noise (`noise`, standard deviation in grey levels) and a slight exposure
    flicker, as a real camera's do; both are too small to move face distances. The face is
    looked for at growing sizes, so large photos work; ValueError if there is no face.
    """
    picture = image if isinstance(image, np.ndarray) else load_image(image)
    if size is not None:
        # Close the eyes in the frame the camera will deliver: the landmark model's reading
        # of a painted eye changes with the scale, so the painting is chosen at that scale.
        picture = fit_frame(picture, *size)
    closed = close_eyes(picture)
    total = max(3, round(fps * seconds))
    schedule = blink_schedule(
        total, round(fps * blink_seconds), max(1, round(seconds / blink_every))
    )
    # Exposure flicker survives the downscaling that averages sensor noise away: without it
    # a large photo's clip reads as a perfectly still picture.
    frames = [
        np.clip(
            (closed if shut else picture).astype(np.int16) + (FLICKER if i % 2 else -FLICKER),
            0,
            255,
        ).astype(np.uint8)
        for i, shut in enumerate(schedule)
    ]
    return write_video(frames, out, fps=fps, seconds_per_image=1.0 / fps, size=size, noise=noise)
