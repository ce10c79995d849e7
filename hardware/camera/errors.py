"""Camera errors an invigilator can meet."""

from __future__ import annotations

from hardware.errors import DeviceError

_TEXT: dict[str, tuple[str, str]] = {
    "not_found": (
        "无法打开摄像头，请检查摄像头是否接好，或在设置中选择另一个摄像头。",
        "The camera cannot be opened. Check that it is plugged in, or choose another camera.",
    ),
    "no_picture": (
        "摄像头已打开但没有画面，请重新插拔摄像头后再试。",
        "The camera opened but gives no picture. Unplug it, plug it back in and try again.",
    ),
    "disconnected": (
        "摄像头已断开，正在尝试重新连接；请检查连接线。",
        "The camera was disconnected; reconnecting. Check its cable.",
    ),
    "timeout": (
        "摄像头暂时没有新画面，请稍候重试；若持续出现请重新插拔摄像头。",
        "The camera sent no new picture in time. Try again; if it persists, replug the camera.",
    ),
    "ended": (
        "视频已播放完毕。",
        "The video has ended.",
    ),
    "closed": (
        "摄像头已关闭。",
        "The camera is closed.",
    ),
}


class CameraError(DeviceError):
    """`reason` is one of: not_found, no_picture, disconnected, timeout, ended, closed."""

    def __init__(self, reason: str, *, detail: str = "") -> None:
        zh, en = _TEXT[reason]
        super().__init__(zh, en, detail=detail)
        self.reason = reason
