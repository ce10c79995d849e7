"""A camera (device index, video file or URL) read by one dedicated thread.

Why a thread: `VideoCapture.read()` blocks for up to a frame period (or much longer when a
device hangs), and OpenCV captures must not be used from several threads. The capture thread
owns the VideoCapture; everyone else gets immutable `Frame`s through `grab()`, which waits at
most `timeout` seconds and turns every failure into a CameraError with a state, never a hang.

Video files are paced at their own frame rate and loop at the end by default, so a simulated
camera behaves like a real one and never runs dry.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import cv2
import numpy as np

from hardware.camera.errors import CameraError
from hardware.camera.frame import CameraInfo, CameraState, Frame

log = logging.getLogger(__name__)

READ_FAILURES_BEFORE_LOST = 5
RECONNECT_INTERVAL = 0.5  # seconds between attempts to reopen a lost camera
DEFAULT_FILE_FPS = 25.0


def _source_key(source: int | str | Path) -> int | str:
    if isinstance(source, Path):
        return str(source)
    if isinstance(source, str) and source.strip().isdigit():
        return int(source.strip())
    return source


def _open_capture(source: int | str) -> cv2.VideoCapture | None:
    capture = cv2.VideoCapture(source)
    if capture.isOpened():
        return capture
    capture.release()
    return None


class Camera:
    """An open camera. Create with `open_camera()`; close with `close()` (or `with`)."""

    def __init__(
        self,
        source: int | str | Path,
        *,
        loop: bool = True,
        first_frame_timeout: float = 5.0,
        reconnect: bool = True,
    ) -> None:
        self._source = _source_key(source)
        self._is_file = isinstance(self._source, str) and Path(self._source).is_file()
        self._loop = loop
        self._reconnect = reconnect
        capture = _open_capture(self._source)
        if capture is None:
            raise CameraError("not_found", detail=f"source {self._source!r}")
        fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0)
        if not 0.0 < fps <= 240.0:
            fps = DEFAULT_FILE_FPS if self._is_file else 0.0
        self.info = CameraInfo(
            source=str(self._source),
            width=int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
            height=int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)),
            fps=fps,
            backend=capture.getBackendName(),
            is_file=self._is_file,
        )
        self._capture: cv2.VideoCapture | None = capture
        self._state = CameraState.RUNNING
        self._latest: Frame | None = None
        self._last_given = -1
        self._next_index = 0
        self._changed = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"camera-{self._source}", daemon=True
        )
        self._thread.start()
        with self._changed:
            got = self._changed.wait_for(
                lambda: self._latest is not None or self._state is not CameraState.RUNNING,
                first_frame_timeout,
            )
        if not got or self._latest is None:
            self.close()
            raise CameraError("no_picture", detail=f"source {self._source!r}")

    # -- consumer side --------------------------------------------------------------------

    @property
    def state(self) -> CameraState:
        return self._state

    def grab(self, timeout: float = 2.0) -> Frame:
        """The newest frame not yet returned by grab(), waiting up to `timeout` seconds.

        Raises CameraError: "disconnected" at once while the device is away (the thread keeps
        trying to reopen it), "ended" for a finished non-looping file, "closed", "timeout".
        """
        with self._changed:
            self._changed.wait_for(
                lambda: (
                    (self._latest is not None and self._latest.index > self._last_given)
                    or self._state is not CameraState.RUNNING
                ),
                timeout,
            )
            if self._state is CameraState.RECONNECTING:
                raise CameraError("disconnected", detail=str(self._source))
            if self._state is CameraState.CLOSED:
                raise CameraError("closed", detail=str(self._source))
            latest = self._latest
            if latest is not None and latest.index > self._last_given:
                self._last_given = latest.index
                return latest
            if self._state is CameraState.ENDED:
                raise CameraError("ended", detail=str(self._source))
            raise CameraError("timeout", detail=f"{timeout:.1f} s")

    def grab_sequence(self, count: int, timeout: float = 2.0) -> list[Frame]:
        """`count` successive new frames (e.g. ~2 s for the liveness check)."""
        return [self.grab(timeout) for _ in range(count)]

    def close(self) -> None:
        """Stop the thread and release the device. Idempotent."""
        self._stop.set()
        with self._changed:
            self._state = CameraState.CLOSED
            self._changed.notify_all()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout=5.0)

    def __enter__(self) -> Camera:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- capture thread -------------------------------------------------------------------

    def _set_state(self, state: CameraState) -> None:
        with self._changed:
            if self._state is not CameraState.CLOSED:
                if state is not self._state:
                    log.info("camera %s: %s", self._source, state.value)
                self._state = state
            self._changed.notify_all()

    def _publish(self, image: np.ndarray) -> None:
        frame = Frame(image, time.monotonic(), self._next_index)
        self._next_index += 1
        with self._changed:
            self._latest = frame
            if self._state is CameraState.RECONNECTING:
                self._state = CameraState.RUNNING
            self._changed.notify_all()

    def _rewind(self, capture: cv2.VideoCapture) -> cv2.VideoCapture | None:
        """Back to the first frame of a file by reopening it (seeking is unreliable in some
        containers, and a file that has gone should read as an unplugged camera)."""
        capture.release()
        return _open_capture(self._source)

    def _run(self) -> None:
        period = 1.0 / self.info.fps if self._is_file and self.info.fps else 0.0
        due = time.monotonic()
        failures = 0
        try:
            while not self._stop.is_set():
                capture = self._capture
                if capture is None:
                    capture = self._capture = _open_capture(self._source)
                    if capture is None:
                        self._stop.wait(RECONNECT_INTERVAL)
                        continue
                ok, image = capture.read()
                if ok and image is not None and image.size:
                    failures = 0
                    self._publish(image)
                    if period:
                        due = max(due + period, time.monotonic() - period)
                        self._stop.wait(max(0.0, due - time.monotonic()))
                    continue
                if self._is_file and not self._loop:
                    self._set_state(CameraState.ENDED)
                    return
                failures += 1
                if self._is_file and failures == 1:
                    self._capture = self._rewind(capture)
                    if self._capture is not None:
                        continue
                    capture = cv2.VideoCapture()  # released already; keeps the code below simple
                if failures >= READ_FAILURES_BEFORE_LOST or self._is_file:
                    capture.release()
                    self._capture = None
                    if not self._reconnect:
                        self._set_state(CameraState.ENDED)
                        return
                    self._set_state(CameraState.RECONNECTING)
                    self._stop.wait(RECONNECT_INTERVAL)
        finally:
            if self._capture is not None:
                self._capture.release()
                self._capture = None


def open_camera(
    source: int | str | Path, *, loop: bool = True, first_frame_timeout: float = 5.0
) -> Camera:
    """Open a device index ("0" or 0), a video file or a URL and start its capture thread.

    Raises CameraError("not_found") when it cannot be opened and CameraError("no_picture")
    when it opens but no frame arrives within `first_frame_timeout` seconds.
    """
    return Camera(source, loop=loop, first_frame_timeout=first_frame_timeout)
