"""The candidate's seat: login, confirm, questions, review, receipt.

`SeatScreen(station, ops, parent=None)` is the one entry point; the kiosk window hosts it.
"""

from __future__ import annotations

from examkiosk.ui.seat.screen import SeatScreen

__all__ = ["SeatScreen"]
