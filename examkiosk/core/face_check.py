"""The door's face check: live frame against roster and chip photos, then 1:N over the roster.

Wraps hardware.face so the check-in logic deals in plain `FaceCheck` records, and so a
station without a working face library still checks candidates in ("face check unavailable"
is recorded, and the invigilator compares the photo by eye).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

# Camera frames the door grabs for the blink check: about two seconds at 10 frames/s.
LIVENESS_FRAMES = 20


@dataclass(frozen=True)
class FaceCheck:
    reference: str  # "roster" | "chip"
    decision: str  # "match" | "no_match" | "unsure" | "unavailable" | "bad_quality"
    distance: float | None
    similarity_pct: float | None
    message_zh: str
    message_en: str


@dataclass(frozen=True)
class LivenessCheck:
    decision: str  # "live" | "not_live" | "unsure" | "unavailable"
    message_zh: str
    message_en: str


@dataclass(frozen=True)
class FaceResult:
    checks: tuple[FaceCheck, ...]
    suspects: tuple[tuple[str, float], ...]  # other candidates the live face matches (id, distance)
    liveness: LivenessCheck | None = None  # None: no frame sequence was given
    # The live face's 128 numbers (None when no usable face): the centre compares them
    # across venues to find one person checked in for two candidates (issue 13).
    probe: tuple[float, ...] | None = None

    @property
    def available(self) -> bool:
        return any(c.decision != "unavailable" for c in self.checks)


def unavailable(reason_zh: str, reason_en: str, reference: str = "roster") -> FaceCheck:
    return FaceCheck(reference, "unavailable", None, None, reason_zh, reason_en)


class FaceService:
    """Holds the face engine and the sitting's gallery; one per door station."""

    def __init__(self, engine: Any | None) -> None:
        self.engine = engine
        self._gallery: Any = None

    @classmethod
    def create(cls) -> FaceService:
        try:
            from hardware.face import FaceEngine, face_available
        except ImportError as exc:  # the check-in goes on without it
            log.warning("face library missing: %s", exc)
            return cls(None)
        return cls(FaceEngine() if face_available() else None)

    @property
    def available(self) -> bool:
        return self.engine is not None

    def encode(self, photo: bytes) -> bytes | None:
        """Encoding of a roster photo for storage, or None if it has no usable face."""
        if self.engine is None:
            return None
        try:
            return bytes(self.engine.encode_reference(photo).to_bytes())
        except Exception as exc:  # a bad roster photo must not stop the package import
            log.warning("roster photo not encodable: %s", type(exc).__name__)
            return None

    def load_gallery(self, encodings: Mapping[str, bytes]) -> None:
        if self.engine is None or not encodings:
            self._gallery = None
            return
        from hardware.face import FaceEncoding, Gallery

        self._gallery = Gallery.from_encodings(
            {cid: FaceEncoding.from_bytes(raw) for cid, raw in encodings.items()}
        )

    def check(
        self,
        frame: Any,
        *,
        candidate_id: str,
        roster_encoding: bytes | None,
        chip_photo: bytes | None,
        sequence: Sequence[Any] = (),
    ) -> FaceResult:
        """Verify `frame` against the references; with `sequence` (about 2 s of camera
        frames that include `frame`), also check for a blink, so a photo held up fails."""
        if self.engine is None:
            return FaceResult(
                (
                    unavailable(
                        "人脸比对不可用，请人工比对照片。",
                        "Face check unavailable; compare the photo by eye.",
                    ),
                ),
                (),
            )
        if frame is None:
            return FaceResult(
                (
                    unavailable(
                        "摄像头没有画面，请人工比对照片。",
                        "No camera picture; compare the photo by eye.",
                    ),
                ),
                (),
            )
        from hardware.face import FaceEncoding

        liveness = None
        if sequence:
            result = self.engine.liveness(sequence)
            liveness = LivenessCheck(
                str(getattr(result.decision, "value", result.decision)),
                result.message_zh,
                result.message_en,
            )
        references: dict[str, Any] = {}
        missing: list[FaceCheck] = []
        if roster_encoding:
            references["roster"] = FaceEncoding.from_bytes(roster_encoding)
        else:
            missing.append(
                unavailable(
                    "名单中没有可用的考生照片。",
                    "The roster has no usable photo of this candidate.",
                )
            )
        if chip_photo:
            try:
                references["chip"] = self.engine.encode_reference(chip_photo)
            except Exception as exc:
                missing.append(
                    FaceCheck(
                        "chip",
                        "unavailable",
                        None,
                        None,
                        getattr(exc, "zh", "证件芯片照片无法使用。"),
                        getattr(exc, "en", "The chip photo cannot be used."),
                    )
                )
        if not references:
            return FaceResult(tuple(missing), (), liveness)
        verdicts = self.engine.verify_references(frame, references)
        checks = [
            FaceCheck(
                v.reference_kind,
                str(getattr(v.decision, "value", v.decision)),
                v.distance,
                v.similarity_pct,
                v.message_zh,
                v.message_en,
            )
            for v in verdicts
        ]
        suspects: list[tuple[str, float]] = []
        # A probe that failed a quality gate is not searched: a blurred face "matching"
        # someone else would raise a false impostor alarm.
        probe = next(
            (
                v.probe_encoding
                for v in verdicts
                if v.probe_encoding is not None
                and str(getattr(v.decision, "value", v.decision)) != "bad_quality"
            ),
            None,
        )
        if probe is not None and self._gallery is not None:
            for match in self.engine.search(probe, self._gallery, top=3):
                if match.candidate_id != candidate_id and match.decision == "match":
                    suspects.append((match.candidate_id, float(match.distance)))
        return FaceResult(
            tuple(checks + missing),
            tuple(suspects),
            liveness,
            tuple(probe.values) if probe is not None else None,
        )
