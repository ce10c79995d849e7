"""Cameras through OpenCV VideoCapture: device indices, video files and URLs alike."""

from __future__ import annotations

from hardware.camera.capture import Camera, open_camera
from hardware.camera.enumerate import list_cameras
from hardware.camera.errors import CameraError
from hardware.camera.frame import CameraDevice, CameraInfo, CameraState, Frame

__all__ = [
    "Camera",
    "CameraDevice",
    "CameraError",
    "CameraInfo",
    "CameraState",
    "Frame",
    "list_cameras",
    "open_camera",
]
