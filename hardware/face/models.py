"""Loading the face models once per process, and knowing whether they can load at all."""

from __future__ import annotations

import functools
import importlib
import importlib.util
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


def model_folder() -> Path:
    """Where the face_recognition_models package keeps its model files.

    Found without importing the package: its __init__ imports pkg_resources, which newer
    setuptools no longer ships, and the files are all we need.
    """
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("face_recognition_models is not installed")
    folder = Path(next(iter(spec.submodule_search_locations))) / "models"
    if not folder.is_dir():
        raise OSError(f"no model folder at {folder}")
    return folder


def load_models() -> FaceModels:
    """The shared models (loaded on first use, ~1 s); raises FaceError("unavailable")."""
    global _models
    with _lock:
        if _models is not None:
            return _models
        try:
            dlib = importlib.import_module("dlib")
            folder = model_folder()
            _models = FaceModels(
                detector=dlib.get_frontal_face_detector(),
                landmarks5=dlib.shape_predictor(
                    str(folder / "shape_predictor_5_face_landmarks.dat")
                ),
                landmarks68=dlib.shape_predictor(
                    str(folder / "shape_predictor_68_face_landmarks.dat")
                ),
                descriptor=shared_net(folder / "dlib_face_recognition_resnet_model_v1.dat"),
                dlib=dlib,
            )
        except (ImportError, OSError, RuntimeError, ValueError) as exc:
            raise unavailable(f"{type(exc).__name__}: {exc}") from exc
        return _models
