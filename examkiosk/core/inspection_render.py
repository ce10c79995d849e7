"""The inspection report as text (terminal, admin page) and as PDF."""

from __future__ import annotations

from pathlib import Path

from examkiosk.core.inspection import FAILURE, OK, WARNING, InspectionReport

VERDICT = {
    OK: ("正常", "OK"),
    WARNING: ("有警告", "WARNINGS"),
    FAILURE: ("有故障", "FAILURE"),
}
MARK = {OK: ("正常", "ok"), WARNING: ("警告", "warning"), FAILURE: ("故障", "FAILURE")}


def _en(lang: str) -> bool:
    return lang.startswith("en")


def header_lines(report: InspectionReport, lang: str) -> list[str]:
    en = _en(lang)
    verdict = VERDICT[report.verdict][1 if en else 0]
    c = report.counts()
    return [
        ("Inspection of " if en else "巡检报告 ")
        + f"{report.station_id or '?'} ({report.venue_id}, {report.mode}) {report.at[:19]}",
        ("Verdict: " if en else "结论：")
        + f"{verdict} — {c[OK]} ok, {c[WARNING]} warnings, {c[FAILURE]} failures",
    ]


def report_text(report: InspectionReport, lang: str) -> str:
    en = _en(lang)
    lines = header_lines(report, lang)
    lines.append("")
    for f in report.findings:
        mark = MARK[f.status][1 if en else 0]
        lines.append(f"[{mark}] {f.title_en if en else f.title_zh}: {f.detail}")
        action = f.action_en if en else f.action_zh
        if action:
            lines.append(f"        → {action}")
    return "\n".join(lines)


def report_pdf(report: InspectionReport, path: Path, lang: str = "zh_CN") -> Path:
    from sync.report_pdf import PdfReport

    en = _en(lang)
    first, verdict = header_lines(report, lang)
    pdf = PdfReport(first)
    pdf.paragraph(verdict)
    pdf.paragraph(f"ExamKiosk {report.version}, data {report.data_dir}")
    if report.recorded_seq:
        pdf.paragraph(
            ("Recorded as event seq " if en else "已记录为事件 seq ") + str(report.recorded_seq)
        )
    pdf.heading("Findings" if en else "检查项")
    for f in report.findings:
        pdf.status_line(
            f.status,
            f.title_en if en else f"{f.title_zh} {f.title_en}",
            f.detail,
            f.action_en if en else f.action_zh,
        )
    return pdf.save(path)
