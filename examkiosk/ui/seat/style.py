"""The seat's look: an adjustable font size and a high-contrast theme.

Applied as a stylesheet on the seat screen only, so the door and admin screens keep theirs.
Focus is always drawn clearly: a candidate working with the keyboard alone must see where
they are.
"""

from __future__ import annotations

FONT_SIZES = (16, 18, 20, 24, 28, 32)
DEFAULT_FONT_INDEX = 2

ANSWERED = "#1b7f3b"
FLAGGED = "#b26a00"
CURRENT = "#1f5fbf"


def palette(high_contrast: bool) -> dict[str, str]:
    """The colours the legend names, so the legend always tells the truth."""
    if high_contrast:
        return {
            "answered": "#00ff66",
            "flagged": "#ff9900",
            "unanswered": "#000000",
            "unanswered_text": "#ffffff",
            "current": "#00ccff",
            "selected": "#ffff00",
            "selected_text": "#000000",
        }
    return {
        "answered": ANSWERED,
        "flagged": FLAGGED,
        "unanswered": "#ffffff",
        "unanswered_text": "#1d2733",
        "current": CURRENT,
        "selected": "#dcefe2",
        "selected_text": "#0d3d1c",
    }


def stylesheet(font_px: int, high_contrast: bool) -> str:
    small = max(14, font_px - 4)
    colours = palette(high_contrast)
    selected, selected_text = colours["selected"], colours["selected_text"]
    if high_contrast:
        bg, fg, panel, border, accent, muted = (
            "#000000",
            "#ffffff",
            "#000000",
            "#ffff00",
            "#ffff00",
            "#ffffff",
        )
        answered, flagged, current = "#00ff66", "#ff9900", "#00ccff"
    else:
        bg, fg, panel, border, accent, muted = (
            "#f3f5f8",
            "#1d2733",
            "#ffffff",
            "#b9c3cf",
            CURRENT,
            "#5b6776",
        )
        answered, flagged, current = ANSWERED, FLAGGED, CURRENT
    return f"""
QWidget#seat, QWidget#seat QWidget {{ font-size: {font_px}px; color: {fg}; }}
QWidget#seat {{ background: {bg}; }}
QWidget#seat QScrollArea, QWidget#seat QScrollArea > QWidget > QWidget {{ background: {bg}; }}
QWidget#seat QFrame#panel {{ background: {panel}; border: 2px solid {border}; border-radius: 8px; }}
QWidget#seat QLabel[role="timer"] {{ font-size: {font_px + 10}px; font-weight: bold; color: {accent}; }}
QWidget#seat QLabel[role="timer_low"] {{ font-size: {font_px + 10}px; font-weight: bold;
    color: white; background: #b3261e; border-radius: 6px; padding: 0 8px; }}
QWidget#seat QLabel[role="heading"] {{ font-size: {font_px + 4}px; font-weight: bold; }}
QWidget#seat QLabel[role="muted"] {{ color: {muted}; font-size: {small}px; }}
QWidget#seat QLabel[role="warning"] {{ background: #b26a00; color: white; font-weight: bold;
    padding: 8px 12px; border-radius: 6px; }}
QWidget#seat QLabel[role="error"] {{ color: #ff4d4d; font-weight: bold; }}
QWidget#seat QLabel[role="saved"] {{ color: {answered}; font-size: {small}px; }}
QWidget#seat QLabel[role="group"] {{ border-left: 4px solid {accent}; padding-left: 8px; }}
QWidget#seat QPushButton {{ min-height: {font_px + 24}px; padding: 2px 14px; border-radius: 6px;
    background: {panel}; color: {fg}; border: 2px solid {border}; }}
QWidget#seat QPushButton:focus, QWidget#seat QRadioButton:focus, QWidget#seat QCheckBox:focus,
QWidget#seat QLineEdit:focus {{ border: 3px solid {accent}; }}
QWidget#seat QPushButton[role="primary"] {{ background: {accent}; color: {bg}; border: none; }}
QWidget#seat QPushButton[nav="answered"] {{ background: {answered}; color: {bg}; }}
QWidget#seat QPushButton[nav="flagged"] {{ background: {flagged}; color: {bg}; }}
QWidget#seat QPushButton[nav="unanswered"] {{ background: {panel}; color: {fg}; }}
QWidget#seat QPushButton[current="true"] {{ border: 4px solid {current}; }}
QWidget#seat QPushButton[nav], QWidget#seat QPushButton[nav]:focus {{
    min-height: {font_px + 14}px; min-width: {font_px * 2 + 8}px; padding: 0; }}
QWidget#seat QDialog {{ background: {bg}; }}
QWidget#seat QFrame[role="case"] {{ background: {panel}; border: 2px solid {border};
    border-left: 6px solid {accent}; border-radius: 6px; }}
QWidget#seat QRadioButton, QWidget#seat QCheckBox {{ padding: 8px; border: 2px solid transparent;
    border-radius: 6px; spacing: 10px; }}
QWidget#seat QRadioButton:checked, QWidget#seat QCheckBox:checked {{ background: {selected};
    color: {selected_text}; font-weight: bold; border: 2px solid {answered}; }}
QWidget#seat QRadioButton:focus, QWidget#seat QCheckBox:focus {{ border: 3px dashed {accent}; }}
QWidget#seat QRadioButton:checked:focus, QWidget#seat QCheckBox:checked:focus {{
    border: 3px dashed {current}; }}
QWidget#seat QRadioButton::indicator, QWidget#seat QCheckBox::indicator {{
    width: {font_px}px; height: {font_px}px; }}
QWidget#seat QLineEdit {{ min-height: {font_px + 20}px; background: {panel}; color: {fg};
    border: 2px solid {border}; border-radius: 6px; padding: 0 8px; }}
"""
