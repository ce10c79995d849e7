"""The numpy descriptor network gives dlib's own numbers for the same face chip."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hardware.face import FaceEngine
from hardware.face.analysis import crop_for, detect
from hardware.face.images import load_image
from hardware.face.models import load_models


def test_numpy_descriptor_equals_dlib(engine: FaceEngine, singles: list[Path]) -> None:
    import face_recognition_models

    models = load_models()
    dlib_net = models.dlib.face_recognition_model_v1(
        face_recognition_models.face_recognition_model_location()
    )
    for path in singles[:3]:
        bgr = load_image(path)
        rgb, rect, _, _ = crop_for(models, bgr, detect(models, bgr, 480)[0])
        chip = np.asarray(models.dlib.get_face_chip(rgb, models.landmarks5(rgb, rect), 150, 0.25))
        ours = models.descriptor.describe(chip)
        theirs = np.array(dlib_net.compute_face_descriptor(chip))
        assert np.abs(ours - theirs).max() < 1e-4, path.name
