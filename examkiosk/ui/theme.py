"""The kiosk's look: a CJK font, large touch-friendly controls, colours that carry meaning.

Colours for verdicts are the same everywhere (green admit, amber review, red refuse) so an
invigilator reads the decision before the words.
"""

from __future__ import annotations

from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

from examkiosk.ui.i18n import install_qt_translations

# Tried in order; the first installed one renders every Chinese glyph (no tofu boxes).
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "PingFang SC",
)

ADMIT = "#1b7f3b"
REVIEW = "#b26a00"
REFUSE = "#b3261e"
NEUTRAL = "#44546a"
ACCENT = "#1f5fbf"

RECOMMENDATION_COLOURS = {"admit": ADMIT, "review": REVIEW, "refuse": REFUSE}

STYLESHEET = f"""
QWidget {{ font-size: 16px; color: #1d2733; }}
QMainWindow, QWidget#screen {{ background: #f3f5f8; }}
QFrame#card {{ background: white; border: 1px solid #d5dbe3; border-radius: 10px; }}
QLabel[role="heading"] {{ font-size: 20px; font-weight: bold; color: #16324f; }}
QLabel[role="muted"] {{ color: #5b6776; }}
QLabel[role="banner"] {{ font-size: 22px; font-weight: bold; color: white; border-radius: 8px;
    padding: 10px 14px; }}
QLabel[role="error"] {{ color: {REFUSE}; font-weight: bold; }}
QWidget[role="photo"] {{ background: #e7ebf0; border: 1px solid #c9d1db; border-radius: 6px;
    color: #5b6776; }}
QPushButton {{ min-height: 52px; padding: 4px 18px; border-radius: 8px; font-size: 18px;
    background: #e4e9f0; border: 1px solid #b9c3cf; }}
QPushButton:pressed {{ background: #cfd8e3; }}
QPushButton:disabled {{ color: #9aa5b1; background: #eef1f4; }}
QPushButton[role="primary"] {{ background: {ACCENT}; color: white; border: none; }}
QPushButton[role="admit"] {{ background: {ADMIT}; color: white; border: none; }}
QPushButton[role="refuse"] {{ background: {REFUSE}; color: white; border: none; }}
QPushButton[role="mode"] {{ min-height: 44px; background: #2c4a6e; color: #dfe8f3; border: none; }}
QPushButton[role="mode"]:checked {{ background: white; color: #16324f; font-weight: bold; }}
QWidget#header {{ background: #16324f; }}
QWidget#header QLabel {{ color: white; }}
QLineEdit, QComboBox {{ min-height: 44px; font-size: 18px; padding: 0 8px;
    border: 1px solid #b9c3cf; border-radius: 6px; background: white; }}
QLineEdit[valid="false"] {{ border: 2px solid {REFUSE}; }}
QLineEdit[valid="true"] {{ border: 2px solid {ADMIT}; }}
QTableWidget {{ background: white; font-size: 17px; gridline-color: #e1e6ec; }}
QHeaderView::section {{ font-size: 16px; padding: 6px; background: #e4e9f0; border: none; }}
QProgressBar {{ min-height: 28px; border-radius: 6px; text-align: center; background: #e4e9f0; }}
QProgressBar::chunk {{ background: {ACCENT}; border-radius: 6px; }}
"""


def cjk_family() -> str | None:
    """The first installed CJK font family, or None (Chinese would then show as boxes)."""
    installed = set(QFontDatabase.families())
    return next((f for f in CJK_FAMILIES if f in installed), None)


def apply_theme(app: QApplication) -> str | None:
    """Set the application font and stylesheet; returns the CJK family used (or None)."""
    family = cjk_family()
    font = QFont(family) if family else QFont()
    font.setPixelSize(16)
    app.setFont(font)
    app.setStyleSheet(STYLESHEET)
    install_qt_translations(app)  # Qt's own dialogs speak the kiosk's language too
    return family
