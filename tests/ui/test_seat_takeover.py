"""A candidate whose exam is live at another seat signs in here: the seat asks for an
invigilator's approval (a staff sign-in at the seat, keyboard only). Esc leaves everything as
it was; a technician is refused; an invigilator's Enter moves the exam here, the other seat
stops saving, and the approval names the invigilator."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from examkiosk.app.cli_exam import _check_in_simulated as check_in_simulated
from examkiosk.app.demo_venue import demo_accounts
from examkiosk.core.exam import ExamEngine
from examkiosk.core.exam_errors import SessionMoved
from examkiosk.core.roster import all_candidates
from examkiosk.core.station import Station
from examkiosk.ui.i18n import set_language
from examkiosk.ui.ops import Operations
from examkiosk.ui.seat import SeatScreen
from examkiosk.ui.signin import OpenGuard, SignInDialog

Return, Escape = Qt.Key.Key_Return, Qt.Key.Key_Escape


def sign_in_at_the_seat(qtbot: QtBot, seat: SeatScreen, ticket: str, id_number: str) -> None:
    seat.login.ticket.clear()
    qtbot.keyClicks(seat.login.ticket, ticket)
    qtbot.keyClicks(seat.login.id_number, id_number)
    qtbot.keyClick(seat.login.id_number, Return)
    qtbot.waitUntil(lambda: seat.stack.currentWidget() is seat.confirm, timeout=10_000)
    qtbot.mouseClick(seat.confirm.yes, Qt.MouseButton.LeftButton)


def approval(qtbot: QtBot, seat: SeatScreen) -> SignInDialog:
    qtbot.waitUntil(
        lambda: getattr(seat, "takeover", None) is not None and seat.takeover.isVisible(),
        timeout=10_000,
    )
    dialog: SignInDialog = seat.takeover
    qtbot.waitExposed(dialog)
    return dialog


def test_an_invigilator_approves_the_takeover_at_the_seat(
    qtbot: QtBot, station: Station, ops: Operations, venue_dir: Path
) -> None:
    candidate = all_candidates(station.store)[0]
    check_in_simulated(station, candidate.ticket, OpenGuard.person)
    other_seat = ExamEngine(station)
    attempt = other_seat.login(candidate.ticket, candidate.id_number)
    other_seat.save_answer(attempt.attempt_id, other_seat.paper().items()[0].item_id, ["A"])

    seat = SeatScreen(station, ops)
    qtbot.addWidget(seat)
    seat.resize(1366, 700)
    seat.show()
    passwords = demo_accounts(venue_dir)

    # Esc: back at the login page with the reason, nothing moved.
    sign_in_at_the_seat(qtbot, seat, candidate.ticket, candidate.id_number)
    dialog = approval(qtbot, seat)
    assert any(candidate.ticket in w.text() for w in dialog.findChildren(QLabel))
    qtbot.keyClick(dialog.number, Escape)
    qtbot.waitUntil(lambda: seat.stack.currentWidget() is seat.login, timeout=10_000)
    assert "另一座位" in seat.login.error.text()
    assert station.events()[-1].type == "audit.seat_takeover_refused"
    other_seat.tick(attempt.attempt_id)  # the other seat still holds the exam

    # A technician may not approve; an invigilator may, with Enter.
    sign_in_at_the_seat(qtbot, seat, candidate.ticket, candidate.id_number)
    dialog = approval(qtbot, seat)
    qtbot.keyClicks(dialog.number, "demo-tech")
    qtbot.keyClicks(dialog.password, passwords["demo-tech"])
    qtbot.keyClick(dialog.password, Return)
    qtbot.waitUntil(lambda: "没有此权限" in dialog.error.text(), timeout=15_000)
    assert seat.stack.currentWidget() is not seat.question
    dialog.number.clear()
    qtbot.keyClicks(dialog.number, "demo-inv1")
    qtbot.keyClicks(dialog.password, passwords["demo-inv1"])
    qtbot.keyClick(dialog.password, Return)
    qtbot.waitUntil(lambda: seat.stack.currentWidget() is seat.question, timeout=15_000)
    assert seat.attempt_id == attempt.attempt_id
    approved = [e for e in station.events() if e.type == "audit.seat_takeover"]
    assert approved and approved[-1].payload["by"] == "demo-inv1"
    assert approved[-1].payload["attempt_id"] == attempt.attempt_id
    with pytest.raises(SessionMoved):  # the other seat stops saving
        other_seat.save_answer(attempt.attempt_id, other_seat.paper().items()[0].item_id, ["B"])
    seat.stop()


def test_the_approval_reads_in_english(qtbot: QtBot, station: Station, ops: Operations) -> None:
    candidate = all_candidates(station.store)[1]
    check_in_simulated(station, candidate.ticket, OpenGuard.person)
    ExamEngine(station).login(candidate.ticket, candidate.id_number)
    set_language("en")
    seat = SeatScreen(station, ops)
    qtbot.addWidget(seat)
    seat.show()
    sign_in_at_the_seat(qtbot, seat, candidate.ticket, candidate.id_number)
    dialog = approval(qtbot, seat)
    QApplication.processEvents()
    assert dialog.ok.text() == "Approve: continue here"
    qtbot.keyClick(dialog.password, Escape)
    qtbot.waitUntil(lambda: "another seat" in seat.login.error.text(), timeout=10_000)
