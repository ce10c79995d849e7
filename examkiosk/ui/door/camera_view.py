"""The live camera picture at the door: a timer pulls the latest frame off the GUI thread."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from examkiosk.ui.door.camera_feed import CameraFeed
from examkiosk.ui.i18n import error_text, tr
from examkiosk.ui.ops import Operations
from examkiosk.ui.widgets import PhotoBox, Texts, pixmap_from_bgr

FRAME_INTERVAL_MS = 150  # ~7 pictures a second: enough to see a face, light on a 2-core kiosk
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

    def latest_image(self) -> Any:
        return self._latest

    def switch_source(self, source: str | None, on_done: Any = None) -> None:
        """Point the feed at another camera or video; `on_done()` runs once it is switched."""

        def switched(_: object) -> None:
            self._latest = None
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
        self.picture.show_pixmap(pixmap_from_bgr(frame.image))
        self.frame_shown.emit()

    def _on_error(self, exc: BaseException) -> None:
        self._in_flight = False
        self._error = exc
        self._latest = None
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
