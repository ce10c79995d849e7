"""Liveness: did the face in front of the camera blink during a short sequence of frames?

Method: for each frame, find the face (tracked from the previous frame's box, so only a small
region is searched), fit dlib's 68 landmarks, and compute the eye aspect ratio (EAR,
Soukupova & Cech 2016): eye height over eye width, ~0.3 open and ~0.1 closed. A blink is a run
of frames whose EAR falls below both `eye_closed_ear` and `blink_drop` x the open-eye level,
with open eyes before and after. A sequence whose frames do not change at all (a still image
fed to the camera, a frozen virtual camera) fails before any landmark is fitted.

What it does not stop: a video replay of the candidate blinking (phone or tablet held to the
camera), a printed photo with the eyes cut out and a real person behind it, a 3D mask with
moving eyelids, or a deepfake fed through a virtual camera. docs/face.md says so.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import cv2
import numpy as np
import numpy.typing as npt

from hardware.face.analysis import FaceBox, detect, landmarks68
from hardware.face.models import FaceModels
from hardware.face.thresholds import FaceThresholds

BGR = npt.NDArray[np.uint8]
MIN_FRAMES = 5
MIN_FACE_SHARE = 0.6  # of the frames must show a face
STILL_DIFF = 0.4  # mean absolute grey difference below which two frames are the same picture


class LivenessDecision(StrEnum):
    LIVE = "live"
    NOT_LIVE = "not_live"
    UNSURE = "unsure"  # too few frames or the face left the view: try again
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class LivenessResult:
    decision: LivenessDecision
    blinks: int
    frames_used: int
    frames_with_face: int
    still_picture: bool
    open_ear: float | None
    min_ear: float | None
    message_zh: str
    message_en: str
    elapsed_ms: float

    def to_dict(self) -> dict[str, object]:
        return {
            "decision": self.decision.value,
            "blinks": self.blinks,
            "frames_used": self.frames_used,
            "frames_with_face": self.frames_with_face,
            "still_picture": self.still_picture,
            "open_ear": self.open_ear,
            "min_ear": self.min_ear,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "elapsed_ms": round(self.elapsed_ms, 1),
        }


def eye_aspect_ratio(points: npt.NDArray[np.float64]) -> float:
    """Mean EAR of both eyes from 68 landmarks (eyes are points 36-41 and 42-47)."""
    ratios = []
    for start in (36, 42):
        eye = points[start : start + 6]
        width = float(np.linalg.norm(eye[0] - eye[3]))
        height = float(np.linalg.norm(eye[1] - eye[5]) + np.linalg.norm(eye[2] - eye[4]))
        ratios.append(height / (2.0 * width) if width > 1e-6 else 0.0)
    return sum(ratios) / 2.0


def small_grey(frame: BGR) -> npt.NDArray[np.float32]:
    """The frame small and grey: what consecutive frames are compared on (sensor noise and
    lighting flicker survive; the cost is a fraction of a millisecond)."""
    grey = cv2.cvtColor(
        cv2.resize(frame, (160, 120), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2GRAY
    )
    return grey.astype(np.float32)


def moved(previous: npt.NDArray[np.float32], current: npt.NDArray[np.float32]) -> bool:
    """Whether two consecutive frames (`small_grey`) differ at all."""
    return float(np.abs(current - previous).mean()) > STILL_DIFF


def _is_still(frames: Sequence[BGR]) -> bool:
    """True when no two consecutive frames differ: a picture that cannot be alive."""
    previous: npt.NDArray[np.float32] | None = None
    for frame in frames:
        current = small_grey(frame)
        if previous is not None and moved(previous, current):
            return False
        previous = current
    return True


def track(models: FaceModels, frame: BGR, last: FaceBox | None, detect_side: int) -> FaceBox | None:
    """The face near `last` (searching a small region), else anywhere in the frame."""
    if last is not None:
        height, width = frame.shape[:2]
        margin = 0.6 * last.width
        x0, y0 = max(0, int(last.left - margin)), max(0, int(last.top - margin))
        x1, y1 = min(width, int(last.right + margin)), min(height, int(last.bottom + margin))
        region = frame[y0:y1, x0:x1]
        if region.size:
            # The region is ~2.2 face widths; at 240 px the face is ~110 px, easy for HOG.
            boxes = detect(models, np.ascontiguousarray(region), 240)
            if boxes:
                b = boxes[0]
                return FaceBox(b.left + x0, b.top + y0, b.right + x0, b.bottom + y0, b.score)
    boxes = detect(models, frame, detect_side)
    return boxes[0] if boxes else None


def _count_blinks(ears: list[float], closed_below: float) -> int:
    blinks, seen_open, closed = 0, False, False
    for ear in ears:
        if ear < closed_below:
            closed = seen_open
        else:
            if closed:
                blinks += 1
            seen_open, closed = True, False
    return blinks


def _result(
    decision: LivenessDecision,
    zh: str,
    en: str,
    start: float,
    *,
    blinks: int = 0,
    frames: int = 0,
    with_face: int = 0,
    still: bool = False,
    open_ear: float | None = None,
    min_ear: float | None = None,
) -> LivenessResult:
    elapsed = (time.perf_counter() - start) * 1000.0
    return LivenessResult(
        decision, blinks, frames, with_face, still, open_ear, min_ear, zh, en, elapsed
    )


def _too_few(count: int, start: float) -> LivenessResult:
    return _result(
        LivenessDecision.UNSURE,
        "画面帧数不足，请重新进行活体检测。",
        "Too few frames for the liveness check. Run it again.",
        start,
        frames=count,
    )


def _still(count: int, start: float) -> LivenessResult:
    return _result(
        LivenessDecision.NOT_LIVE,
        "画面完全静止，可能是照片或冻结的画面，请人工核验。",
        "The picture does not move at all: a photo or a frozen feed. Check by hand.",
        start,
        frames=count,
        still=True,
    )


def judge_running(
    ears: Sequence[float],
    count: int,
    still: bool,
    thresholds: FaceThresholds,
    *,
    blinks_before: int = 0,
) -> LivenessResult:
    """`check_liveness`'s decision for frames measured one at a time as they arrived
    (hardware.face.stream): `count` frames of which `ears` showed the face, `still` when no
    two consecutive ones differed."""
    start = time.perf_counter()
    if count < MIN_FRAMES:
        return _too_few(count, start)
    if still:
        return _still(count, start)
    return judge_ears(ears, count, thresholds, start, blinks_before=blinks_before)


def check_liveness(
    models: FaceModels, frames: Sequence[BGR], thresholds: FaceThresholds, detect_side: int
) -> LivenessResult:
    start = time.perf_counter()
    count = len(frames)
    if count < MIN_FRAMES:
        return _too_few(count, start)
    if _is_still(frames):
        return _still(count, start)
    ears: list[float] = []
    last: FaceBox | None = None
    for frame in frames:
        last = track(models, frame, last, detect_side)
        if last is not None:
            ears.append(eye_aspect_ratio(landmarks68(models, frame, last)))
    return judge_ears(ears, count, thresholds, start)


def judge_ears(
    ears: Sequence[float],
    count: int,
    thresholds: FaceThresholds,
    start: float,
    *,
    blinks_before: int = 0,
) -> LivenessResult:
    """The decision on the eye aspect ratios of the `count` frames of a sequence that showed
    a face (the batch check above and the door's running analysis share it). `blinks_before`:
    blinks the running analysis already counted for this same person, in frames that have
    since left its window."""
    if len(ears) < MIN_FACE_SHARE * count:
        return _result(
            LivenessDecision.UNSURE,
            "检测过程中人脸离开了画面，请考生正对摄像头后重试。",
            "The face left the picture during the check. Ask the candidate to face the camera and retry.",
            start,
            frames=count,
            with_face=len(ears),
        )
    open_ear = float(np.percentile(ears, 80))
    closed_below = min(thresholds.eye_closed_ear, thresholds.blink_drop * open_ear)
    blinks = max(_count_blinks(list(ears), closed_below), blinks_before)
    measures = {
        "blinks": blinks,
        "frames": count,
        "with_face": len(ears),
        "open_ear": round(open_ear, 3),
        "min_ear": round(min(ears), 3),
    }
    if blinks:
        return _result(
            LivenessDecision.LIVE,
            "活体检测通过（检测到眨眼）。",
            "Liveness passed (blink seen).",
            start,
            **measures,  # type: ignore[arg-type]
        )
    return _result(
        LivenessDecision.NOT_LIVE,
        "未检测到眨眼，请考生眨眼后重试；仍不通过请人工核验。",
        "No blink seen. Ask the candidate to blink and retry; if it still fails, check by hand.",
        start,
        **measures,  # type: ignore[arg-type]
    )
