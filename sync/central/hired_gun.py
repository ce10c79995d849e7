"""Hired-gun (枪手) detection: one live face checked in for two different candidates.

Every check-in event carries the 128 numbers of the live face the station saw
(`face_encoding`, dlib ResNet descriptors; Euclidean distance, smaller is closer). Pairs of
snapshots of *different* candidates closer than `MATCH_DISTANCE` are flagged, across every
venue of a sitting. Pure: numbers in, pairs out; no I/O.

Two ways, the same answer up to the index's recall:
- `all_pairs`: every pair, as blocked matrix products (float32, |a|²+|b|²-2ab), exact.
  10,000 snapshots are 5·10⁷ pairs, about a second here.
- `indexed_pairs`: an inverted-file index (faiss IVF-Flat) and a radius search in the few
  cells nearest each face, for a province (hundreds of thousands) where all pairs would take
  many minutes. A hired gun's two faces are much closer to each other (about 0.2) than
  different people are (about 0.9), so they almost always share a searched cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

DIMS = 128
# hardware.face.thresholds.FaceThresholds.match_max (sync may not import hardware): the
# distance under which the station itself calls two faces the same person.
MATCH_DISTANCE = 0.50
ALL_PAIRS_LIMIT = 50_000  # above this, `find_pairs` uses the index
BLOCK = 2048


@dataclass(frozen=True)
class Pair:
    """Snapshots `a` < `b` (indexes into the input) of different candidates, and their distance."""

    a: int
    b: int
    distance: float


def _matrix(
    vectors: Sequence[Sequence[float]] | npt.NDArray[np.floating],
) -> npt.NDArray[np.float32]:
    m = np.asarray(vectors, dtype=np.float32)
    if m.size == 0:
        return m.reshape(0, DIMS)
    if m.ndim != 2 or m.shape[1] != DIMS:
        raise ValueError(f"expected N x {DIMS} encodings, got shape {m.shape}")
    return np.ascontiguousarray(m)


def _owners(owners: Sequence[str]) -> npt.NDArray[np.int64]:
    codes: dict[str, int] = {}
    return np.fromiter((codes.setdefault(o, len(codes)) for o in owners), np.int64, len(owners))


def all_pairs(
    vectors: Sequence[Sequence[float]] | npt.NDArray[np.floating],
    owners: Sequence[str],
    threshold: float = MATCH_DISTANCE,
    block: int = BLOCK,
) -> list[Pair]:
    """Every pair of different owners closer than `threshold`, exactly; sorted by distance."""
    m = _matrix(vectors)
    own = _owners(owners)
    if len(own) != len(m):
        raise ValueError("one owner per encoding")
    norms = np.einsum("ij,ij->i", m, m)
    limit = np.float32(threshold * threshold)
    found: list[Pair] = []
    for start in range(0, len(m), block):
        rows = m[start : start + block]
        # Only columns from `start` on: each pair once (the lower triangle is the same).
        d2 = norms[start : start + block, None] + norms[None, start:] - 2.0 * (rows @ m[start:].T)
        hit_r, hit_c = np.nonzero(d2 <= limit)
        cols = hit_c + start
        rows_i = hit_r + start
        keep = (cols > rows_i) & (own[rows_i] != own[cols])
        for i, j in zip(rows_i[keep], cols[keep], strict=True):
            distance = float(np.linalg.norm(m[i].astype(np.float64) - m[j]))
            if distance <= threshold:  # float32 rounding near the edge: decide in float64
                found.append(Pair(int(i), int(j), distance))
    return sorted(found, key=lambda p: (p.distance, p.a, p.b))


def indexed_pairs(
    vectors: Sequence[Sequence[float]] | npt.NDArray[np.floating],
    owners: Sequence[str],
    threshold: float = MATCH_DISTANCE,
    nprobe: int = 16,
    threads: int = 2,
) -> list[Pair]:
    """Pairs of different owners closer than `threshold`, through an inverted-file index
    (faiss IVF-Flat, 4·√N cells, `nprobe` cells searched per face); sorted by distance.
    Approximate: a pair whose faces fall in cells far apart can be missed (recall is
    measured by benchmarks/central_scale.py)."""
    import faiss

    m = _matrix(vectors)
    own = _owners(owners)
    if len(own) != len(m):
        raise ValueError("one owner per encoding")
    if len(m) < 2:
        return []
    faiss.omp_set_num_threads(threads)
    cells = max(1, min(len(m) // 39, int(4 * np.sqrt(len(m)))))
    quantizer = faiss.IndexFlatL2(DIMS)
    index = faiss.IndexIVFFlat(quantizer, DIMS, cells)
    # k-means on a sample: 20 faces a cell is plenty to place the cells (and much faster).
    rng = np.random.default_rng(7)
    sample = m[rng.choice(len(m), min(len(m), 20 * cells), replace=False)]
    index.train(sample)
    index.add(m)
    index.nprobe = min(nprobe, cells)
    lims, _, labels = index.range_search(m, float(threshold * threshold))  # squared L2
    seen: set[tuple[int, int]] = set()
    found: list[Pair] = []
    for i in range(len(m)):
        for j in labels[lims[i] : lims[i + 1]]:
            a, b = (i, int(j)) if i < j else (int(j), i)
            if a == b or own[a] == own[b] or (a, b) in seen:
                continue
            seen.add((a, b))
            distance = float(np.linalg.norm(m[a].astype(np.float64) - m[b]))
            if distance <= threshold:
                found.append(Pair(a, b, distance))
    return sorted(found, key=lambda p: (p.distance, p.a, p.b))


def find_pairs(
    vectors: Sequence[Sequence[float]] | npt.NDArray[np.floating],
    owners: Sequence[str],
    threshold: float = MATCH_DISTANCE,
) -> list[Pair]:
    """All pairs when that is affordable, else the index."""
    if len(owners) <= ALL_PAIRS_LIMIT:
        return all_pairs(vectors, owners, threshold)
    return indexed_pairs(vectors, owners, threshold)
