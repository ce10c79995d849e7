"""Quality gates on a picture before any comparison, each with what the invigilator should do."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from hardware.face.thresholds import FaceThresholds

# flag -> (zh, en). Order is priority: the first blocking flag present is the one shown.
MESSAGES: dict[str, tuple[str, str]] = {
    "unreadable": (
        "无法读取画面，请重新拍摄。",
        "The picture cannot be read. Take it again.",
    ),
    "blank_frame": (
        "画面是一片单色，摄像头可能被遮挡或未接好，请检查摄像头。",
        "The picture is blank: the camera may be covered or not working. Check the camera.",
    ),
    "too_dark": (
        "光线太暗，请开灯或让考生面向光源。",
        "Too dark. Turn on a light or have the candidate face the light.",
    ),
    "too_bright": (
        "光线太强（过曝），请让考生避开直射光。",
        "Too bright. Move the candidate out of direct light.",
    ),
    "no_face": (
        "未检测到人脸，请考生正对摄像头。",
        "No face found. Ask the candidate to look at the camera.",
    ),
    "face_too_small": (
        "人脸太小，请考生靠近摄像头。",
        "The face is too small. Ask the candidate to come closer to the camera.",
    ),
    "not_frontal": (
        "请考生正脸看向摄像头。",
        "The face is turned away. Ask the candidate to look straight at the camera.",
    ),
    "blurry": (
        "画面模糊，请考生保持不动，必要时擦拭镜头。",
        "The picture is blurred. Ask the candidate to hold still; clean the lens if needed.",
    ),
    "several_faces": (
        "画面中有多张人脸，已比对最大的一张，请其他人离开镜头。",
        "Several faces in view; the largest was compared. Ask others to step out of view.",
    ),
}
BLOCKING = frozenset(MESSAGES) - {"several_faces"}


def first_message(flags: tuple[str, ...]) -> tuple[str, str] | None:
    for flag in MESSAGES:
        if flag in flags:
            return MESSAGES[flag]
    return None


def blocking(flags: tuple[str, ...]) -> bool:
    return any(flag in BLOCKING for flag in flags)


def frame_flags(bgr: npt.NDArray[np.uint8]) -> tuple[str, ...]:
    """Whole-picture problems, used to explain why no face was found."""
    small = cv2.resize(bgr, (64, 64), interpolation=cv2.INTER_AREA) if bgr.shape[0] > 64 else bgr
    grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    flags: list[str] = []
    if float(grey.std()) < 6.0:
        flags.append("blank_frame")
    mean = float(grey.mean())
    if mean < 35.0:
        flags.append("too_dark")
    elif mean > 230.0:
        flags.append("too_bright")
    return tuple(flags)


def chip_measures(chip_rgb: npt.NDArray[np.uint8]) -> tuple[float, float]:
    """(sharpness, brightness) of the central part of an aligned 150x150 face chip."""
    grey = cv2.cvtColor(chip_rgb, cv2.COLOR_RGB2GRAY)[25:125, 25:125]
    sharpness = float(cv2.Laplacian(grey, cv2.CV_64F).var())
    return sharpness, float(grey.mean())


def yaw5(landmarks5: npt.NDArray[np.float64]) -> float:
    """0 for a frontal face, towards 1 as the nose approaches an outer eye corner.

    From dlib's 5 landmarks (outer and inner corner of each eye, nose base), which the
    descriptor needs anyway, so the pose gate costs nothing extra."""
    left, right, nose = landmarks5[0], landmarks5[2], landmarks5[4]
    axis = right - left
    span = float(np.dot(axis, axis))
    if span <= 1e-6:
        return 1.0
    position = float(np.dot(nose - left, axis)) / span  # 0.5 when the nose is centred
    return min(1.0, abs(position - 0.5) * 2.0)


def face_flags(
    thresholds: FaceThresholds,
    *,
    face_px: int,
    sharpness: float,
    brightness: float,
    yaw_value: float,
    faces_found: int,
) -> tuple[str, ...]:
    flags: list[str] = []
    if brightness < thresholds.min_brightness:
        flags.append("too_dark")
    elif brightness > thresholds.max_brightness:
        flags.append("too_bright")
    if face_px < thresholds.min_face_px:
        flags.append("face_too_small")
    if yaw_value > thresholds.max_yaw:
        flags.append("not_frontal")
    if sharpness < thresholds.min_sharpness:
        flags.append("blurry")
    if faces_found > 1:
        flags.append("several_faces")
    return tuple(flags)
