"""Sign-in at the seat by tapping the ID card checked in at the door (the simulated reader
of rehearsals and demos; the PC/SC reader is in test_seat_card_pcsc.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from examkiosk.core import roster, seat_guard
from examkiosk.core.station import Station
from examkiosk.ui.door.sim_card import simulated_card
from examkiosk.ui.i18n import set_language
from examkiosk.ui.seat import SeatScreen
from hardware.cards.document import DocumentType, IdentityDocument, ReadingMethod
from hardware.sim.card_queue import QueueCardReader
from tests.ui.seat.conftest import ID_NUMBER, TICKET


def make_rehearsal(station: Station) -> None:
    """The package says this sitting is a rehearsal: simulated cards are allowed."""
    with station.store.transaction() as conn:
        content = json.loads(conn.execute("SELECT content_json FROM packages").fetchone()[0])
        content["sitting_kind"] = "rehearsal"
        conn.execute("UPDATE packages SET content_json = ?", (json.dumps(content),))


@pytest.fixture
def reader() -> Iterator[QueueCardReader]:
    queue = QueueCardReader()
    yield queue
    queue.close()


@pytest.fixture
def card_seat(seat: SeatScreen, reader: QueueCardReader) -> SeatScreen:
    seat.set_card_reader(reader)
    seat.activate()
    return seat


def tap(seat: SeatScreen, station: Station, ticket: str) -> None:
    seat.sim_card.present_card(roster.by_ticket(station.store, ticket))  # type: ignore[union-attr]


def events(station: Station, kind: str) -> list[dict[str, object]]:
    return [e.payload for e in station.events() if e.type == kind]


def attempts(station: Station) -> int:
    return int(station.store.query("SELECT count(*) FROM attempts")[0][0])


def test_tapping_the_checked_in_card_signs_in_after_confirming_with_enter(
    qtbot: QtBot, card_seat: SeatScreen, station: Station
) -> None:
    make_rehearsal(station)
    seat = card_seat
    qtbot.waitUntil(seat.login.card.isVisible, timeout=3000)  # once the reader answered
    assert "读卡器" in seat.login.card.text() and "也可输入" in seat.login.hint.text()
    assert seat.sim_card is not None and seat.sim_card.isVisible()
    tap(seat, station, TICKET)
    qtbot.waitUntil(lambda: seat.stack.currentWidget() is seat.confirm, timeout=5000)
    assert seat.confirm.name.text() == "张三" and seat.confirm.photo.has_picture()
    assert not seat.watch.running  # type: ignore[union-attr]  # no reading past the login page
    assert not seat.sim_card.isVisible()
    qtbot.keyClick(seat.confirm, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: seat.stack.currentWidget() is seat.question, timeout=5000)
    assert seat.exam_running
    qtbot.waitUntil(lambda: bool(events(station, "seat.signed_in")), timeout=5000)
    (signed,) = events(station, "seat.signed_in")
    assert signed["method"] == "card" and signed["candidate_id"] == "C1"
    assert signed["doc_type"] == "cn_resident_id" and signed["reading_method"] == "simulated"
    assert signed["attempt_id"] == seat.attempt_id


def test_escape_on_the_confirmation_goes_back_and_reads_cards_again(
    qtbot: QtBot, card_seat: SeatScreen, station: Station
) -> None:
    make_rehearsal(station)
    seat = card_seat
    tap(seat, station, TICKET)
    qtbot.waitUntil(lambda: seat.stack.currentWidget() is seat.confirm, timeout=5000)
    qtbot.keyClick(seat.confirm, Qt.Key.Key_Escape)
    assert seat.stack.currentWidget() is seat.login
    assert seat.watch is not None and seat.watch.running
    assert attempts(station) == 0
    tap(seat, station, TICKET)  # the next tap works as the first
    qtbot.waitUntil(lambda: seat.stack.currentWidget() is seat.confirm, timeout=5000)


def test_a_candidate_not_checked_in_is_sent_to_the_door(
    qtbot: QtBot, card_seat: SeatScreen, station: Station
) -> None:
    make_rehearsal(station)
    tap(card_seat, station, "T0002")  # 李四: on the roster, never at the door
    qtbot.waitUntil(lambda: "入口" in card_seat.login.error.text(), timeout=5000)
    assert card_seat.stack.currentWidget() is card_seat.login
    assert card_seat.login.login.isEnabled()  # the typed fallback is still there
    assert attempts(station) == 0 and not events(station, "seat.signed_in")


def test_a_candidate_refused_at_the_door_cannot_sign_in_by_card(
    qtbot: QtBot, card_seat: SeatScreen, station: Station
) -> None:
    make_rehearsal(station)
    with station.store.transaction() as conn:
        conn.execute("UPDATE checkins SET decision = 'refused' WHERE candidate_id = 'C1'")
    tap(card_seat, station, TICKET)
    qtbot.waitUntil(lambda: "未获通过" in card_seat.login.error.text(), timeout=5000)
    assert card_seat.stack.currentWidget() is card_seat.login and attempts(station) == 0


def test_a_card_of_someone_not_on_the_roster_is_refused(
    qtbot: QtBot, card_seat: SeatScreen, station: Station, reader: QueueCardReader
) -> None:
    make_rehearsal(station)
    set_language("en")
    stranger = IdentityDocument(
        DocumentType.CN_RESIDENT_ID, "110105198001010000", "王五", ReadingMethod.SIMULATED
    )
    reader.present(stranger)
    qtbot.waitUntil(lambda: "not on this sitting" in card_seat.login.error.text(), timeout=5000)
    assert attempts(station) == 0


def test_the_seat_lock_out_applies_to_card_sign_in(
    qtbot: QtBot, card_seat: SeatScreen, station: Station
) -> None:
    make_rehearsal(station)
    for _ in range(seat_guard.SEAT_MAX_FAILURES):
        with pytest.raises(seat_guard.SeatLocked if _ == 4 else seat_guard.Refused):
            seat_guard.record_failure(station, TICKET)
    tap(card_seat, station, TICKET)
    qtbot.waitUntil(lambda: "锁定" in card_seat.login.error.text(), timeout=5000)
    assert card_seat.stack.currentWidget() is card_seat.login and attempts(station) == 0


def test_a_simulated_card_on_a_real_sitting_is_refused_and_audited(
    qtbot: QtBot, card_seat: SeatScreen, station: Station
) -> None:
    # The fixture's package names no sitting kind: a real exam.
    tap(card_seat, station, TICKET)
    qtbot.waitUntil(lambda: "正式考试" in card_seat.login.error.text(), timeout=5000)
    assert card_seat.stack.currentWidget() is card_seat.login and attempts(station) == 0
    refused = events(station, "audit.simulation_refused")
    assert refused and refused[-1]["what"] == "seat card sim"


def test_typed_ticket_stays_the_fallback_and_is_recorded_as_such(
    qtbot: QtBot, card_seat: SeatScreen, station: Station
) -> None:
    seat = card_seat
    qtbot.keyClicks(seat.login.ticket, TICKET)
    qtbot.keyClick(seat.login.ticket, Qt.Key.Key_Tab)
    qtbot.keyClicks(seat.login.id_number, ID_NUMBER)
    qtbot.keyClick(seat.login.id_number, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: seat.stack.currentWidget() is seat.confirm, timeout=5000)
    qtbot.keyClick(seat.confirm.yes, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: seat.stack.currentWidget() is seat.question, timeout=5000)
    qtbot.waitUntil(lambda: bool(events(station, "seat.signed_in")), timeout=5000)
    assert events(station, "seat.signed_in")[0]["method"] == "ticket"


def test_a_card_during_the_exam_is_not_read(
    qtbot: QtBot, card_seat: SeatScreen, station: Station, reader: QueueCardReader
) -> None:
    make_rehearsal(station)
    seat = card_seat
    tap(seat, station, TICKET)
    qtbot.waitUntil(lambda: seat.stack.currentWidget() is seat.confirm, timeout=5000)
    qtbot.keyClick(seat.confirm, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: seat.stack.currentWidget() is seat.question, timeout=5000)
    # The read that was waiting when the login page went away ends within its slice.
    qtbot.waitUntil(lambda: not seat.watch._in_flight, timeout=2000)  # type: ignore[union-attr]
    reader.present(simulated_card(roster.by_ticket(station.store, "T0002")))
    qtbot.wait(800)  # longer than a read slice: a running watch would have taken it
    assert reader.read(0.1) is not None  # still on the queue: nobody read it
    assert seat.stack.currentWidget() is seat.question


def test_leaving_seat_mode_stops_reading(card_seat: SeatScreen) -> None:
    assert card_seat.watch is not None and card_seat.watch.running
    card_seat.deactivate()
    assert not card_seat.watch.running


def test_card_problems_speak_to_the_candidate_not_the_door() -> None:
    """The drivers' texts tell the door's invigilator to use manual entry (手工录入); at the
    seat every card problem points to the typed ticket and ID number instead."""
    from examkiosk.ui.seat.card_login import READER_PROBLEMS, card_problem_text
    from hardware.cards import errors
    from hardware.cards.errors import CardError

    problems = [
        cls()
        for cls in vars(errors).values()
        if isinstance(cls, type)
        and issubclass(cls, CardError)
        and cls not in (CardError, *READER_PROBLEMS)
        and cls.__init__.__code__.co_argcount <= 2  # constructed with a detail at most
    ]
    assert len(problems) >= 6
    for problem in problems:
        text = card_problem_text(problem)
        assert "手工" not in text and text, type(problem).__name__
    assert "被移开" in card_problem_text(errors.CardRemoved())
