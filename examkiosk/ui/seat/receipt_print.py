"""Printing the candidate's receipt: Qt's print dialog (in Chinese with Qt's own
translations, examkiosk.ui.i18n) and a print-friendly page — black on white, no screen
theme, the check code large and in groups — so the invigilator can hand a paper copy over.

The page is a QTextDocument laid out on the printer's page rectangle, so the same rendering
goes to a real printer or to a PDF file (QPrinter.PdfFormat, which the tests read back).
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from PySide6.QtCore import QMarginsF, QSizeF
from PySide6.QtGui import QFont, QPageLayout, QTextDocument
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QDialog, QWidget

from examkiosk.ui.i18n import tr


@dataclass(frozen=True)
class PrintedReceipt:
    """What goes on paper (all already in the current language)."""

    title: str
    rows: tuple[tuple[str, str], ...]
    code_label: str
    code: str
    note: str


def receipt_html(receipt: PrintedReceipt) -> str:
    """Plain HTML that prints well: a table of label/value, the code in a large monospace."""
    table = "".join(
        f"<tr><td style='padding:6px 24px 6px 0'>{html.escape(k)}</td>"
        f"<td style='padding:6px 0'><b>{html.escape(v)}</b></td></tr>"
        for k, v in receipt.rows
        if v
    )
    return (
        f"<h2 style='text-align:center'>{html.escape(receipt.title)}</h2>"
        f"<table cellspacing='0'>{table}</table>"
        f"<p style='margin-top:18px'>{html.escape(receipt.code_label)}</p>"
        f"<p style='font-size:20pt; font-family:monospace'><b>{html.escape(receipt.code)}</b></p>"
        f"<p style='margin-top:18px'>{html.escape(receipt.note)}</p>"
    )


def render(receipt: PrintedReceipt, printer: QPrinter) -> None:
    """Lay the receipt out on `printer`'s page and print it (a PDF when its output format
    is PdfFormat and an output file name is set)."""
    printer.setPageMargins(QMarginsF(20, 20, 20, 20), QPageLayout.Unit.Millimeter)
    document = QTextDocument()
    font = QFont()
    # Latin letters and digits from DejaVu Sans, Chinese from Noto Sans CJK: Qt's PDF
    # output of the CJK font's proportional digits has no text mapping, so a PDF of the
    # receipt could not be searched or read back for its ticket number.
    font.setFamilies(["DejaVu Sans", "Noto Sans CJK SC", "Noto Sans CJK JP"])
    font.setPointSize(12)
    document.setDefaultFont(font)
    document.setHtml(receipt_html(receipt))
    page = printer.pageRect(QPrinter.Unit.Point)
    document.setPageSize(QSizeF(page.width(), page.height()))
    document.print_(printer)


def print_dialog(parent: QWidget | None, printer: QPrinter) -> QPrintDialog:
    dialog = QPrintDialog(printer, parent)
    dialog.setObjectName("receipt_print_dialog")
    dialog.setWindowTitle(tr("打印交卷回执", "Print the receipt"))
    return dialog


def ask_and_print(
    parent: QWidget | None, receipt: PrintedReceipt, printer: QPrinter | None = None
) -> bool:
    """Qt's print dialog for `printer` (default: a new high-resolution one), then the
    receipt on what was chosen there; False if cancelled."""
    if printer is None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setDocName(tr("交卷回执", "Receipt"))
    dialog = print_dialog(parent, printer)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return False
    render(receipt, printer)
    return True
