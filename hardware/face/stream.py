"""The door camera's running face analysis: frames measured one at a time as they arrive.

While a candidate stands at the camera, each frame costs a tracked face search and the 68
landmarks (a few milliseconds): the eye aspect ratio for the blink check, whether the picture
moves at all, and a quality score. The face is encoded (the expensive step, ~30 ms) only for
a clearly better frame than the best so far (at most every `better_gap` frames), and every
`check_every` frames (or at once when the face jumps) on the newest frame to make sure it is
still the same person; a card tap checks the newest frame once more (`confirm`). So when the
card is tapped, the blink check, the best frame and its encoding are already there: only the
comparisons remain.

One person at a time: the analysis starts over when the face has been missing for
`lost_after` frames (the candidate left), when `reset()` is called (a decision was taken, the
camera was switched), and when an encoding lands far from the person's (someone else stepped
in: only the newcomer's frames are kept, the frames since the last check are dropped). A blink
therefore always belongs to the face that is compared.

Not thread-safe: one thread feeds it (examkiosk.core.live_face); `state()` hands out an
immutable snapshot.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

import cv2
import numpy as np
import numpy.typing as npt

from hardware.face.analysis import FaceAnalysis, FaceBox
from hardware.face.encoding import FaceEncoding
from hardware.face.liveness import (
    LivenessResult,
    _count_blinks,
    eye_aspect_ratio,
    judge_running,
    moved,
    small_grey,
)
from hardware.face.quality import frame_flags

if TYPE_CHECKING:
    from hardware.face.engine import FaceEngine

BGR = npt.NDArray[np.uint8]
# The per-frame measurements (tracking, landmarks, score) work on the frame scaled to this
# longest side, so a large camera mode costs no more than a 640 x 480 one; encodings use the
# frame as the camera gave it (the quality gates count its pixels).
ANALYSIS_SIDE = 640
READY_FRAMES = 20  # about 2 s at 10 frames/s: as long as the capture after a tap used to take


@dataclass(frozen=True)
class StreamSettings:
    window: int = 60  # frames of the person kept for the blink check (6 s at 10 frames/s)
    lost_after: int = 8  # frames in a row without a face: the person has left
    better_by: float = 1.3  # how much higher a frame must score to be encoded again
    better_gap: int = 3  # frames at least between two encodings of better frames
    check_every: int = 10  # frames between identity checks on the newest frame (1 s)
    # Encoding distance from the person's best frame above which a frame shows someone
    # else. Frames of one person at one camera stay well below it (~0.2-0.35).
    same_person_max: float = 0.5


@dataclass(frozen=True)
class StreamState:
    """The current person's analysis; `person` counts the people seen (a new number = the
    analysis started over)."""

    person: int
    frames: int  # frames of this person analysed
    liveness: LivenessResult | None  # None until the first face
    best: FaceAnalysis | None  # the best frame's encoding and quality flags
    best_image: BGR | None
    newest_at: float | None  # when the newest analysed frame arrived (monotonic)
    confirmed: bool  # the newest frame was checked to show the same person
    flags: tuple[str, ...]  # why there is no face, when there is none

    @property
    def blink_seen(self) -> bool:
        return self.liveness is not None and self.liveness.blinks > 0

    @property
    def ready(self) -> bool:
        """Enough to judge: a face encoded and a blink seen, or ~2 s of frames of the person
        without one (the blink check then says plainly that none was seen)."""
        return self.best is not None and (self.blink_seen or self.frames >= READY_FRAMES)


class FaceStream:
    _frames: int
    _window: deque[tuple[float | None, bool]]
    _blinks: int
    _box: FaceBox | None
    _missing: int
    _best: FaceAnalysis | None
    _best_image: BGR | None
    _best_score: float
    _reference: FaceEncoding | None
    _since_check: int
    _newest: BGR | None  # the newest frame, scaled for analysis
    _newest_full: BGR | None  # and as the camera gave it (the snapshot shown and stored)
    _newest_at: float | None
    _newest_ear: float | None
    _confirmed: bool

    def __init__(self, engine: FaceEngine, settings: StreamSettings | None = None) -> None:
        self.engine = engine
        self.settings = settings or StreamSettings()
        self.frames_analysed = 0
        self.encodings = 0  # how often a face was encoded (CPU spent), for the benchmark
        self._grey: npt.NDArray[np.float32] | None = None
        self._flags: tuple[str, ...] = ("no_face",)
        self.person = -1
        self._start_person()  # person 0: nobody yet

    # -- feeding ----------------------------------------------------------------------

    def add(self, image: BGR, at: float | None = None, *, behind: bool = False) -> None:
        """Measure one frame. `behind`: newer frames are waiting, so only the cheap
        measurements are made (an encoding waits for a frame when the thread is idle)."""
        at = time.monotonic() if at is None else at
        self.frames_analysed += 1
        full, image = image, _fit(image, ANALYSIS_SIDE)
        grey = small_grey(image)
        changed = self._grey is not None and moved(self._grey, grey)
        self._grey = grey
        self._newest, self._newest_full, self._newest_at = image, full, at
        self._newest_ear = None
        self._confirmed = False
        found = self.engine.track(image, self._box)
        if found is None:
            self._missing += 1
            if self._frames and self._missing >= self.settings.lost_after:
                self._start_person()  # the candidate left: nothing of theirs is kept
                self._newest, self._newest_full, self._newest_at = image, full, at  # nobody
            elif self._frames:
                self._measure(None, changed)
            self._flags = (*frame_flags(image), "no_face")
            return
        box, points = found
        jumped = self._box is not None and _jumped(self._box, box)
        self._box, self._missing = box, 0
        ear = self._newest_ear = eye_aspect_ratio(points)
        self._measure(ear, changed)
        score = _score(image, box, points, ear, self.engine, image.shape[1] / full.shape[1])
        self._since_check += 1
        due = self._since_check >= self.settings.check_every
        better = self._best is None or (
            score > self._best_score * self.settings.better_by
            and self._since_check >= self.settings.better_gap
        )
        # A face that jumped is checked at once, however busy: it may be someone else.
        if self._best is None or jumped or ((better or due) and not behind):
            self._encode(full, score, ear, keep=better)

    def confirm(self) -> None:
        """Make sure the newest frame shows the person analysed (at a card tap): if it was
        not checked yet, encode it now; someone else starts the analysis over."""
        if self._confirmed or self._newest_full is None or self._best is None:
            return
        self._encode(self._newest_full, 0.0, self._newest_ear, keep=False)

    def reset(self) -> None:
        """Start over: a decision was taken or the camera changed."""
        self._start_person()

    def state(self) -> StreamState:
        liveness = None
        if self._frames:
            ears = [e for e, _ in self._window if e is not None]
            count = len(self._window)
            still = count > 1 and not any(m for _, m in list(self._window)[1:])
            liveness = judge_running(
                ears, count, still, self.engine.thresholds, blinks_before=self._blinks
            )
        best = self._best
        return StreamState(
            self.person,
            self._frames,
            liveness,
            best,
            self._best_image,
            self._newest_at,
            self._confirmed,
            () if best is not None else self._flags,
        )

    # -- inside -----------------------------------------------------------------------

    def _start_person(self) -> None:
        self.person += 1
        self._frames = 0
        self._window = deque(maxlen=self.settings.window)
        self._blinks = 0
        self._box = None
        self._missing = 0
        self._best = None
        self._best_image = None
        self._best_score = 0.0
        self._reference = None
        self._since_check = 0
        self._newest = None
        self._newest_full = None
        self._newest_at = None
        self._newest_ear = None
        self._confirmed = False

    def _measure(self, ear: float | None, changed: bool) -> None:
        self._frames += 1
        # The first frame of a person has no predecessor of theirs to differ from.
        self._window.append((ear, changed and len(self._window) > 0))
        ears = [e for e, _ in self._window if e is not None]
        if len(ears) >= 3:
            thresholds = self.engine.thresholds
            open_ear = float(np.percentile(ears, 80))
            closed_below = min(thresholds.eye_closed_ear, thresholds.blink_drop * open_ear)
            # A blink stays counted after it leaves the window: the same person, still there.
            self._blinks = max(self._blinks, _count_blinks(ears, closed_below))

    def _encode(self, image: BGR, score: float, ear: float | None, *, keep: bool) -> None:
        """Encode `image` (a frame as the camera gave it: the quality gates are in its
        pixels) and check it shows the person analysed."""
        result = self.engine.analyze(image)
        self.encodings += 1
        self._since_check = 0
        encoding = result.encoding
        if encoding is None:
            return
        if self._reference is not None and (
            encoding.distance(self._reference) > self.settings.same_person_max
        ):
            # Someone else: the analysis so far (and the frames since the last check) was of
            # the previous person. Start over from this frame alone.
            kept = self._box, self._newest, self._newest_full, self._newest_at
            self._start_person()
            self._box, self._newest, self._newest_full, self._newest_at = kept
            self._newest_ear = ear
            self._measure(ear, False)
            keep = True
        if image is self._newest_full:
            self._confirmed = True
        if keep or self._best is None:
            self._best, self._best_image = result, image
            self._best_score = score
            self._reference = encoding


def _fit(image: BGR, side: int) -> BGR:
    height, width = image.shape[:2]
    scale = side / max(height, width)
    if scale >= 1.0:
        return image
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.ascontiguousarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA))


def _jumped(last: FaceBox, now: FaceBox) -> bool:
    """The face moved or changed size more than a person does between two frames: check at
    once that it is still the same person."""
    shift = np.hypot(
        (now.left + now.right - last.left - last.right) / 2,
        (now.top + now.bottom - last.top - last.bottom) / 2,
    )
    ratio = now.width / max(last.width, 1.0)
    return bool(shift > 0.5 * last.width or not 0.7 <= ratio <= 1.4)


def _score(
    image: BGR,
    box: FaceBox,
    points: npt.NDArray[np.float64],
    ear: float,
    engine: FaceEngine,
    scale: float,
) -> float:
    """How good a probe the frame makes: sharp, frontal, large enough, eyes open. `image`
    is the frame scaled by `scale` for analysis."""
    thresholds = engine.thresholds
    face_px = box.width / scale  # in the camera's pixels, as the quality gate counts them
    if face_px < thresholds.min_face_px:
        return 0.0
    height, width = image.shape[:2]
    x0, y0 = max(0, int(box.left)), max(0, int(box.top))
    x1, y1 = min(width, int(box.right)), min(height, int(box.bottom))
    if x1 - x0 < 8 or y1 - y0 < 8:
        return 0.0
    # At a fixed size, so a larger face is not "sharper" just for its pixels, and sensor
    # noise is averaged away before the Laplacian sees it.
    grey = cv2.cvtColor(
        cv2.resize(image[y0:y1, x0:x1], (96, 96), interpolation=cv2.INTER_AREA),
        cv2.COLOR_BGR2GRAY,
    )
    sharpness = float(cv2.Laplacian(grey, cv2.CV_64F).var())
    left, right, nose = points[36], points[45], points[30]
    axis = right - left
    span = float(np.dot(axis, axis))
    yaw = 1.0 if span <= 1e-6 else min(1.0, abs(float(np.dot(nose - left, axis)) / span - 0.5) * 2)
    eyes = 1.0 if ear >= thresholds.eye_closed_ear else 0.3
    return sharpness * (1.0 - yaw) * min(1.0, face_px / 150.0) * eyes
