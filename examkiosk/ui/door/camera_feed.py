"""The door camera behind a lock, so worker threads can open, switch and read it in turn.

No Qt here: the camera view calls this through `Operations.run(..., io=True)`. The lock makes
sure only one thread touches the OpenCV capture at a time (it is not thread-safe).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

Opener = Callable[[str], Any]


def _open_camera(source: str) -> Any:
    from hardware.camera import open_camera

    return open_camera(source)


class CameraFeed:
    """Holds at most one open camera; `switch(None)` leaves the view empty."""

    def __init__(
        self,
        source: str | None = None,
        opener: Opener | None = None,
        size: tuple[int, int] | None = None,
    ) -> None:
        """`size` (width, height): frames larger than it are scaled down to fit, so a camera
        with a bigger native mode costs no more face-check time than the station is set for."""
        self._open = opener or _open_camera
        self._size = size
        self._lock = threading.RLock()
        self._camera: Any = None
        self._source: str | None = source

    @property
    def source(self) -> str | None:
        return self._source

    def switch(self, source: str | None) -> None:
        """Close the current camera and remember the new source; it opens on the next grab."""
        with self._lock:
            self._close_locked()
            self._source = source

    def grab(self, timeout: float) -> Any | None:
        """The latest frame (`Frame`), or None without a source; DeviceError on camera trouble."""
        with self._lock:
            if self._source is None:
                return None
            if self._camera is None:
                self._camera = self._open(self._source)
            try:
                return self._fit(self._camera.grab(timeout))
            except Exception:
                if not Path(self._source).is_file():
                    self._close_locked()
                    raise
                # A demo video that reached its end: start it again rather than go dark.
                log.debug("restarting video source %s", self._source)
                self._close_locked()
                self._camera = self._open(self._source)
                return self._fit(self._camera.grab(timeout))

    def _fit(self, frame: Any) -> Any:
        if self._size is None or frame is None:
            return frame
        height, width = frame.image.shape[:2]
        scale = min(self._size[0] / width, self._size[1] / height)
        if scale >= 1.0:
            return frame
        import cv2

        image = cv2.resize(
            frame.image,
            (max(1, round(width * scale)), max(1, round(height * scale))),
            interpolation=cv2.INTER_AREA,
        )
        return replace(frame, image=image)

    def grab_sequence(self, count: int, timeout: float) -> list[Any]:
        """`count` successive frames (about 2 s for the blink check); the live view waits
        meanwhile, so no frame of the sequence goes to it instead."""
        with self._lock:
            frames = []
            for _ in range(count):
                frame = self.grab(timeout)  # the lock is re-entrant
                if frame is None:
                    break
                frames.append(frame)
            return frames

    def close(self) -> None:
        with self._lock:
            self._close_locked()

    def _close_locked(self) -> None:
        camera, self._camera = self._camera, None
        if camera is not None:
            try:
                camera.close()
            except Exception as exc:  # closing a broken device must not stop the switch
                log.warning("camera close failed: %s", exc)


def encode_jpeg(image: Any, quality: int = 85) -> bytes | None:
    """JPEG bytes of a BGR frame for the check-in snapshot, or None if it cannot be encoded."""
    import cv2

    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return data.tobytes() if ok else None
