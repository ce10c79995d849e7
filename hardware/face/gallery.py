"""1:N search: a live face against every roster encoding of a sitting, as one numpy product."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from hardware.face.encoding import FaceEncoding
from hardware.face.thresholds import FaceThresholds
from hardware.face.verdict import Decision, decide


@dataclass(frozen=True)
class GalleryMatch:
    candidate_id: str
    distance: float
    similarity_pct: float
    decision: Decision  # match / unsure / no_match at the engine's thresholds


class Gallery:
    """Immutable matrix of encodings (N x 128) with their candidate ids. Thread-safe."""

    def __init__(self, ids: tuple[str, ...], matrix: npt.NDArray[np.float64]) -> None:
        if matrix.shape != (len(ids), 128):
            raise ValueError(f"gallery matrix shape {matrix.shape} for {len(ids)} ids")
        self.ids = ids
        self._matrix = matrix
        self._matrix.setflags(write=False)

    @classmethod
    def from_encodings(cls, encodings: Mapping[str, FaceEncoding]) -> Gallery:
        ids = tuple(encodings)
        if not ids:
            return cls((), np.zeros((0, 128)))
        return cls(ids, np.stack([encodings[i].array() for i in ids]))

    def __len__(self) -> int:
        return len(self.ids)

    def distances(self, probe: FaceEncoding) -> npt.NDArray[np.float64]:
        if not self.ids:
            return np.zeros(0)
        diff = self._matrix - probe.array()
        return np.sqrt(np.einsum("ij,ij->i", diff, diff))

    def search(
        self, probe: FaceEncoding, thresholds: FaceThresholds, top: int = 3
    ) -> list[GalleryMatch]:
        """The `top` nearest candidates, nearest first."""
        distances = self.distances(probe)
        if top <= 0 or distances.size == 0:
            return []
        count = min(top, distances.size)
        nearest = np.argpartition(distances, count - 1)[:count]
        nearest = nearest[np.argsort(distances[nearest], kind="stable")]
        return [
            GalleryMatch(
                self.ids[i],
                float(distances[i]),
                thresholds.similarity_pct(float(distances[i])),
                decide(float(distances[i]), thresholds),
            )
            for i in nearest
        ]
