"""The resident ID card's chip photo is WLT-compressed; only the vendor's library decodes it.

Venues that have the reader vendor's decoder (e.g. `libwlt.so`) configure its path; we load
it through ctypes. The usual Linux export is `int unpack(char *wlt, char *bmp, int code)`:
1024 bytes of WLT in, a 102x126 24-bit BMP (38862 bytes) out, 1 on success; `code` is a
vendor value (often 602). Without a decoder the document has no chip photo and the door
says so ("no chip photo; using the roster photo").
"""

from __future__ import annotations

import ctypes
import io
from pathlib import Path

from PIL import Image

from hardware.cards.errors import CardError

WIDTH, HEIGHT = 102, 126
BMP_SIZE = 38862
NO_PHOTO_ZH = "无证件芯片照片，使用报名照片比对。"
NO_PHOTO_EN = "No chip photo; using the roster photo."


class WltDecoderUnavailable(CardError):
    def __init__(self, detail: str = "") -> None:
        super().__init__(
            "身份证照片解码库无法加载，照片比对将使用报名照片。请技术人员检查配置的解码库路径。",
            "The ID photo decoder library could not be loaded; the roster photo will be used. "
            "Ask the technician to check the configured decoder path.",
            detail=detail,
        )


class WltDecoder:
    def __init__(self, library: str | Path, *, symbol: str = "unpack", code: int = 602) -> None:
        try:
            lib = ctypes.CDLL(str(library))
            self._fn = getattr(lib, symbol)
        except (OSError, AttributeError) as exc:
            raise WltDecoderUnavailable(f"{library}: {exc}") from exc
        self._fn.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int]
        self._fn.restype = ctypes.c_int
        self._code = code

    def decode(self, wlt: bytes) -> bytes | None:
        """A JPEG of the chip photo, or None when the library rejects the data."""
        if len(wlt) != 1024:
            return None
        src = ctypes.create_string_buffer(wlt, 1024)
        dst = ctypes.create_string_buffer(BMP_SIZE * 2)  # headroom for vendors that overrun
        if self._fn(src, dst, self._code) != 1:
            return None
        raw = dst.raw
        img: Image.Image
        try:
            if raw[:2] == b"BM":
                img = Image.open(io.BytesIO(raw[: int.from_bytes(raw[2:6], "little")]))
            else:  # bare bottom-up BGR rows padded to 4 bytes
                stride = (WIDTH * 3 + 3) & ~3
                img = Image.frombuffer("RGB", (WIDTH, HEIGHT), raw, "raw", "BGR", stride, -1)
            out = io.BytesIO()
            img.convert("RGB").save(out, "JPEG", quality=95)
        except (OSError, ValueError):
            return None
        return out.getvalue()
