"""Which cameras this machine has."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import cv2

from hardware.camera.frame import CameraDevice

_SYSFS = Path("/sys/class/video4linux")


def _candidates(max_index: int) -> list[tuple[int, str]]:
    if sys.platform.startswith("linux"):
        if not _SYSFS.is_dir():
            return []
        found = []
        for entry in sorted(_SYSFS.iterdir()):
            match = re.fullmatch(r"video(\d+)", entry.name)
            if match is None:
                continue
            try:
                name = (entry / "name").read_text(encoding="utf-8").strip()
            except OSError:
                name = entry.name
            found.append((int(match.group(1)), name))
        return found
    return [(i, f"Camera {i}") for i in range(max_index)]


def list_cameras(max_index: int = 8) -> list[CameraDevice]:
    """Cameras that open and deliver a picture. On Linux the candidates come from sysfs
    (metadata nodes such as the second /dev/videoN of a UVC camera are skipped because they
    do not open); elsewhere indices 0..max_index-1 are tried."""
    devices: list[CameraDevice] = []
    for index, name in _candidates(max_index):
        capture = cv2.VideoCapture(index)
        try:
            if not capture.isOpened():
                continue
            ok, image = capture.read()
            if not ok or image is None:
                continue
            devices.append(CameraDevice(index, name, image.shape[1], image.shape[0]))
        finally:
            capture.release()
    return devices
