"""Statistics as an XLSX workbook (one formatted sheet per table) and as a PDF with charts:
attendance bars, check-ins per hour, the score histogram. Used by the station and the centre."""

from __future__ import annotations

import io
from pathlib import Path

from sync.exam_stats import ExamStats, Table
from sync.media import atomic_file

PERCENT_COLUMNS = {"p-value", "flag rate"}


def _title(table: Table, lang: str) -> str:
    return table.title_en if lang.startswith("en") else f"{table.title_zh} {table.title_en}"


def write_xlsx(stats: ExamStats, path: Path, *, heading: str, lang: str = "zh_CN") -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDE6F3")
    summary = book.create_sheet("summary")
    summary.append([heading])
    summary["A1"].font = Font(bold=True, size=14)
    summary.append(["sitting", stats.sitting_id or "all"])
    for k, v in stats.summary.items():
        summary.append([k, v])
    summary.column_dimensions["A"].width = 24
    for table in stats.tables:
        sheet = book.create_sheet(table.name[:31])
        sheet.append([_title(table, lang)])
        sheet["A1"].font = Font(bold=True, size=12)
        sheet.append(list(table.headers))
        for cell in sheet[2]:
            cell.font, cell.fill = bold, fill
            cell.alignment = Alignment(horizontal="center", wrap_text=True)
        for row in table.rows:
            sheet.append(list(row))
        for index, header in enumerate(table.headers, start=1):
            letter = get_column_letter(index)
            longest = max([len(str(header))] + [len(str(r[index - 1])) for r in table.rows])
            sheet.column_dimensions[letter].width = min(60, max(10, longest + 2))
            if header in PERCENT_COLUMNS:
                for (cell,) in sheet.iter_rows(min_row=3, min_col=index, max_col=index):
                    cell.number_format = "0.0%"
            elif header == "point-biserial":
                for (cell,) in sheet.iter_rows(min_row=3, min_col=index, max_col=index):
                    cell.number_format = "0.000"
        sheet.freeze_panes = "A3"
    buffer = io.BytesIO()
    book.save(buffer)
    with atomic_file(path) as out:
        out.write(buffer.getvalue())
    return path


def write_pdf(stats: ExamStats, path: Path, *, heading: str, lang: str = "zh_CN") -> Path:
    from sync.report_pdf import PdfReport

    pdf = PdfReport(heading)
    pdf.paragraph(
        f"sitting {stats.sitting_id or 'all'}; "
        + ", ".join(f"{k} {v}" for k, v in stats.summary.items())
    )
    attendance = stats.table("attendance")
    rows = [r for r in attendance.rows if r[0] != "total"] or list(attendance.rows)
    if rows:
        labels = ["registered", "admitted", "refused", "no-shows"]
        values = [float(sum(int(r[i]) for r in rows)) for i in range(1, 5)]
        pdf.bar_chart(_title(attendance, lang), labels, values)
    hourly = stats.table("per_hour")
    pdf.bar_chart(
        _title(hourly, lang), [r[0] for r in hourly.rows], [float(r[1]) for r in hourly.rows]
    )
    scores = stats.table("scores")
    pdf.bar_chart(
        _title(scores, lang), [r[0] for r in scores.rows], [float(r[1]) for r in scores.rows]
    )
    for table in stats.tables:
        pdf.heading(_title(table, lang))
        if table.rows:
            pdf.table(table.headers, table.rows)
        else:
            pdf.paragraph("—")
    return pdf.save(path)


def _fmt(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def stats_text(stats: ExamStats, lang: str = "zh_CN") -> str:
    """The tables as aligned text for a terminal."""
    lines: list[str] = []
    for table in stats.tables:
        lines.append(f"\n== {_title(table, lang)} ==")
        widths = [
            max([len(str(h))] + [len(_fmt(r[i])) for r in table.rows])
            for i, h in enumerate(table.headers)
        ]
        lines.append("  ".join(str(h).ljust(w) for h, w in zip(table.headers, widths, strict=True)))
        for row in table.rows:
            lines.append("  ".join(_fmt(v).ljust(w) for v, w in zip(row, widths, strict=True)))
    lines.append("\n" + ", ".join(f"{k} {v}" for k, v in stats.summary.items()))
    return "\n".join(lines)
