"""Shared fixtures: the test photos (never copied into the repo) encoded once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from hardware.face import FaceEncoding, FaceEngine, face_available

FACES = Path(__file__).resolve().parents[3] / ".." / "shared" / "testdata" / "faces"


def identity(path: Path) -> str:
    return path.stem.rsplit("_", 1)[0]


@pytest.fixture(scope="session")
def faces_dir() -> Path:
    if not (FACES / "single").is_dir():
        pytest.skip(f"face photos not found at {FACES}")
    return FACES


@pytest.fixture(scope="session")
def engine() -> FaceEngine:
    if not face_available():
        pytest.skip("dlib / face_recognition_models cannot be imported")
    return FaceEngine()


@pytest.fixture(scope="session")
def singles(faces_dir: Path) -> list[Path]:
    return sorted(p for p in (faces_dir / "single").iterdir() if p.suffix in {".jpg", ".png"})


@pytest.fixture(scope="session")
def references(engine: FaceEngine, singles: list[Path]) -> dict[str, FaceEncoding]:
    """Every single/ photo encoded once, keyed by file stem (e.g. "obama_1")."""
    return {p.stem: engine.encode_reference(p) for p in singles}
