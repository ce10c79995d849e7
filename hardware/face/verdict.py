"""The result of comparing a live face with one reference photo: a value, never a bare bool."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from hardware.face.encoding import FaceEncoding
from hardware.face.quality import first_message
from hardware.face.thresholds import FaceThresholds


class Decision(StrEnum):
    MATCH = "match"
    NO_MATCH = "no_match"
    UNSURE = "unsure"  # between the thresholds: the invigilator compares by eye
    UNAVAILABLE = "unavailable"  # no face engine on this station
    BAD_QUALITY = "bad_quality"  # the live picture failed a quality gate; retake


# Reference kinds the door uses; others are shown as given.
KIND_NAMES: dict[str, tuple[str, str]] = {
    "roster": ("报名照片", "roster photo"),
    "chip": ("证件芯片照片", "ID chip photo"),
}


def kind_names(kind: str) -> tuple[str, str]:
    return KIND_NAMES.get(kind, (kind, kind))


@dataclass(frozen=True)
class FaceVerdict:
    """One 1:1 comparison. `distance` and `similarity_pct` are None when no comparison ran.

    `probe_encoding` is the live face's descriptor (None when no face was found), so the
    caller can search the sitting's gallery without encoding the frame again. With
    BAD_QUALITY the distance is still reported when a face was encoded, for the log only.
    """

    decision: Decision
    reference_kind: str
    distance: float | None
    similarity_pct: float | None
    quality_flags: tuple[str, ...]
    message_zh: str
    message_en: str
    elapsed_ms: float
    probe_encoding: FaceEncoding | None = None

    @classmethod
    def unavailable(cls, reference_kind: str, elapsed_ms: float = 0.0) -> FaceVerdict:
        zh, en = kind_names(reference_kind)
        return cls(
            Decision.UNAVAILABLE,
            reference_kind,
            None,
            None,
            (),
            f"人脸核验不可用，请人工比对{zh}。",
            f"Face check unavailable: compare the {en} by eye.",
            elapsed_ms,
        )

    def to_dict(self) -> dict[str, object]:
        """JSON-ready summary for events and the command line (no descriptor values)."""
        return {
            "decision": self.decision.value,
            "reference_kind": self.reference_kind,
            "distance": None if self.distance is None else round(self.distance, 4),
            "similarity_pct": self.similarity_pct,
            "quality_flags": list(self.quality_flags),
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "elapsed_ms": round(self.elapsed_ms, 1),
        }


def decide(distance: float, thresholds: FaceThresholds) -> Decision:
    if distance <= thresholds.match_max:
        return Decision.MATCH
    if distance >= thresholds.no_match_min:
        return Decision.NO_MATCH
    return Decision.UNSURE


def compared(
    reference_kind: str,
    distance: float,
    probe: FaceEncoding,
    thresholds: FaceThresholds,
    elapsed_ms: float,
) -> FaceVerdict:
    """The verdict for a probe that passed the quality gates."""
    decision = decide(distance, thresholds)
    pct = thresholds.similarity_pct(distance)
    kind_zh, kind_en = kind_names(reference_kind)
    if decision is Decision.MATCH:
        zh = f"与{kind_zh}一致（相似度 {pct:.0f}%）。"
        en = f"Matches the {kind_en} ({pct:.0f}% similar)."
    elif decision is Decision.NO_MATCH:
        zh = f"与{kind_zh}不一致（相似度 {pct:.0f}%），请人工核验身份。"
        en = f"Does not match the {kind_en} ({pct:.0f}% similar). Check the identity by hand."
    else:
        zh = f"无法确定是否与{kind_zh}为同一人（相似度 {pct:.0f}%），请人工比对。"
        en = f"Not sure this is the person in the {kind_en} ({pct:.0f}% similar). Compare by eye."
    warning = first_message(probe.quality_flags)
    if warning is not None:
        zh, en = f"{zh}{warning[0]}", f"{en} {warning[1]}"
    return FaceVerdict(
        decision, reference_kind, distance, pct, probe.quality_flags, zh, en, elapsed_ms, probe
    )


def bad_quality(
    reference_kind: str,
    flags: tuple[str, ...],
    elapsed_ms: float,
    probe: FaceEncoding | None = None,
    distance: float | None = None,
) -> FaceVerdict:
    zh, en = first_message(flags) or (
        "画面不可用，请重拍。",
        "The picture cannot be used. Retake it.",
    )
    return FaceVerdict(
        Decision.BAD_QUALITY, reference_kind, distance, None, flags, zh, en, elapsed_ms, probe
    )
