"""ExamKiosk: the exam venue kiosk."""

__version__ = "0.1.0"
