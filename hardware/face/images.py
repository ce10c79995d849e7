"""Turn untrusted image bytes or arrays into the BGR uint8 arrays the face engine works on.

Guarantees: never more than `max_pixels` decoded (a 50-megapixel JPEG is decoded at a reduced
scale, a decompression bomb is refused before decoding), alpha composited onto white, 16-bit
and grey images converted, EXIF orientation applied to JPEGs. Anything else is a FaceError.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image

from hardware.face.errors import FaceError, unreadable

BGR = npt.NDArray[np.uint8]

# Pixels we are willing to decode at full scale; bigger JPEGs are decoded at 1/2, 1/4 or 1/8.
DECODE_PIXELS = 16_000_000
# Pixels we refuse outright (even a reduced decode would be too big, or it is a bomb).
MAX_PIXELS = 400_000_000
MAX_BYTES = 100 * 1024 * 1024


def too_large(detail: str) -> FaceError:
    return FaceError(
        "too_large",
        "图片过大，无法处理，请换一张较小的照片（不超过 1 亿像素）。",
        "The image is too large to process. Use a smaller photo.",
        detail=detail,
    )


def _header_size(data: bytes) -> tuple[int, int]:
    try:
        with Image.open(io.BytesIO(data)) as probe:
            return probe.size
    except Image.DecompressionBombError as exc:
        raise too_large(str(exc)) from exc
    except Exception as exc:  # PIL raises many types for junk; all mean "not an image"
        raise unreadable(f"{type(exc).__name__}: {exc}") from exc


def decode_image(data: bytes) -> BGR:
    """Decode JPEG/PNG/BMP/WebP/TIFF bytes to a BGR uint8 array; raises FaceError."""
    if not data:
        raise unreadable("empty file")
    if len(data) > MAX_BYTES:
        raise too_large(f"{len(data)} bytes")
    width, height = _header_size(data)
    pixels = width * height
    if pixels > MAX_PIXELS:
        raise too_large(f"{width}x{height}")
    buffer = np.frombuffer(data, dtype=np.uint8)
    is_jpeg = data[:3] == b"\xff\xd8\xff"
    if is_jpeg:
        flag = cv2.IMREAD_COLOR
        for reduced, factor in (
            (cv2.IMREAD_REDUCED_COLOR_2, 4),
            (cv2.IMREAD_REDUCED_COLOR_4, 16),
            (cv2.IMREAD_REDUCED_COLOR_8, 64),
        ):
            if pixels <= DECODE_PIXELS:
                break
            # libjpeg scales while decoding, so a huge photo costs a fraction of the time
            # and memory of a full decode followed by a resize.
            flag, pixels = reduced, width * height // factor
        image = cv2.imdecode(buffer, flag)
    else:
        if pixels > DECODE_PIXELS * 4:
            raise too_large(f"{width}x{height}")
        image = cv2.imdecode(buffer, cv2.IMREAD_UNCHANGED)
    if image is None:
        raise unreadable("OpenCV could not decode the data")
    return to_bgr(image)


def to_bgr(source: npt.NDArray[Any]) -> BGR:
    """Normalise a decoded array (grey, BGR, BGRA; 8 or 16 bit) to contiguous BGR uint8."""
    image: npt.NDArray[Any] = source
    if image.dtype == np.uint16:
        image = (image >> 8).astype(np.uint8)
    elif image.dtype in (np.float32, np.float64):
        image = np.clip(np.asarray(image) * 255.0, 0, 255).astype(np.uint8)
    elif image.dtype != np.uint8:
        raise unreadable(f"unsupported pixel type {image.dtype}")
    if image.ndim == 2:
        return np.asarray(cv2.cvtColor(image, cv2.COLOR_GRAY2BGR), dtype=np.uint8)
    if image.ndim != 3 or image.shape[2] not in (1, 3, 4):
        raise unreadable(f"unsupported image shape {image.shape}")
    if image.shape[2] == 1:
        return np.asarray(cv2.cvtColor(image, cv2.COLOR_GRAY2BGR), dtype=np.uint8)
    if image.shape[2] == 4:
        # Transparent pixels hold arbitrary colour; put the picture on white as a viewer would.
        alpha = image[:, :, 3:4].astype(np.uint16)
        colour = image[:, :, :3].astype(np.uint16)
        blended = (colour * alpha + 255 * (255 - alpha) + 127) // 255  # fits in uint16
        return np.ascontiguousarray(blended, dtype=np.uint8)
    return np.ascontiguousarray(image, dtype=np.uint8)


def load_image(source: object) -> BGR:
    """Bytes, a file path, or an array (BGR/BGRA/grey) to a BGR uint8 array; raises FaceError."""
    if isinstance(source, bytes | bytearray | memoryview):
        return decode_image(bytes(source))
    if isinstance(source, Path | str):
        path = Path(source)
        try:
            size = path.stat().st_size
            if size > MAX_BYTES:
                raise too_large(f"{path.name}: {size} bytes")
            data = path.read_bytes()
        except OSError as exc:
            raise unreadable(f"{path.name}: {exc.strerror or exc}") from exc
        return decode_image(data)
    if isinstance(source, np.ndarray):
        if source.size == 0:
            raise unreadable("empty array")
        return to_bgr(source)
    raise unreadable(f"unsupported input {type(source).__name__}")
