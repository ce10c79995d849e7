"""A face descriptor with the quality of the picture it came from, and its storage format."""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from hardware.face.errors import FaceError

MODEL_ID = "dlib_resnet_v1"  # descriptors from other models are not comparable
_MAGIC = b"EKFE"
_VERSION = 1
_DIMS = 128


def bad_encoding(detail: str) -> FaceError:
    return FaceError(
        "bad_encoding",
        "保存的人脸特征已损坏或版本不符，请重新导入考生照片。",
        "The stored face data is damaged or from another version. Import the roster photos again.",
        detail=detail,
    )


@dataclass(frozen=True)
class FaceQuality:
    """Measurements of the face a descriptor came from (see FaceThresholds for the gates)."""

    face_px: int  # face box width in the original image
    sharpness: float  # variance of the Laplacian on the aligned face
    brightness: float  # mean grey level of the aligned face
    yaw: float  # 0 frontal .. 1 profile
    faces_found: int
    image_width: int
    image_height: int


@dataclass(frozen=True)
class FaceEncoding:
    """128 numbers describing one face; close vectors (Euclidean) mean the same person.

    `quality_flags` are the gate failures and warnings of the source picture ("blurry",
    "several_faces", ...), kept so a roster photo of doubtful quality can be reported.
    """

    values: tuple[float, ...]
    quality: FaceQuality
    quality_flags: tuple[str, ...] = ()
    model: str = MODEL_ID

    def __post_init__(self) -> None:
        if len(self.values) != _DIMS:
            raise bad_encoding(f"{len(self.values)} values")

    @classmethod
    def from_array(
        cls,
        vector: npt.NDArray[np.floating],
        quality: FaceQuality,
        quality_flags: tuple[str, ...] = (),
    ) -> FaceEncoding:
        return cls(tuple(float(v) for v in vector), quality, quality_flags)

    def array(self) -> npt.NDArray[np.float64]:
        return np.asarray(self.values, dtype=np.float64)

    def distance(self, other: FaceEncoding) -> float:
        if other.model != self.model:
            raise bad_encoding(f"model {other.model} vs {self.model}")
        return float(np.linalg.norm(self.array() - other.array()))

    def to_bytes(self) -> bytes:
        """EKFE, version, header length, JSON header (model, quality), 128 little-endian f64."""
        header = json.dumps(
            {
                "model": self.model,
                "quality": self.quality.__dict__,
                "flags": list(self.quality_flags),
            },
            separators=(",", ":"),
            sort_keys=True,
        ).encode()
        vector = np.asarray(self.values, dtype="<f8").tobytes()
        return _MAGIC + struct.pack("<BH", _VERSION, len(header)) + header + vector

    @classmethod
    def from_bytes(cls, data: bytes) -> FaceEncoding:
        """Inverse of to_bytes; raises FaceError("bad_encoding") on anything malformed."""
        if len(data) < 7 or data[:4] != _MAGIC:
            raise bad_encoding("not a face encoding")
        version, header_len = struct.unpack("<BH", data[4:7])
        if version != _VERSION:
            raise bad_encoding(f"version {version}")
        if len(data) != 7 + header_len + 8 * _DIMS:
            raise bad_encoding(f"{len(data)} bytes")
        try:
            header = json.loads(data[7 : 7 + header_len])
            quality = FaceQuality(**header["quality"])
            flags = tuple(str(f) for f in header["flags"])
            model = str(header["model"])
        except (ValueError, KeyError, TypeError) as exc:
            raise bad_encoding(f"header: {exc}") from exc
        if model != MODEL_ID:
            raise bad_encoding(f"model {model}")
        vector = np.frombuffer(data, dtype="<f8", count=_DIMS, offset=7 + header_len)
        if not np.all(np.isfinite(vector)):
            raise bad_encoding("non-finite values")
        return cls(tuple(float(v) for v in vector), quality, flags, model)
