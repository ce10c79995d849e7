"""Loading the face models once per process, and knowing whether they can load at all."""

from __future__ import annotations

import functools
import importlib
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hardware.face.errors import FaceError
from hardware.face.resnet import FaceDescriptorNet, shared_net

_lock = threading.Lock()


@dataclass(frozen=True)
class FaceModels:
    detector: Any  # dlib.fhog_object_detector (HOG + linear SVM)
    landmarks5: Any  # dlib.shape_predictor: the alignment the descriptor was trained with
    landmarks68: Any  # dlib.shape_predictor: eye landmarks for the liveness check
    descriptor: FaceDescriptorNet
    dlib: Any


def unavailable(detail: str) -> FaceError:
    return FaceError(
        "unavailable",
        "人脸核验组件不可用，请人工核对证件照片并联系技术人员。",
        "Face verification is not available. Compare the ID photo by eye and call support.",
        detail=detail,
    )


@functools.cache
def face_available() -> bool:
    """True when dlib and the face_recognition model files can be imported."""
    try:
        load_models()
    except FaceError:
        return False
    return True


_models: FaceModels | None = None


def load_models() -> FaceModels:
    """The shared models (loaded on first use, ~1 s); raises FaceError("unavailable")."""
    global _models
    with _lock:
        if _models is not None:
            return _models
        try:
            dlib = importlib.import_module("dlib")
            files = importlib.import_module("face_recognition_models")
            _models = FaceModels(
                detector=dlib.get_frontal_face_detector(),
                landmarks5=dlib.shape_predictor(files.pose_predictor_five_point_model_location()),
                landmarks68=dlib.shape_predictor(files.pose_predictor_model_location()),
                descriptor=shared_net(Path(files.face_recognition_model_location())),
                dlib=dlib,
            )
        except (ImportError, OSError, RuntimeError, ValueError) as exc:
            raise unavailable(f"{type(exc).__name__}: {exc}") from exc
        return _models
