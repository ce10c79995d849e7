"""Plain records a camera hands out."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class Frame:
    """One picture: BGR uint8 (height x width x 3), monotonic capture time, running index."""

    image: npt.NDArray[np.uint8]
    timestamp: float
    index: int


@dataclass(frozen=True)
class CameraInfo:
    source: str  # "0" for a device index, else the file path or URL
    width: int
    height: int
    fps: float
    backend: str
    is_file: bool


@dataclass(frozen=True)
class CameraDevice:
    """A camera found on this machine (`list_cameras`)."""

    index: int
    name: str
    width: int
    height: int


class CameraState(StrEnum):
    RUNNING = "running"
    RECONNECTING = "reconnecting"  # the device went away; the capture thread retries
    ENDED = "ended"  # a video file played to its end (only when not looping)
    CLOSED = "closed"
