"""Which cameras this machine has."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import cv2

from hardware.camera.frame import CameraDevice

_SYSFS = Path("/sys/class/video4linux")


# Windows numbers cameras 0, 1, 2... in enumeration order (Media Foundation, or DirectShow
# when OpenCV falls back to it), without gaps; each failed open costs up to a second or two.
# So probing stops after this many indices in a row that do not open.
WINDOWS_MISSES_BEFORE_STOP = 2


def linux_candidates(sysfs: Path = _SYSFS) -> list[tuple[int, str]]:
    """(index, name) of the V4L2 nodes under `sysfs`, in index order."""
    if not sysfs.is_dir():
        return []
    found = []
    for entry in sysfs.iterdir():
        match = re.fullmatch(r"video(\d+)", entry.name)
        if match is None:
            continue
        try:
            name = (entry / "name").read_text(encoding="utf-8").strip()
        except OSError:
            name = entry.name
        found.append((int(match.group(1)), name))
    return sorted(found)


def probe(
    candidates: Iterable[tuple[int, str]],
    grab: Callable[[int], tuple[int, int] | None],
    max_misses: int | None = None,
) -> list[CameraDevice]:
    """The candidates whose `grab(index)` gives a picture's (width, height), in order;
    after `max_misses` failures in a row the rest are not tried (None: try all)."""
    devices: list[CameraDevice] = []
    misses = 0
    for index, name in candidates:
        size = grab(index)
        if size is None:
            misses += 1
            if max_misses is not None and misses >= max_misses:
                break
            continue
        misses = 0
        devices.append(CameraDevice(index, name, size[0], size[1]))
    return devices


def _grab_one(index: int) -> tuple[int, int] | None:
    capture = cv2.VideoCapture(index)
    try:
        if not capture.isOpened():
            return None
        ok, image = capture.read()
        if not ok or image is None:
            return None
        return int(image.shape[1]), int(image.shape[0])
    finally:
        capture.release()


def list_cameras(max_index: int = 8) -> list[CameraDevice]:
    """Cameras that open and deliver a picture. On Linux the candidates come from sysfs
    (metadata nodes such as the second /dev/videoN of a UVC camera are skipped because they
    do not open); elsewhere indices 0..max_index-1 are tried, stopping at the first run of
    WINDOWS_MISSES_BEFORE_STOP that do not open."""
    if sys.platform.startswith("linux"):
        return probe(linux_candidates(), _grab_one)
    candidates = [(i, f"Camera {i}") for i in range(max_index)]
    return probe(candidates, _grab_one, WINDOWS_MISSES_BEFORE_STOP)


def device_identity(source: str | int) -> dict[str, object]:
    """What a check-in records about the camera behind `source` (an index, a video file or
    a URL), without opening it: the device node, its name and USB vendor:product on Linux
    (elsewhere only "index:N");
    for a file "file:<name>" and simulated=True. Unknown parts are left out, never guessed."""
    text = str(source).strip()
    if text.isdigit() and not sys.platform.startswith("linux"):
        return {"device": f"index:{text}", "simulated": False}  # no device node to name
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
