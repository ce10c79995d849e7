"""PDF reports (a station's inspection, statistics at the station and the centre) with Chinese text and simple charts, via fpdf2.

fpdf2 embeds a subset of an OpenType CJK font (Noto Sans CJK SC, from the TTC collection
that fonts-noto-cjk installs), so the PDF shows the same on any reader. Charts are drawn
with plain rectangles and lines: bars and histograms are all the reports need.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from sync.errors import SyncError
from sync.media import atomic_file

FONT_CANDIDATES = (
    # (path, index of "Noto Sans CJK SC" in the collection)
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", 2),
)
# Windows: Microsoft YaHei (msyh.ttc, index 0) and SimSun come with Windows 10 and 11.
WINDOWS_FONTS = (("msyh.ttc", 0), ("simsun.ttc", 0))
STATUS_COLOURS = {"ok": (30, 130, 60), "warning": (200, 120, 0), "failure": (190, 30, 30)}


def font_candidates(platform: str, env: Mapping[str, str]) -> list[tuple[str, int]]:
    """Where to look for a CJK font on this system, in order (the first that exists wins)."""
    if platform == "win32":
        fonts = Path(env.get("WINDIR") or env.get("SystemRoot") or "C:\\Windows") / "Fonts"
        return [(str(fonts / name), index) for name, index in WINDOWS_FONTS]
    return list(FONT_CANDIDATES)


def cjk_font() -> tuple[str, int]:
    override = os.environ.get("EXAMKIOSK_PDF_FONT")
    if override:
        return override, 0
    for path, index in font_candidates(sys.platform, os.environ):
        if Path(path).is_file():
            return path, index
    if sys.platform == "win32":
        raise SyncError(
            "找不到中文字体（微软雅黑 msyh.ttc），无法生成 PDF。请设置 EXAMKIOSK_PDF_FONT 指向一个中文字体文件。",
            "No Chinese font (Microsoft YaHei, msyh.ttc) was found, so no PDF can be written. "
            "Set EXAMKIOSK_PDF_FONT to a Chinese font file.",
        )
    raise SyncError(
        "找不到中文字体，无法生成 PDF。请安装 fonts-noto-cjk。",
        "No Chinese font found, so no PDF can be written. Install fonts-noto-cjk.",
    )


class PdfReport:
    """A4 portrait, one column; `save()` writes the file atomically."""

    def __init__(self, title: str) -> None:
        from fpdf import FPDF

        # fontTools reports every table it subsets at INFO: noise in the station's log.
        logging.getLogger("fontTools").setLevel(logging.WARNING)

        path, index = cjk_font()
        self.pdf = FPDF(format="A4")
        self.pdf.set_title(title)
        self.pdf.set_creator("ExamKiosk")
        self.pdf.add_font("cjk", fname=path, collection_font_number=index)
        self.pdf.set_auto_page_break(auto=True, margin=15)
        self.pdf.add_page()
        self.pdf.set_font("cjk", size=16)
        self.pdf.multi_cell(0, 9, title, align="L", new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(2)

    @property
    def width(self) -> float:
        return float(self.pdf.w - self.pdf.l_margin - self.pdf.r_margin)

    def heading(self, text: str) -> None:
        self.pdf.ln(3)
        self.pdf.set_font("cjk", size=13)
        self.pdf.multi_cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
        self.pdf.set_font("cjk", size=9)

    def paragraph(self, text: str, colour: tuple[int, int, int] = (0, 0, 0)) -> None:
        self.pdf.set_font("cjk", size=9)
        self.pdf.set_text_color(*colour)
        self.pdf.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")
        self.pdf.set_text_color(0, 0, 0)

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
        from fpdf.fonts import FontFace

        self.pdf.set_font("cjk", size=8)
        # One CJK face only (no bold variant embedded): headings are set apart by colour.
        headings = FontFace(emphasis="", fill_color=(221, 230, 243))
        with self.pdf.table(
            text_align="LEFT", line_height=5, first_row_as_headings=True, headings_style=headings
        ) as table:
            row = table.row()
            for h in headers:
                row.cell(str(h))
            for values in rows:
                row = table.row()
                for v in values:
                    row.cell(_cell(v))
        self.pdf.ln(2)

    def status_line(self, status: str, title: str, detail: str, action: str) -> None:
        self.pdf.set_font("cjk", size=9)
        self.pdf.set_text_color(*STATUS_COLOURS.get(status, (0, 0, 0)))
        self.pdf.multi_cell(0, 5, f"[{status.upper()}] {title}", new_x="LMARGIN", new_y="NEXT")
        self.pdf.set_text_color(0, 0, 0)
        self.pdf.multi_cell(0, 4.5, f"    {detail}", new_x="LMARGIN", new_y="NEXT")
        if action:
            self.pdf.multi_cell(0, 4.5, f"    → {action}", new_x="LMARGIN", new_y="NEXT")

    def bar_chart(
        self, title: str, labels: Sequence[str], values: Sequence[float], *, height: float = 45
    ) -> None:
        """Vertical bars with their values above and labels below (a histogram when the
        labels are bins)."""
        self.heading(title)
        if not values:
            self.paragraph("—")
            return
        pdf = self.pdf
        if pdf.get_y() + height + 20 > pdf.h - pdf.b_margin:
            pdf.add_page()
        x0, y0 = pdf.l_margin, pdf.get_y() + 4
        top = max(max(values), 1e-9)
        slot = self.width / len(values)
        bar = slot * 0.7
        pdf.set_draw_color(120, 120, 120)
        pdf.line(x0, y0 + height, x0 + self.width, y0 + height)
        pdf.set_font("cjk", size=6 if len(values) > 16 else 7)
        for i, (label, value) in enumerate(zip(labels, values, strict=True)):
            h = height * (value / top)
            x = x0 + i * slot + (slot - bar) / 2
            pdf.set_fill_color(70, 110, 180)
            if h > 0:
                pdf.rect(x, y0 + height - h, bar, h, style="F")
            pdf.text(x, y0 + height - h - 1, _cell(value))
            pdf.text(x, y0 + height + 4, str(label)[:10])
        pdf.set_y(y0 + height + 8)

    def save(self, path: Path) -> Path:
        """Write the PDF all or nothing; MediaError (zh/en) if the place cannot take it."""
        data = bytes(self.pdf.output())
        with atomic_file(path) as out:
            out.write(data)
        return path


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    return "" if value is None else str(value)
