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


def device_identity(source: str | int) -> dict[str, object]:
    """What a check-in records about the camera behind `source` (an index, a video file or
    a URL), without opening it: the device node, its name and USB vendor:product on Linux;
    for a file "file:<name>" and simulated=True. Unknown parts are left out, never guessed."""
    text = str(source).strip()
    if text.isdigit():
        identity: dict[str, object] = {"device": f"/dev/video{text}", "simulated": False}
        node = _SYSFS / f"video{text}"
        try:
            identity["name"] = (node / "name").read_text(encoding="utf-8").strip()
        except OSError:
            identity["device"] = f"index:{text}"  # not a V4L2 node we can see: say so
            return identity
        usb = (node / "device").resolve().parent  # the USB device above the interface
        try:
            vendor = (usb / "idVendor").read_text(encoding="utf-8").strip()
            product = (usb / "idProduct").read_text(encoding="utf-8").strip()
            identity["usb_id"] = f"{vendor}:{product}"
        except OSError:
            pass
        return identity
    if "://" in text:
        return {"device": "url:" + text.split("://", 1)[1].split("/", 1)[0], "simulated": False}
    return {"device": f"file:{Path(text).name}", "simulated": True}
