"""The live camera picture at the door: a timer pulls the latest frame off the GUI thread."""

from __future__ import annotations

import time
from collections import deque
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from examkiosk.ui.door.camera_feed import CameraFeed
from examkiosk.ui.i18n import error_text, tr
from examkiosk.ui.ops import Operations
from examkiosk.ui.widgets import PhotoBox, Texts, pixmap_from_bgr

# 10 pictures a second: what the blink check wants (LIVENESS_FRAMES over about 2 s), so the
# frames the view shows are also the rolling buffer a card tap is judged on.
FRAME_INTERVAL_MS = 100
BUFFER_FRAMES = 40  # 4 s of the person standing there
BUFFER_MAX_AGE_S = 4.0  # older frames may show the previous candidate
RETRY_INTERVAL_MS = 2000  # after a camera error, try again without flooding the log


class CameraView(QWidget):
    """Shows the feed; `latest_image()` is the last frame shown (BGR ndarray) or None."""

    frame_shown = Signal()

    def __init__(
        self,
        feed: CameraFeed,
        ops: Operations,
        size: tuple[int, int] = (336, 252),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.feed = feed
        self.ops = ops
        self.texts = Texts()
        self.picture = PhotoBox(*size)
        self.picture.setObjectName("camera_picture")
        self.status = QLabel()
        self.status.setObjectName("camera_status")
        self.status.setProperty("role", "error")
        self.status.setWordWrap(True)
        self.status.setVisible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.picture)
        layout.addWidget(self.status)
        self._latest: Any = None
        # The running face analysis (examkiosk.core.live_face.LiveFace) each frame shown is
        # offered to, set by the door once its face engine is loaded.
        self.analyser: Any = None
        self._recent: deque[tuple[float, Any]] = deque(maxlen=BUFFER_FRAMES)
        self._in_flight = False
        self._error: BaseException | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(FRAME_INTERVAL_MS)
        self._timer.timeout.connect(self._tick)
        self._show_idle()

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def grabbing(self) -> bool:
        """Whether a frame is being fetched (it is still shown if the view was stopped)."""
        return self._in_flight

    def latest_image(self) -> Any:
        return self._latest

    def recent_frames(self, count: int, max_age_s: float = BUFFER_MAX_AGE_S) -> list[Any]:
        """The last `count` frames the view has shown if there are that many from the last
        `max_age_s` seconds (the person at the camera now), else []: the caller then
        captures after the tap, as before."""
        now = time.monotonic()
        fresh = [frame for at, frame in self._recent if now - at <= max_age_s]
        return fresh[-count:] if len(fresh) >= count else []

    def forget(self) -> None:
        """Drop the buffer: the candidate it shows has been dealt with."""
        self._recent.clear()

    def switch_source(self, source: str | None, on_done: Any = None) -> None:
        """Point the feed at another camera or video; `on_done()` runs once it is switched."""

        def switched(_: object) -> None:
            self._latest = None
            self._recent.clear()
            if self.analyser is not None:
                self.analyser.reset()  # another camera or video: someone else
            self._show_idle()
            if on_done is not None:
                on_done()

        self.ops.run(lambda job: self.feed.switch(source), switched, self._on_error, io=True)

    def retranslate(self) -> None:
        self.texts.apply()
        if self._error is not None:
            self.status.setText(error_text(self._error))
        elif self._latest is None:
            self._show_idle()

    def _tick(self) -> None:
        if self._in_flight:
            return  # a slow camera is never asked twice at once
        self._in_flight = True
        self.ops.run(lambda job: self.feed.grab(0.5), self._on_frame, self._on_error, io=True)

    def _on_frame(self, frame: Any) -> None:
        self._in_flight = False
        if self._error is not None:
            self._error = None
            self._timer.setInterval(FRAME_INTERVAL_MS)
            self.status.setVisible(False)
        if frame is None:
            if self._latest is None:
                self._show_idle()
            return
        self._latest = frame.image
        self._recent.append((time.monotonic(), frame))
        if self.analyser is not None:
            self.analyser.offer(frame)
        self.picture.show_pixmap(pixmap_from_bgr(frame.image))
        self.frame_shown.emit()

    def _on_error(self, exc: BaseException) -> None:
        self._in_flight = False
        self._error = exc
        self._latest = None
        self._recent.clear()
        if self.analyser is not None:
            self.analyser.reset()
        self.picture.show_pixmap(None, tr("摄像头无画面", "No camera picture"))
        self.status.setText(error_text(exc))
        self.status.setVisible(True)
        self._timer.setInterval(RETRY_INTERVAL_MS)

    def _show_idle(self) -> None:
        self.picture.show_pixmap(
            None,
            tr(
                "等待考生刷证……\n摄像头画面将显示在这里",
                "Waiting for a card…\nThe camera picture shows here",
            ),
        )
