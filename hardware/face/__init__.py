"""Face verification: quality gates, 1:1 against roster and chip photos, 1:N across the
sitting, and a blink liveness check. See docs/face.md for thresholds, rates and limits."""

from __future__ import annotations

from hardware.face.analysis import FaceAnalysis, FaceBox
from hardware.face.encoding import FaceEncoding, FaceQuality
from hardware.face.engine import FaceEngine
from hardware.face.errors import FaceError
from hardware.face.gallery import Gallery, GalleryMatch
from hardware.face.images import load_image
from hardware.face.liveness import LivenessDecision, LivenessResult
from hardware.face.models import face_available
from hardware.face.thresholds import FaceThresholds
from hardware.face.verdict import Decision, FaceVerdict

__all__ = [
    "Decision",
    "FaceAnalysis",
    "FaceBox",
    "FaceEncoding",
    "FaceEngine",
    "FaceError",
    "FaceQuality",
    "FaceThresholds",
    "FaceVerdict",
    "Gallery",
    "GalleryMatch",
    "LivenessDecision",
    "LivenessResult",
    "face_available",
    "load_image",
]
