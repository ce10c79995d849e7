"""A card tap at the door becomes what the verdict panel shows (`Prepared`).

Three paths; the door uses the first, the benchmark measures all three in one run:

- "live" (the door's): the camera's frames were analysed while the candidate stood there
  (examkiosk.core.live_face: blink, best frame and its encoding). At the tap the store looks
  the candidate up (database thread) while the chip photo is encoded and the analysis taken
  (face thread); then only the comparisons and the 1:N search over the roster's precomputed
  encodings remain. The roster photo's encoding was computed at the package import.
- "buffer": the camera view's last ~2 s of frames are judged after the tap (blink check,
  best frame, encodings: about a second of face work).
- "capture": ~2 s of frames are captured after the tap, then judged (the door before).

No path runs face work on the GUI or the database thread.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any

from examkiosk.core import roster
from examkiosk.core.checkin import Assessment, CheckInDesk, Lookup
from examkiosk.core.face_check import LIVENESS_FRAMES
from examkiosk.core.live_face import LiveFace
from examkiosk.ui.door.camera_feed import CameraFeed, encode_jpeg
from examkiosk.ui.door.camera_view import CameraView
from examkiosk.ui.door.verdict import Prepared
from examkiosk.ui.ops import Job, Operations
from hardware.cards.document import IdentityDocument

PATHS = ("live", "buffer", "capture")
# How long a tap waits for the analysis to become ready (a blink seen, or ~2 s of frames of
# the person): a candidate who taps the moment they step up waits for no more than the old
# capture took; one who stood there waits for nothing.
TAKE_WAIT_S = 2.2

Done = Callable[[Prepared], None]
Failed = Callable[[BaseException], None]


def prepare(
    desk: CheckInDesk,
    document: IdentityDocument,
    image: Any,
    jpeg: bytes | None,
    sequence: Sequence[Any] = (),
) -> Prepared:
    """Assess and load what the verdict panel shows, all on one thread (tests)."""
    return finish(desk, desk.assess(document, image, jpeg, sequence), image)


def finish(desk: CheckInDesk, assessment: Assessment, image: Any) -> Prepared:
    """The photos and look-alikes the verdict panel shows (database thread)."""
    store = desk.station.store
    suspects = []
    photos = []
    for candidate_id, _distance in assessment.face.suspects:
        rows = store.query(
            "SELECT name, ticket FROM candidates WHERE candidate_id = ?", (candidate_id,)
        )
        if rows:
            suspects.append((str(rows[0][0]), str(rows[0][1])))
            photos.append(roster.photo(store, candidate_id))
    return Prepared(
        assessment,
        roster.photo(store, assessment.candidate.candidate_id),
        image,
        tuple(suspects),
        tuple(photos),
        desk.late_entry_closed(),
    )


def best_frame(frames: Sequence[Any]) -> Any:
    """The sharpest frame of the sequence (variance of the Laplacian): the snapshot that is
    compared and stored. Falls back to the middle one."""
    if not frames:
        return None
    try:
        import cv2

        def sharpness(frame: Any) -> float:
            grey = cv2.cvtColor(frame.image, cv2.COLOR_BGR2GRAY)
            return float(cv2.Laplacian(grey, cv2.CV_64F).var())

        return max(frames, key=sharpness)
    except Exception:  # an odd frame format: the middle one is as good as before
        return frames[len(frames) // 2]


def _looked_up(desk: CheckInDesk, document: IdentityDocument) -> tuple[Lookup, Any, Any]:
    """Database thread: the candidate and their roster encoding, photo and the cut-off."""
    lookup = desk.lookup(document)
    photo = roster.photo(desk.station.store, lookup.candidate.candidate_id)
    return lookup, photo, desk.late_entry_closed()


class TapCheck:
    def __init__(self, ops: Operations, feed: CameraFeed, camera: CameraView) -> None:
        self.ops = ops
        self.feed = feed
        self.camera = camera
        self.path = "live"
        self.live: LiveFace | None = None
        self.captures_after_tap = 0  # taps that found no frames and captured after the tap
        # The last live tap's steps, seconds after the tap, and the CPU seconds the last tap's
        # face work took on its threads whatever the path (the benchmark's breakdown).
        self.steps: dict[str, float] = {}
        self.cpu_s = 0.0

    # -- the running analysis -----------------------------------------------------------
    def attach(self, engine: Any) -> None:
        """Analyse the camera's frames with `engine` (None: no face check at this door)."""
        if self.live is not None and self.live.engine is engine:
            return
        self.close()
        if engine is not None:
            self.live = LiveFace(engine)
            self.camera.analyser = self.live

    def close(self) -> None:
        if self.live is not None:
            self.camera.analyser = None
            self.live.close()
            self.live = None

    def forget(self) -> None:
        """The candidate in front of the camera has been dealt with: start over."""
        self.camera.forget()
        if self.live is not None:
            self.live.reset()

    def seen(self) -> bool:
        """Whether a tap now would be judged without waiting (the demo's cue to tap)."""
        if self.path == "live" and self.live is not None:
            return bool(self.live.peek().ready)
        return bool(self.camera.recent_frames(LIVENESS_FRAMES))

    # -- a tap --------------------------------------------------------------------------
    def run(
        self, desk: CheckInDesk, document: IdentityDocument, done: Done, failed: Failed
    ) -> None:
        if self.path == "live" and self.live is not None:
            self._live(self.live, desk, document, done, failed)
        else:
            self._frames(desk, document, done, failed)

    def _live(
        self,
        live: LiveFace,
        desk: CheckInDesk,
        document: IdentityDocument,
        done: Done,
        failed: Failed,
    ) -> None:
        start = time.perf_counter()
        steps = self.steps = {}

        def step(name: str) -> None:
            steps[name] = time.perf_counter() - start

        taken = live.take(TAKE_WAIT_S)
        looked_up: Future[tuple[Lookup, Any, Any]] = Future()
        settled = [False]

        def fail(exc: BaseException) -> None:
            if not settled[0]:
                settled[0] = True
                live.resume()
                failed(exc)

        def store_side(job: Job) -> None:
            # Handed to the face thread directly: no trip through the GUI thread.
            try:
                looked_up.set_result(_looked_up(desk, document))
            except BaseException as exc:
                looked_up.set_exception(exc)
                # Not on the roster, already admitted...: said at once, not after the face.
                self.ops.on_gui_thread(functools.partial(fail, exc))
            step("candidate looked up")

        def face_side(job: Job) -> tuple[Assessment, Any, Any, Any]:
            cpu = time.thread_time()
            chip = desk.face.chip_reference(document.photo)
            step("chip photo encoded")
            spent = time.thread_time() - cpu
            state = taken.result(timeout=TAKE_WAIT_S + 10.0)
            step("analysis taken")
            cpu = time.thread_time()
            image = state.best_image if state is not None else None
            jpeg = encode_jpeg(image) if image is not None else None
            lookup, photo, closes = looked_up.result(timeout=60.0)  # its error is the tap's
            assessment = desk.judge_live(lookup, document, state, chip, jpeg)
            step("compared")
            self.cpu_s = spent + time.thread_time() - cpu + live.confirm_cpu_s
            return assessment, image, photo, closes

        def shown(prepared: Prepared) -> None:
            step("back on the GUI thread")
            done(prepared)
            step("verdict shown")

        def judged(result: tuple[Assessment, Any, Any, Any]) -> None:
            if settled[0]:
                return
            settled[0] = True
            live.resume()
            assessment, image, photo, closes = result
            if assessment.face.suspects:  # their names and photos: the store again
                self.ops.run(lambda job: finish(desk, assessment, image), shown, failed)
            else:
                shown(Prepared(assessment, photo, image, (), (), closes))

        self.ops.run(store_side)
        self.ops.run(face_side, judged, fail, face=True)

    def _frames(
        self, desk: CheckInDesk, document: IdentityDocument, done: Done, failed: Failed
    ) -> None:
        """The "buffer" and "capture" paths: frames judged after the tap."""
        buffered = self.camera.recent_frames(LIVENESS_FRAMES) if self.path != "capture" else []
        self.camera.forget()  # the next tap is judged on the next person's frames

        def capture(job: Job) -> list[Any]:
            # No buffer (the camera just started, or the person just stepped up): capture
            # now, about 2 s, as the door always did.
            try:
                return list(self.feed.grab_sequence(LIVENESS_FRAMES, 2.0))
            except Exception:  # no picture: the face check is recorded as unavailable
                return []

        def looked_up(lookup: Lookup) -> None:
            def judge(frames: list[Any]) -> None:
                def work(job: Job) -> tuple[Assessment, Any]:
                    cpu = time.thread_time()
                    still = best_frame(frames)
                    image = still.image if still is not None else None
                    jpeg = encode_jpeg(image) if image is not None else None
                    assessment = desk.judge(lookup, document, image, jpeg, frames)
                    self.cpu_s = time.thread_time() - cpu
                    return assessment, image

                # Face work on a device-I/O worker, not the database thread.
                self.ops.run(work, judged, failed, io=True)

            if buffered:
                judge(buffered)
            else:
                self.captures_after_tap += 1
                self.ops.run(capture, judge, failed, io=True)

        def judged(result: tuple[Assessment, Any]) -> None:
            assessment, image = result
            self.ops.run(lambda job: finish(desk, assessment, image), done, failed)

        self.ops.run(lambda job: desk.lookup(document), looked_up, failed)
