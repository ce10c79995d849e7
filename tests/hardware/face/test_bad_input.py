"""Bad pictures give a clear verdict or a FaceError with both languages, never a crash."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from hardware.face import Decision, FaceEncoding, FaceEngine, FaceError


def _reason(engine: FaceEngine, image: object) -> str:
    with pytest.raises(FaceError) as caught:
        engine.encode_reference(image)  # type: ignore[arg-type]
    assert caught.value.zh and caught.value.en
    return caught.value.reason


def test_unreadable_and_empty_files(
    engine: FaceEngine, references: dict[str, FaceEncoding]
) -> None:
    assert _reason(engine, b"this is not a picture") == "unreadable"
    assert _reason(engine, b"") == "unreadable"
    assert _reason(engine, Path("/nonexistent/photo.jpg")) == "unreadable"
    [result] = engine.verify_references(b"\x89PNG junk", {"roster": references["obama_1"]})
    assert result.decision is Decision.BAD_QUALITY and result.quality_flags == ("unreadable",)
    assert result.probe_encoding is None and result.message_zh


def test_truncated_jpeg_gives_a_verdict(
    engine: FaceEngine, faces_dir: Path, references: dict[str, FaceEncoding]
) -> None:
    data = (faces_dir / "single" / "obama_1.jpg").read_bytes()
    [result] = engine.verify_references(data[: len(data) // 3], {"roster": references["obama_2"]})
    assert result.decision is Decision.BAD_QUALITY and result.message_en


@pytest.mark.parametrize(
    ("picture", "flag"),
    [
        (np.full((480, 640, 3), 128, np.uint8), "blank_frame"),
        (np.zeros((480, 640, 3), np.uint8), "too_dark"),
        (np.zeros((1, 1, 3), np.uint8), "no_face"),
    ],
    ids=["grey", "black", "1x1"],
)
def test_frames_without_a_face(
    engine: FaceEngine, references: dict[str, FaceEncoding], picture: np.ndarray, flag: str
) -> None:
    result = engine.verify(picture, references["obama_1"], "roster")
    assert result.decision is Decision.BAD_QUALITY
    assert flag in result.quality_flags and "no_face" in result.quality_flags
    assert result.distance is None and result.probe_encoding is None
    assert _reason(engine, picture) == "no_face"


def test_several_faces(
    engine: FaceEngine, faces_dir: Path, references: dict[str, FaceEncoding]
) -> None:
    group = faces_dir / "multi" / "obama_and_biden.jpg"
    assert _reason(engine, group) == "several_faces"  # never a roster photo
    result = engine.verify(group.read_bytes(), references["obama_1"], "roster")
    # The largest face is compared and the invigilator is told others are in view.
    assert "several_faces" in result.quality_flags
    assert result.decision is not Decision.BAD_QUALITY
    assert "多张人脸" in result.message_zh


def test_rgba_png_is_read(
    engine: FaceEngine, faces_dir: Path, references: dict[str, FaceEncoding]
) -> None:
    result = engine.verify(faces_dir / "edge" / "rgba_32bit.png", references["obama_1"], "roster")
    assert result.decision is Decision.MATCH


def test_grey_and_16_bit_pictures(
    engine: FaceEngine, faces_dir: Path, references: dict[str, FaceEncoding]
) -> None:
    grey = cv2.imread(str(faces_dir / "single" / "obama_2.jpg"), cv2.IMREAD_GRAYSCALE)
    assert engine.verify(grey, references["obama_1"]).decision is not Decision.BAD_QUALITY
    ok, png16 = cv2.imencode(".png", grey.astype(np.uint16) * 257)
    assert ok
    assert engine.verify(png16.tobytes(), references["obama_1"]).distance is not None


def test_fifty_megapixel_photo(
    engine: FaceEngine, faces_dir: Path, references: dict[str, FaceEncoding]
) -> None:
    photo = cv2.imread(str(faces_dir / "single" / "obama_1.jpg"))
    big = cv2.resize(photo, None, fx=7.0, fy=7.0, interpolation=cv2.INTER_LINEAR)  # ~50 MP
    assert big.shape[0] * big.shape[1] > 50_000_000
    ok, data = cv2.imencode(".jpg", big, [cv2.IMWRITE_JPEG_QUALITY, 80])
    assert ok
    del big
    result = engine.verify(data.tobytes(), references["obama_2"], "roster")
    assert result.decision is Decision.MATCH


def _png_claiming(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, "PNG")
    data = bytearray(buffer.getvalue())
    ihdr = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return bytes(data)


def test_decompression_bomb_is_refused_before_decoding(engine: FaceEngine) -> None:
    assert _reason(engine, _png_claiming(60000, 60000)) == "too_large"


def test_blurred_and_dark_probes_ask_for_a_retake(
    engine: FaceEngine, faces_dir: Path, references: dict[str, FaceEncoding]
) -> None:
    photo = cv2.imread(str(faces_dir / "single" / "obama_2.jpg"))
    blurred = cv2.GaussianBlur(photo, (0, 0), 6)
    result = engine.verify(blurred, references["obama_1"])
    assert result.decision is Decision.BAD_QUALITY and "blurry" in result.quality_flags
    assert "模糊" in result.message_zh and "hold still" in result.message_en
    dark = (photo.astype(np.float32) * 0.18).astype(np.uint8)
    result = engine.verify(dark, references["obama_1"])
    assert result.decision is Decision.BAD_QUALITY and "too_dark" in result.quality_flags
    small = cv2.resize(photo, (photo.shape[1] // 8, photo.shape[0] // 8))
    result = engine.verify(small, references["obama_1"])
    assert "face_too_small" in result.quality_flags or "no_face" in result.quality_flags
