"""The door camera's frames analysed on their own thread while the candidate stands there.

The camera view hands each frame it shows to `offer()` (cheap: a deque append); one worker
thread measures them (hardware.face.stream: blink, best frame and its encoding). At a card tap
`take()` gives the analysis of the person in front of the camera — at once when it is ready
(a blink seen, or about 2 s of frames), else as soon as it is, or whatever there is after
`wait_s` — and the analysis starts over for whoever comes next.

Bounded CPU: the worker keeps at most `BACKLOG` frames waiting and drops the oldest when it
falls behind; while frames wait it makes only the cheap per-frame measurements (the encodings
wait for an idle moment). Never the GUI or the database thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from examkiosk.core.errors import KioskError

log = logging.getLogger(__name__)


def closed() -> KioskError:
    return KioskError(
        "人脸分析已停止（门口界面已关闭），请重新刷证。",
        "The face analysis has stopped (the door screen was closed). Tap the card again.",
    )


# After a tap the analysis waits (frames keep arriving, the newest kept) until the door has
# shown the verdict, or this long: the tap's own face work gets the CPU and the face engine.
PAUSE_AFTER_TAKE_S = 1.0
BACKLOG = 3  # frames waiting at most (0.3 s at 10 frames/s); older ones are dropped
STALE_AFTER_S = 4.0  # an analysis whose newest frame is older shows whoever stood there then
CAMERA_QUIET_S = 1.0  # no frame for this long: the camera delivers nothing to wait for


@dataclass
class _Take:
    future: Future[Any]
    deadline: float


class LiveFace:
    """`engine`: a hardware.face.FaceEngine. Closed with `close()`."""

    def __init__(
        self,
        engine: Any,
        settings: Any = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        from hardware.face.stream import FaceStream

        self.engine = engine
        self._stream = FaceStream(engine, settings)
        self._clock = clock
        self._changed = threading.Condition()
        self._frames: deque[tuple[Any, float]] = deque()
        self._takes: list[_Take] = []
        self._reset = False
        self._closed = False
        self._paused_until = 0.0
        self._offered_at: float | None = None  # when the camera last delivered a frame
        self._state = self._stream.state()
        self.dropped = 0  # frames skipped: the worker was behind, or paused after a tap
        self.confirm_cpu_s = 0.0  # CPU the last tap's `confirm` took (the benchmark's)
        self._thread = threading.Thread(target=self._run, name="door-face", daemon=True)
        self._thread.start()

    # -- any thread ---------------------------------------------------------------------

    def offer(self, frame: Any) -> None:
        """A frame the camera just delivered (a hardware.camera.Frame)."""
        with self._changed:
            if self._closed:
                return
            if len(self._frames) >= BACKLOG:
                self._frames.popleft()
                self.dropped += 1
            self._offered_at = self._clock()
            self._frames.append((frame.image, self._offered_at))
            self._changed.notify()

    def reset(self) -> None:
        """Forget the person analysed (a decision was taken, the camera was switched)."""
        with self._changed:
            self._frames.clear()
            self._reset = True
            self._changed.notify()

    def peek(self) -> Any:
        """The latest analysis (hardware.face.stream.StreamState), without waiting."""
        with self._changed:
            return self._state

    def take(self, wait_s: float) -> Future[Any]:
        """The analysis of the person at the camera for a card tap (a `StreamState`): when
        it is ready, or after `wait_s` seconds with what there is (at once if the camera
        delivers no frames). The analysis then starts over. The newest frame is checked to
        show the same person first."""
        future: Future[Any] = Future()
        with self._changed:
            if self._closed:
                future.set_exception(closed())
                return future
            self._takes.append(_Take(future, self._clock() + wait_s))
            self._changed.notify()
        return future

    def resume(self) -> None:
        """The tap's verdict is shown: analyse again at once."""
        with self._changed:
            self._paused_until = 0.0
            self._changed.notify()

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify()
        self._thread.join(timeout=5.0)

    @property
    def encodings(self) -> int:
        return self._stream.encodings

    @property
    def frames_analysed(self) -> int:
        return self._stream.frames_analysed

    # -- the worker ---------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._changed:
                while not (self._closed or self._reset or self._takes) and (
                    not self._frames or self._clock() < self._paused_until
                ):
                    pause = self._paused_until - self._clock()
                    self._changed.wait(timeout=pause if pause > 0 else None)
                if self._closed:
                    takes, self._takes = self._takes, []
                    break
                reset, self._reset = self._reset, False
                takes = list(self._takes)
                paused = self._clock() < self._paused_until and not takes
                item = self._frames.popleft() if self._frames and not paused else None
                behind = bool(self._frames)
            try:
                self._work(reset, item, behind, takes)
            except Exception as exc:  # a broken frame must not stop the door's analysis
                log.warning("face analysis failed: %s", type(exc).__name__, exc_info=exc)
                self._stream.reset()
                self._publish()
            if item is None and takes and not reset:
                # Waiting for frames to make the analysis ready, or for a deadline.
                with self._changed:
                    if not (self._closed or self._frames or self._reset):
                        self._changed.wait(timeout=0.05)
        for take in takes:
            if not take.future.done():
                take.future.set_exception(closed())

    def _work(
        self, reset: bool, item: tuple[Any, float] | None, behind: bool, takes: list[_Take]
    ) -> None:
        if reset:
            self._stream.reset()
        if item is not None:
            image, at = item
            # With a tap waiting, only the cheap measurements: the one encoding it needs is
            # the check that the newest frame shows the same person (`confirm`).
            self._stream.add(image, at, behind=behind or bool(takes))
        self._publish()
        if not takes:
            return
        state = self._state
        if state.newest_at is not None and self._clock() - state.newest_at > STALE_AFTER_S:
            self._stream.reset()  # the camera stopped long ago: that was someone else
            self._publish()
        now = self._clock()
        # No frame for a while (no camera picture, or it was stopped): waiting cannot help.
        quiet = self._offered_at is None or now - self._offered_at > CAMERA_QUIET_S
        waiting = not quiet and all(now < take.deadline for take in takes)
        if not self._state.ready and waiting:
            return
        cpu = time.thread_time()
        self._stream.confirm()
        self.confirm_cpu_s = time.thread_time() - cpu
        state = self._stream.state()
        if not state.ready and state.person != self._state.person and waiting:
            self._publish()  # someone else stepped in just now: wait for their frames
            return
        with self._changed:
            self._takes = [t for t in self._takes if t not in takes]
            self._paused_until = self._clock() + PAUSE_AFTER_TAKE_S
        for take in takes:
            if not take.future.done():
                take.future.set_result(state)
        self._stream.reset()
        self._publish()

    def _publish(self) -> None:
        state = self._stream.state()
        with self._changed:
            self._state = state
