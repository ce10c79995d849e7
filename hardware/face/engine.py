"""FaceEngine: the face check the door station calls (1:1, 1:N, liveness)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

from hardware.face import analysis, verdict
from hardware.face.analysis import FaceBox, landmarks68
from hardware.face.encoding import FaceEncoding
from hardware.face.errors import FaceError
from hardware.face.gallery import Gallery, GalleryMatch
from hardware.face.images import load_image
from hardware.face.liveness import LivenessResult, check_liveness, track
from hardware.face.models import load_models
from hardware.face.quality import blocking
from hardware.face.thresholds import FaceThresholds
from hardware.face.verdict import FaceVerdict

ImageInput = bytes | Path | npt.NDArray[np.uint8]


class HasImage(Protocol):
    """A camera Frame (hardware.camera.Frame) or anything with a BGR `image`."""

    @property
    def image(self) -> npt.NDArray[np.uint8]: ...


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000.0


def no_face_in_reference(detail: str = "") -> FaceError:
    return FaceError(
        "no_face",
        "照片中未找到人脸，请换一张正面免冠照片。",
        "No face found in the photo. Use a frontal, passport-style photo.",
        detail=detail,
    )


def several_faces_in_reference(count: int) -> FaceError:
    return FaceError(
        "several_faces",
        "照片中有多张人脸，请换一张只有考生本人的照片。",
        "The photo shows several faces. Use a photo of the candidate alone.",
        detail=f"{count} faces",
    )


class FaceEngine:
    """Face verification on a laptop CPU. Models are loaded once per process.

    Thread-safe: calls are serialised by an internal lock (dlib's detectors are not
    documented as re-entrant); one door station needs one check at a time anyway.
    Construction raises FaceError("unavailable") when dlib or the models cannot load;
    check `face_available()` first to record "face check unavailable" instead.
    """

    def __init__(self, thresholds: FaceThresholds | None = None, *, detect_side: int = 480):
        self.thresholds = thresholds or FaceThresholds()
        self.detect_side = detect_side
        self._models = load_models()
        self._lock = threading.Lock()

    # -- pictures -------------------------------------------------------------------------

    def analyze(self, image: ImageInput | HasImage) -> analysis.FaceAnalysis:
        """Detect and describe the largest face; raises FaceError only for unreadable input."""
        bgr = load_image(getattr(image, "image", image))
        with self._lock:
            return analysis.analyze(self._models, bgr, self.thresholds, self.detect_side)

    def encode_reference(self, image: ImageInput) -> FaceEncoding:
        """The encoding of a roster or chip photo.

        Raises FaceError: "unreadable", "too_large", "no_face", or "several_faces" (another
        face at least half as wide as the largest). Lesser quality problems are kept in
        `quality_flags` (a chip photo is small by design) rather than refused.
        """
        result = self.analyze(image)
        if result.encoding is None:
            raise no_face_in_reference(",".join(result.flags))
        rivals = [b for b in result.faces[1:] if b.width >= 0.5 * result.faces[0].width]
        if rivals:
            raise several_faces_in_reference(len(rivals) + 1)
        return result.encoding

    def encode_references(
        self,
        images: Mapping[str, ImageInput],
        progress: Callable[[int, int, str], None] | None = None,
    ) -> dict[str, FaceEncoding | FaceError]:
        """Encode many roster photos (package import); `progress(done, total, id)` after each.

        A photo that cannot be used maps to its FaceError; the others still get encoded.
        """
        results: dict[str, FaceEncoding | FaceError] = {}
        for done, (key, image) in enumerate(images.items(), start=1):
            try:
                results[key] = self.encode_reference(image)
            except FaceError as exc:
                results[key] = exc
            if progress is not None:
                progress(done, len(images), key)
        return results

    # -- 1:1 ------------------------------------------------------------------------------

    def compare(
        self, probe: FaceEncoding, reference: FaceEncoding, reference_kind: str
    ) -> FaceVerdict:
        """Verdict for two encodings already computed (no detection)."""
        start = time.perf_counter()
        distance = probe.distance(reference)
        if blocking(probe.quality_flags):
            return verdict.bad_quality(
                reference_kind, probe.quality_flags, _ms(start), probe, distance
            )
        return verdict.compared(reference_kind, distance, probe, self.thresholds, _ms(start))

    def verify(
        self,
        probe: ImageInput | HasImage,
        reference: FaceEncoding,
        reference_kind: str = "roster",
    ) -> FaceVerdict:
        """The live face against one reference. Never raises on picture content."""
        return self.verify_references(probe, {reference_kind: reference})[0]

    def verify_references(
        self, probe: ImageInput | HasImage, references: Mapping[str, FaceEncoding]
    ) -> list[FaceVerdict]:
        """The live face against each reference (e.g. {"roster": ..., "chip": ...}).

        The probe is detected and encoded once; each verdict carries `probe_encoding`.
        An unreadable probe or a failed quality gate gives BAD_QUALITY verdicts.
        """
        start = time.perf_counter()
        try:
            result = self.analyze(probe)
        except FaceError:
            return [verdict.bad_quality(kind, ("unreadable",), _ms(start)) for kind in references]
        return self.compare_analysis(result, references, start)

    def compare_analysis(
        self,
        result: analysis.FaceAnalysis,
        references: Mapping[str, FaceEncoding],
        start: float | None = None,
    ) -> list[FaceVerdict]:
        """`verify_references` for a live picture analysed earlier (the door's running
        analysis keeps the best frame's): comparisons only, a fraction of a millisecond."""
        start = time.perf_counter() if start is None else start
        if result.encoding is None:
            return [verdict.bad_quality(kind, result.flags, _ms(start)) for kind in references]
        encoding = result.encoding
        verdicts = []
        for kind, reference in references.items():
            single = self.compare(encoding, reference, kind)
            verdicts.append(
                FaceVerdict(
                    single.decision,
                    single.reference_kind,
                    single.distance,
                    single.similarity_pct,
                    single.quality_flags,
                    single.message_zh,
                    single.message_en,
                    _ms(start),
                    encoding,
                )
            )
        return verdicts

    # -- 1:N and liveness -----------------------------------------------------------------

    def search(
        self, probe_encoding: FaceEncoding, gallery: Gallery, top: int = 3
    ) -> list[GalleryMatch]:
        """The `top` nearest roster entries to the live face, nearest first."""
        return gallery.search(probe_encoding, self.thresholds, top)

    def track(
        self, image: npt.NDArray[np.uint8], last: FaceBox | None
    ) -> tuple[FaceBox, npt.NDArray[np.float64]] | None:
        """The face near `last` (else anywhere) and its 68 landmarks, or None: one frame of
        the running liveness check (a few milliseconds)."""
        with self._lock:
            box = track(self._models, image, last, self.detect_side)
            if box is None:
                return None
            return box, landmarks68(self._models, image, box)

    def liveness(self, frames: Sequence[HasImage]) -> LivenessResult:
        """Blink check over a short sequence of frames (about 2 s); see liveness.py."""
        with self._lock:
            return check_liveness(
                self._models, [f.image for f in frames], self.thresholds, self.detect_side
            )
