"""The receipt's print button: Qt's own print dialog (in Chinese), driven with real key
events, printing a print-friendly page to a real PDF file whose text is read back with
pdftotext (poppler-utils)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QApplication, QDialogButtonBox
from pytestqt.qtbot import QtBot

from examkiosk.ui.i18n import set_language
from examkiosk.ui.seat import SeatScreen
from tests.ui.seat.conftest import TICKET
from tests.ui.seat.test_seat import enter_exam, press, saved


def pdf_text(path: Path) -> str:
    tool = shutil.which("pdftotext")
    if tool is None:
        pytest.fail("pdftotext (Debian package poppler-utils) is needed to read the PDF back")
    return subprocess.run(
        [tool, "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def pdf_printer(path: Path) -> QPrinter:
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(path))
    return printer


def submitted(qtbot: QtBot, seat: SeatScreen) -> None:
    enter_exam(qtbot, seat)
    press(qtbot, seat, Qt.Key.Key_A)
    qtbot.waitUntil(lambda: saved(seat), timeout=5000)
    press(qtbot, seat, Qt.Key.Key_R)
    dialog = seat.review.ask_to_submit()
    qtbot.waitExposed(dialog)
    qtbot.mouseClick(dialog.confirm, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: seat.stack.currentWidget() is seat.receipt, timeout=5000)


def answer_print_dialog(qtbot: QtBot, key: Qt.Key, seen: dict[str, str]) -> None:
    """When Qt's print dialog is up, note its texts and press `key` in it."""

    def act() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QPrintDialog):
            QTimer.singleShot(50, act)
            return
        seen["title"] = dialog.windowTitle()
        box = dialog.findChild(QDialogButtonBox)
        seen["buttons"] = " ".join(b.text() for b in box.buttons()) if box else ""
        qtbot.keyClick(dialog, key)

    QTimer.singleShot(50, act)


def test_print_button_prints_a_readable_receipt_to_pdf(
    qtbot: QtBot, seat: SeatScreen, tmp_path: Path
) -> None:
    submitted(qtbot, seat)
    page = seat.receipt
    assert page.print_button.isVisible() and page.print_button.text() == "打印回执"
    out = tmp_path / "receipt.pdf"
    page.printer = pdf_printer(out)
    seen: dict[str, str] = {}
    answer_print_dialog(qtbot, Qt.Key.Key_Return, seen)  # Enter: 打印
    page.print_button.setFocus()
    qtbot.keyClick(page.print_button, Qt.Key.Key_Return)
    assert seen["title"] == "打印交卷回执"
    assert "打印" in seen["buttons"] and "取消" in seen["buttons"]  # Qt's own, in Chinese
    assert out.exists() and out.read_bytes().startswith(b"%PDF")
    text = pdf_text(out)
    assert "考试交卷回执" in text
    assert "张三" in text and TICKET in text
    assert "已答 1 / 9 题" in text
    assert page.code() in text  # the grouped check code, e.g. 3F2A-91BC-...
    assert page.at is not None and f"{page.at:%Y-%m-%d %H:%M}" in text


def test_escape_in_the_print_dialog_prints_nothing(
    qtbot: QtBot, seat: SeatScreen, tmp_path: Path
) -> None:
    submitted(qtbot, seat)
    out = tmp_path / "receipt.pdf"
    seat.receipt.printer = pdf_printer(out)
    seen: dict[str, str] = {}
    answer_print_dialog(qtbot, Qt.Key.Key_Escape, seen)
    assert seat.receipt.print_receipt() is False
    assert seen["title"] and not out.exists()
    assert seat.stack.currentWidget() is seat.receipt  # the receipt stays for the candidate


def test_the_printed_receipt_is_in_english_when_the_seat_is(
    qtbot: QtBot, seat: SeatScreen, tmp_path: Path
) -> None:
    submitted(qtbot, seat)
    set_language("en")
    seat.retranslate()
    out = tmp_path / "receipt-en.pdf"
    seat.receipt.printer = pdf_printer(out)
    answer_print_dialog(qtbot, Qt.Key.Key_Return, {})
    assert seat.receipt.print_receipt() is True
    text = pdf_text(out)
    assert "Exam submission receipt" in text and "Answered 1 of 9" in text
