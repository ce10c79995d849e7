"""Question-bank import, common part: problems found, and assembling a checked paper.

Importers (`bank_xlsx`, `bank_qti`) read everything, collect every problem with where it
is (sheet row and column, or file and line), and return a paper only when there is none:
an import never goes half-way. The paper is the exam package's `paper` object; papers
reach a station only inside a package signed by the centre.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from examkiosk.core.errors import KioskError
from examkiosk.core.paper import PaperError, build_paper
from examkiosk.store.atomic import write_atomic

MAX_IMAGE_BYTES = 2 * 1024 * 1024
IMAGE_TYPES = {b"\x89PNG": "image/png", b"\xff\xd8\xff": "image/jpeg", b"GIF8": "image/gif"}


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


def load_image(path: Path) -> tuple[dict[str, str] | None, tuple[str, str] | None]:
    """(image object, None) or (None, (zh, en) problem) for an image file."""
    import base64

    try:
        data = path.read_bytes()
    except OSError:
        return None, (f"找不到图片文件 {path.name}", f"image file {path.name} not found")
    if len(data) > MAX_IMAGE_BYTES:
        return None, (f"图片 {path.name} 超过 2 MB", f"image {path.name} is over 2 MB")
    media = image_media(data)
    if media is None:
        return None, (
            f"图片 {path.name} 不是 PNG/JPEG/GIF",
            f"image {path.name} is not PNG/JPEG/GIF",
        )
    return {"media_type": media, "data_b64": base64.b64encode(data).decode()}, None


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
