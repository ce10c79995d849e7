"""Face-check errors an invigilator or an administrator can meet."""

from __future__ import annotations

from hardware.errors import DeviceError


class FaceError(DeviceError):
    """A photo or frame that cannot be used for a face check, or a face engine that is missing.

    `reason` is a short stable code for logs and callers: "unreadable", "no_face",
    "several_faces", "too_large", "bad_encoding", "unavailable".
    """

    def __init__(self, reason: str, zh: str, en: str, *, detail: str = "") -> None:
        super().__init__(zh, en, detail=detail)
        self.reason = reason


def unreadable(detail: str = "") -> FaceError:
    return FaceError(
        "unreadable",
        "无法读取该图片，请换一张 JPEG 或 PNG 格式的照片。",
        "The image cannot be read. Use a JPEG or PNG photo instead.",
        detail=detail,
    )
