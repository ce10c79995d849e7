"""The operating point of the face check: distances for match / unsure / no match, and the
quality gates a probe must pass. Venues may override any field (see docs/face.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace


@dataclass(frozen=True)
class FaceThresholds:
    """Distances are Euclidean distances between 128-d dlib descriptors.

    distance <= match_max          -> "match"
    distance >= no_match_min       -> "no_match"
    in between                     -> "unsure" (the invigilator compares by eye)
    Defaults were calibrated on ../shared/testdata/faces (docs/face.md has the rates).
    """

    match_max: float = 0.50
    no_match_min: float = 0.60
    # Probe quality gates (references are only refused for no/several faces).
    min_face_px: int = 60  # face box width in the original image
    min_sharpness: float = 40.0  # variance of the Laplacian on the aligned 150x150 face
    min_brightness: float = 45.0  # mean grey level of the aligned face
    max_brightness: float = 215.0
    max_yaw: float = 0.40  # 0 frontal, 1 profile (5-landmark nose base at an eye corner)
    # Liveness: eye aspect ratio below this, and below `blink_drop` x the open-eye level,
    # counts as closed.
    eye_closed_ear: float = 0.21
    blink_drop: float = 0.75

    def __post_init__(self) -> None:
        if not 0.0 < self.match_max <= self.no_match_min < 2.0:
            raise ValueError("need 0 < match_max <= no_match_min < 2")
        if self.min_face_px < 1 or self.min_brightness >= self.max_brightness:
            raise ValueError("inconsistent quality gates")

    @classmethod
    def from_mapping(cls, values: Mapping[str, object]) -> FaceThresholds:
        """A venue's overrides (e.g. from its configuration file); unknown keys are an error."""
        known = {f.name: f.type for f in fields(cls)}
        unknown = set(values) - set(known)
        if unknown:
            raise ValueError(f"unknown face threshold(s): {', '.join(sorted(unknown))}")
        changes: dict[str, float | int] = {}
        for key, value in values.items():
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise ValueError(f"face threshold {key} must be a number")
            changes[key] = int(value) if key == "min_face_px" else float(value)
        return replace(cls(), **changes)  # type: ignore[arg-type]

    def similarity_pct(self, distance: float) -> float:
        """A display value: 100 % at distance 0, 70 % at match_max, 50 % at no_match_min,
        0 % at distance 1.0 and beyond; linear in between. Decisions use distances only."""
        points = ((0.0, 100.0), (self.match_max, 70.0), (self.no_match_min, 50.0), (1.0, 0.0))
        if distance >= 1.0:
            return 0.0
        for (d0, p0), (d1, p1) in zip(points, points[1:], strict=False):
            if distance <= d1:
                if d1 == d0:
                    return p1
                return round(p0 + (p1 - p0) * (distance - d0) / (d1 - d0), 1)
        return 0.0
