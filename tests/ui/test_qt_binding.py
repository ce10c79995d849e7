"""The Qt binding itself must not leak or drop references: PySide6 6.12.0 on Python 3.11
dropped a reference to None on every call returning nothing, and a kiosk left running
(a clock label set every second, camera pictures ten times a second) aborted with
"none_dealloc" after a while. pyproject.toml excludes 6.12; this test says why if it
comes back."""

from __future__ import annotations

import sys

import PySide6
from PySide6.QtWidgets import QApplication, QLabel


def test_calls_returning_nothing_keep_none_alive(themed_app: QApplication) -> None:
    widget = QLabel()
    before = sys.getrefcount(None)
    for n in range(2_000):
        widget.setText(str(n))
        QApplication.processEvents()
    lost = before - sys.getrefcount(None)
    assert lost < 100, (
        f"PySide6 {PySide6.__version__} dropped {lost} references to None in 4,000 calls: "
        "a kiosk running for hours would abort (none_dealloc). Use PySide6-Essentials 6.11.x "
        "(pyproject.toml: <6.12)."
    )
