"""The printable recovery sheet: what a venue keeps sealed with its exam materials.

It names the station and carries the recovery passphrase (the only way to open the station's
data on other hardware) and the station's public key fingerprint (what the centre registers).
Written as a PDF the technician prints or keeps on the venue's USB drive.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QMarginsF
from PySide6.QtGui import QPageLayout, QPageSize, QPdfWriter, QTextDocument


@dataclass(frozen=True)
class SheetFacts:
    station_id: str
    venue_id: str
    mode: str
    station_key_id: str
    central_key_id: str
    provisioned_at: str


def sheet_html(facts: SheetFacts, passphrase: str) -> str:
    rows = [
        ("工作站编号 Station", facts.station_id),
        ("考点 Venue", facts.venue_id),
        ("用途 Mode", facts.mode),
        ("本机公钥指纹 Station key", facts.station_key_id),
        ("考试中心公钥指纹 Centre key", facts.central_key_id),
        ("部署时间 Provisioned", facts.provisioned_at),
    ]
    table = "".join(
        f"<tr><td><b>{html.escape(k)}</b></td><td>{html.escape(v)}</td></tr>" for k, v in rows
    )
    return (
        "<h2>ExamKiosk 恢复单 Recovery sheet</h2>"
        f"<table cellpadding='6'>{table}</table>"
        "<h3>恢复口令 Recovery passphrase</h3>"
        f"<p style='font-size:16pt; font-family:monospace'>{html.escape(passphrase)}</p>"
        "<p>请与考试材料一同密封保管；不要与备份放在一起。丢失后本机数据无法在其他硬件上恢复。<br>"
        "Keep sealed with the exam materials, never with a backup. Without it this station's "
        "data cannot be restored on other hardware.</p>"
    )


def write_sheet_pdf(path: Path, facts: SheetFacts, passphrase: str) -> None:
    """Write the sheet as an A4 PDF at `path` (OSError if the drive refuses)."""
    writer = QPdfWriter(str(path))
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4),
            QPageLayout.Orientation.Portrait,
            QMarginsF(15, 15, 15, 15),
        )
    )
    document = QTextDocument()
    document.setHtml(sheet_html(facts, passphrase))
    document.print_(writer)
    if not path.exists() or path.stat().st_size == 0:
        raise OSError(f"the recovery sheet was not written to {path}")
