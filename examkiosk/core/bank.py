"""Question-bank import, common part: problems found, and assembling a checked paper.

Importers (`bank_xlsx`, `bank_qti`) read everything, collect every problem with where it
is (sheet row and column, or file and line), and return a paper only when there is none:
an import never goes half-way. The paper is the exam package's `paper` object; papers
reach a station only inside a package signed by the centre.
"""

from __future__ import annotations

import base64
import io
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from examkiosk.core.errors import KioskError
from examkiosk.core.paper import PaperError, build_paper
from examkiosk.store.atomic import write_atomic

MAX_IMAGE_BYTES = 2 * 1024 * 1024
IMAGE_TYPES = {b"\x89PNG": "image/png", b"\xff\xd8\xff": "image/jpeg", b"GIF8": "image/gif"}
# A picture with more pixels than this is refused before it is decoded (a few KB of PNG can
# claim 20,000 x 20,000 and take gigabytes to decode); a larger one than the seat shows is
# scaled down to fit it, so the package carries no more than the candidate can see.
MAX_SOURCE_PIXELS = 40_000_000
SEAT_PICTURE = (1920, 1080)
MAX_SCORE = 1000.0


@dataclass(frozen=True)
class Problem:
    where: str  # "第5行 H列 (row 5, column H)" or "item3.xml:12:4"
    zh: str
    en: str

    def __str__(self) -> str:
        return f"{self.where}: {self.en}"


class BankImportError(KioskError):
    """The bank has problems; `problems` lists every one. Nothing was imported."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        shown = list(problems[:10])
        more = len(problems) - len(shown)
        zh = (
            "题库有错误，未导入任何试题。请改正后重新导入：\n"
            + "\n".join(f"{p.where}：{p.zh}" for p in shown)
            + (f"\n……另有 {more} 处" if more else "")
        )
        en = (
            "The question bank has errors; nothing was imported. Fix them and import again:\n"
            + ("\n".join(f"{p.where}: {p.en}" for p in shown))
            + (f"\n... and {more} more" if more else "")
        )
        super().__init__(zh, en)
        self.problems = list(problems)


def cell_where(row: int, column: str) -> str:
    return f"第{row}行 {column}列 (row {row}, column {column})"


def image_media(data: bytes) -> str | None:
    """The media type of an image we can show, or None."""
    return next((t for magic, t in IMAGE_TYPES.items() if data.startswith(magic)), None)


def parse_score(value: str | None) -> float | None:
    """A score as written in a bank: a finite number in (0, MAX_SCORE]; None otherwise."""
    try:
        score = float(value or 1)
    except ValueError:
        return None
    return score if math.isfinite(score) and 0 < score <= MAX_SCORE else None


def inside(folder: Path, relative: str) -> Path | None:
    """`relative` resolved under `folder` (links followed), or None if it leads outside: a
    bank may only use pictures from its own folder."""
    if not relative or relative.startswith(("/", "\\")) or ":" in relative[:3]:
        return None
    base = folder.resolve()
    target = (base / relative).resolve()
    return target if target.is_relative_to(base) else None


def picture(data: bytes, name: str) -> tuple[dict[str, str] | None, tuple[str, str] | None]:
    """(image object, None) or (None, (zh, en) problem) for a picture's bytes: a PNG, JPEG
    or GIF of at most MAX_SOURCE_PIXELS, scaled down to SEAT_PICTURE when larger."""
    if len(data) > MAX_IMAGE_BYTES:
        return None, (f"图片 {name} 超过 2 MB", f"image {name} is over 2 MB")
    media = image_media(data)
    if media is None:
        return None, (f"图片 {name} 不是 PNG/JPEG/GIF", f"image {name} is not PNG/JPEG/GIF")
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size  # from the header: nothing decoded yet
            if width * height > MAX_SOURCE_PIXELS:
                return None, _too_many_pixels(name, f"{width}x{height}")
            if width > SEAT_PICTURE[0] or height > SEAT_PICTURE[1]:
                image.thumbnail(SEAT_PICTURE)
                out = io.BytesIO()
                if media == "image/jpeg":
                    image.convert("RGB").save(out, "JPEG", quality=90)
                else:  # PNG, and a GIF's first frame as PNG
                    image.save(out, "PNG", optimize=True)
                    media = "image/png"
                data = out.getvalue()
            else:
                image.verify()
    except Image.DecompressionBombError:  # Pillow's own guard, at twice its pixel limit
        return None, _too_many_pixels(name, "")
    except (OSError, ValueError, UnidentifiedImageError) as exc:
        return None, (f"图片 {name} 已损坏", f"image {name} is damaged ({type(exc).__name__})")
    return {"media_type": media, "data_b64": base64.b64encode(data).decode()}, None


def _too_many_pixels(name: str, size: str) -> tuple[str, str]:
    shown = f" ({size})" if size else ""
    return (
        f"图片 {name} 像素过多{shown}，请缩小后再导入",
        f"image {name} has too many pixels{shown}; scale it down",
    )


def load_image(
    path: Path, folder: Path | None = None
) -> tuple[dict[str, str] | None, tuple[str, str] | None]:
    """(image object, None) or (None, (zh, en) problem) for an image file; with `folder`,
    `path` must lie inside it."""
    if folder is not None:
        found = inside(folder, str(path))
        if found is None:
            return None, (
                f"图片 {path} 不在题库所在文件夹内",
                f"image {path} is not inside the bank's folder",
            )
        path = found
    try:
        if path.stat().st_size > MAX_IMAGE_BYTES:
            return None, (f"图片 {path.name} 超过 2 MB", f"image {path.name} is over 2 MB")
        data = path.read_bytes()
    except OSError:
        return None, (f"找不到图片文件 {path.name}", f"image file {path.name} not found")
    return picture(data, path.name)


def check_paper(paper: Mapping[str, Any]) -> None:
    """Raise PaperError if the engine could not run this paper (a last, whole-paper check)."""
    rows = []
    position = 0
    for section in paper["sections"]:
        for item in section["items"]:
            position += 1
            rows.append(
                (
                    item["item_id"],
                    section["section_id"],
                    position,
                    json.dumps(item, ensure_ascii=False),
                )
            )
    if not rows:
        raise PaperError("题库中没有试题。", "The bank holds no items.")
    build_paper(rows, paper["sections"])


def write_paper(paper: Mapping[str, Any], out: Path) -> None:
    """Write a checked paper as JSON (atomically: all of it or nothing)."""
    data = json.dumps(paper, ensure_ascii=False, indent=1, sort_keys=True).encode()
    write_atomic(out, data, mode=0o600)
