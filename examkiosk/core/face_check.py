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
        liveness = None
        if sequence:
            result = self.engine.liveness(sequence)
            liveness = LivenessCheck(
                str(getattr(result.decision, "value", result.decision)),
                result.message_zh,
                result.message_en,
            )
        references, missing = self._references(roster_encoding, self.chip_reference(chip_photo))
        if not references:
            return FaceResult(tuple(missing), (), liveness)
        verdicts = self.engine.verify_references(frame, references)
        return self._result(verdicts, missing, liveness, candidate_id)

    def chip_reference(self, chip_photo: bytes | None) -> Any:
        """The chip photo's encoding, a `FaceCheck` saying why it cannot be used, or None
        without a chip photo. The one face encoding a card tap cannot avoid: the door runs it
        while the store looks the candidate up."""
        if self.engine is None or not chip_photo:
            return None
        try:
            return self.engine.encode_reference(chip_photo)
        except Exception as exc:
            return FaceCheck(
                "chip",
                "unavailable",
                None,
                None,
                getattr(exc, "zh", "证件芯片照片无法使用。"),
                getattr(exc, "en", "The chip photo cannot be used."),
            )

    def check_live(
        self,
        state: Any,
        *,
        candidate_id: str,
        roster_encoding: bytes | None,
        chip: Any,
    ) -> FaceResult:
        """`check` on the door camera's running analysis (hardware.face.stream.StreamState:
        the blink check and the best frame's encoding, already done while the candidate
        stood there): only the comparisons and the 1:N search are left. `chip`: what
        `chip_reference` gave."""
        if self.engine is None:
            return self.check(
                None, candidate_id=candidate_id, roster_encoding=None, chip_photo=None
            )
        if state is None or state.newest_at is None:
            return self.check(
                None, candidate_id=candidate_id, roster_encoding=roster_encoding, chip_photo=None
            )
        from hardware.face import FaceAnalysis

        if state.liveness is not None:
            liveness = LivenessCheck(
                str(getattr(state.liveness.decision, "value", state.liveness.decision)),
                state.liveness.message_zh,
                state.liveness.message_en,
            )
        else:
            liveness = LivenessCheck(
                "unsure",
                "画面中没有人脸，无法进行活体检测，请考生正对摄像头。",
                "No face in view, so no liveness check. Ask the candidate to face the camera.",
            )
        references, missing = self._references(roster_encoding, chip)
        if not references:
            return FaceResult(tuple(missing), (), liveness)
        analysis = state.best or FaceAnalysis(None, tuple(state.flags), (), None)
        verdicts = self.engine.compare_analysis(analysis, references)
        return self._result(verdicts, missing, liveness, candidate_id)

    def _references(
        self, roster_encoding: bytes | None, chip: Any
    ) -> tuple[dict[str, Any], list[FaceCheck]]:
        from hardware.face import FaceEncoding

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
        if isinstance(chip, FaceCheck):
            missing.append(chip)
        elif chip is not None:
            references["chip"] = chip
        return references, missing

    def _result(
        self,
        verdicts: Sequence[Any],
        missing: list[FaceCheck],
        liveness: LivenessCheck | None,
        candidate_id: str,
    ) -> FaceResult:
        assert self.engine is not None
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
