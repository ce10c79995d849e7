"""The candidate's seat, driven with the keyboard as a candidate would."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from examkiosk.core.exam import ExamEngine
from examkiosk.core.provision import open_station
from examkiosk.core.resume_codes import resume_code
from examkiosk.core.station import Station
from examkiosk.ui.ops import Operations
from examkiosk.ui.seat import SeatScreen
from tests.core.exam_fixtures import PASSPHRASE, FakeClock
from tests.ui.seat.conftest import ID_NUMBER, TICKET

FACES = Path(__file__).resolve().parents[3] / ".." / "shared" / "testdata" / "faces" / "single"


def login(qtbot: QtBot, seat: SeatScreen, ticket: str = TICKET, id_number: str = ID_NUMBER) -> None:
    qtbot.keyClicks(seat.login.ticket, ticket)
    qtbot.keyClick(seat.login.ticket, Qt.Key.Key_Tab)
    qtbot.keyClicks(seat.login.id_number, id_number)
    qtbot.keyClick(seat.login.id_number, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: seat.stack.currentWidget() is seat.confirm, timeout=5000)
    qtbot.keyClick(seat.confirm.yes, Qt.Key.Key_Space)


def enter_exam(qtbot: QtBot, seat: SeatScreen) -> None:
    login(qtbot, seat)
    qtbot.waitUntil(lambda: seat.stack.currentWidget() is seat.question, timeout=5000)


def press(qtbot: QtBot, seat: SeatScreen, key: Qt.Key) -> None:
    target = seat.question.focusWidget() or seat.question
    qtbot.keyClick(target, key)


def saved(seat: SeatScreen) -> bool:
    return seat.question.saving == 0 and "已保存" in seat.question.status.text()


def test_login_shows_name_and_photo_then_the_questions(qtbot: QtBot, seat: SeatScreen) -> None:
    login(qtbot, seat)
    assert seat.confirm.name.text() == "张三"
    assert seat.confirm.photo.has_picture()
    qtbot.waitUntil(lambda: seat.stack.currentWidget() is seat.question, timeout=5000)
    assert seat.question.remaining.text() == "1:00:00"
    assert seat.question.who.text().startswith("张三")
    assert len(seat.question.grid.buttons) == 9
    assert seat.exam_running


def test_wrong_id_number_or_no_check_in_is_explained(qtbot: QtBot, seat: SeatScreen) -> None:
    qtbot.keyClicks(seat.login.ticket, TICKET)
    qtbot.keyClicks(seat.login.id_number, "110105199001019999")
    qtbot.keyClick(seat.login.id_number, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "不匹配" in seat.login.error.text(), timeout=5000)
    seat.login.ticket.clear()
    qtbot.keyClicks(seat.login.ticket, "T0002")
    qtbot.keyClicks(seat.login.id_number, "11010519900202123X")
    qtbot.keyClick(seat.login.id_number, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "入口" in seat.login.error.text(), timeout=5000)
    assert seat.stack.currentWidget() is seat.login


def test_every_item_type_is_answered_with_the_keyboard(
    qtbot: QtBot, seat: SeatScreen, station: Station
) -> None:
    enter_exam(qtbot, seat)
    page = seat.question
    chosen: dict[str, list[str]] = {}
    kinds = set()
    for n in range(len(page.items)):
        if n:
            press(qtbot, seat, Qt.Key.Key_Right)
            if page.lock_confirm.isVisible():  # leaving the locked part asks first
                assert "不能返回" in page.lock_text.text()
                qtbot.keyClick(page.lock_yes, Qt.Key.Key_Space)
            qtbot.waitUntil(lambda n=n: page.index == n, timeout=5000)
        item = page.items[n]
        kinds.add(item.kind)
        press(qtbot, seat, Qt.Key.Key_B)
        if item.multiple:
            press(qtbot, seat, Qt.Key.Key_1)
        qtbot.waitUntil(lambda: saved(seat), timeout=5000)
        expected = {item.options[1].key} | ({item.options[0].key} if item.multiple else set())
        chosen[item.item_id] = sorted(expected)
        assert page.grid.state(n) == "answered"
    assert kinds == {"A1", "A2", "A3", "A4", "B1", "X", "TF"}
    assert ExamEngine(station).answers(seat.attempt_id or "") == chosen
    # S1 was left and is locked: its items show read-only and the grid will not go back.
    assert "S1" in page.locked
    page.grid.buttons[0].click()
    assert page.index == len(page.items) - 1 and "锁定" in page.status.text()


def test_answer_is_acknowledged_only_after_its_commit(
    qtbot: QtBot, seat: SeatScreen, station: Station, ops: Operations
) -> None:
    enter_exam(qtbot, seat)
    release = threading.Event()
    ops.run(lambda job: release.wait(10))  # the database thread is busy (a slow disk)
    press(qtbot, seat, Qt.Key.Key_C)
    qtbot.wait(100)
    item_id = seat.question.items[0].item_id
    assert "正在保存" in seat.question.status.text()
    assert seat.question.grid.state(0) == "unanswered"
    assert station.store.query("SELECT count(*) FROM answers")[0][0] == 0
    release.set()
    qtbot.waitUntil(lambda: saved(seat), timeout=5000)
    assert seat.question.grid.state(0) == "answered"
    stored = station.store.query("SELECT answer_json FROM answers WHERE item_id = ?", (item_id,))
    assert stored and stored[0][0] == f'["{seat.question.items[0].options[2].key}"]'


def test_flag_navigation_grid_and_review(qtbot: QtBot, seat: SeatScreen) -> None:
    enter_exam(qtbot, seat)
    page = seat.question
    press(qtbot, seat, Qt.Key.Key_F)
    qtbot.waitUntil(lambda: page.grid.state(0) == "flagged", timeout=5000)
    assert "⚑" in page.grid.buttons[0].text()
    page.grid.buttons[2].click()
    assert page.index == 2
    press(qtbot, seat, Qt.Key.Key_Left)
    assert page.index == 1
    press(qtbot, seat, Qt.Key.Key_A)
    qtbot.waitUntil(lambda: saved(seat), timeout=5000)
    press(qtbot, seat, Qt.Key.Key_R)
    assert seat.stack.currentWidget() is seat.review
    assert "已答 1 题" in seat.review.summary.text() and "标记 1 题" in seat.review.summary.text()
    qtbot.keyClick(seat.review, Qt.Key.Key_Escape)
    assert seat.stack.currentWidget() is seat.question
    press(qtbot, seat, Qt.Key.Key_R)
    assert seat.review.remaining.text() == seat.question.remaining.text() != ""
    # 交卷 opens a separate confirmation: a double click on 交卷 does not submit.
    qtbot.mouseClick(seat.review.submit_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(seat.review.submit_button, Qt.MouseButton.LeftButton)
    dialog = seat.review.dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.wait(200)
    assert seat.stack.currentWidget() is seat.review
    # Esc goes back; Enter on the first focus (返回检查) goes back too.
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible() and seat.stack.currentWidget() is seat.review
    dialog = seat.review.ask_to_submit()
    qtbot.waitExposed(dialog)
    assert "已答 1 题" in dialog.findChild(QLabel, "submit_text").text()
    qtbot.mouseClick(dialog.confirm, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: seat.stack.currentWidget() is seat.receipt, timeout=5000)
    assert "答卷校验码" in seat.receipt.body.text() and "已答 1 / 9" in seat.receipt.body.text()
    assert "张三" in seat.receipt.body.text() and TICKET in seat.receipt.body.text()
    code = seat.receipt.code()
    assert len(code.split("-")) >= 3 and all(len(g) <= 4 for g in code.split("-"))
    assert "得分" not in seat.receipt.body.text()  # the package says: no score shown
    assert not seat.exam_running


def test_time_warnings_then_auto_submit_at_zero(
    qtbot: QtBot, seat: SeatScreen, clock: FakeClock
) -> None:
    enter_exam(qtbot, seat)
    assert not seat.question.warning.isVisible()
    clock.advance(45 * 60 + 1)
    qtbot.waitUntil(lambda: seat.question.warning.isVisible(), timeout=5000)
    assert "15 分钟" in seat.question.warning.text()
    assert seat.question.remaining.text() == "0:14:59"
    clock.advance(10 * 60)
    qtbot.waitUntil(lambda: "5 分钟" in seat.question.warning.text(), timeout=5000)
    clock.advance(5 * 60)
    qtbot.waitUntil(lambda: seat.stack.currentWidget() is seat.receipt, timeout=5000)
    assert "自动交卷" in seat.receipt.title.text()


def test_resume_after_restart_returns_to_the_same_place(
    qtbot: QtBot, seat: SeatScreen, station: Station, seat_dir: Path, clock: FakeClock
) -> None:
    enter_exam(qtbot, seat)
    press(qtbot, seat, Qt.Key.Key_A)
    qtbot.waitUntil(lambda: saved(seat), timeout=5000)
    press(qtbot, seat, Qt.Key.Key_Right)
    press(qtbot, seat, Qt.Key.Key_Right)
    press(qtbot, seat, Qt.Key.Key_F)
    qtbot.waitUntil(lambda: seat.question.grid.state(2) == "flagged", timeout=5000)
    qtbot.wait(200)  # the position is persisted on the database thread
    items = [i.item_id for i in seat.question.items]
    seat.stop()
    seat.close()
    clock.advance(30)  # the program crashed; restarted within the grace period

    reopened = open_station(seat_dir, PASSPHRASE, clock)
    ops2 = Operations()
    try:
        again = SeatScreen(reopened, ops2)
        qtbot.addWidget(again)
        again.show()
        enter_exam(qtbot, again)
        assert [i.item_id for i in again.question.items] == items, "same order after restart"
        assert again.question.index == 2
        assert again.question.grid.state(0) == "answered"
        assert again.question.grid.state(2) == "flagged"
        assert again.question.remaining.text() == "1:00:00", "the outage was paused"
        again.stop()
    finally:
        ops2.shutdown()
        reopened.close()


def test_long_outage_needs_the_invigilators_code(
    qtbot: QtBot, seat: SeatScreen, station: Station, ops: Operations, clock: FakeClock
) -> None:
    enter_exam(qtbot, seat)
    seat.stop()
    clock.advance(600)
    second = SeatScreen(station, ops)
    qtbot.addWidget(second)
    second.show()
    login(qtbot, second)
    qtbot.waitUntil(lambda: second.stack.currentWidget() is second.resume, timeout=5000)
    request = second.resume.request.text().split("：")[-1]
    code = resume_code(ExamEngine(station).resume_secret(), "C1", request)
    second.resume.invigilator.setText("王老师")  # typed with an input method
    qtbot.keyClicks(second.resume.code, "00000000")
    qtbot.keyClick(second.resume.code, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "不正确" in second.resume.error.text(), timeout=5000)
    second.resume.code.clear()
    qtbot.keyClicks(second.resume.code, code)
    qtbot.keyClick(second.resume.code, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: second.stack.currentWidget() is second.question, timeout=5000)
    second.stop()


def test_font_size_and_high_contrast(qtbot: QtBot, seat: SeatScreen) -> None:
    enter_exam(qtbot, seat)
    before = seat.question.view.font().pixelSize()
    qtbot.keyClick(seat.question, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(seat.question, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    seat.question.view.ensurePolished()
    assert seat.font_index == 4 and "font-size: 24px" in seat.styleSheet()
    qtbot.keyClick(seat.question, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier)
    assert seat.high_contrast and "#000000" in seat.styleSheet()
    assert before != 24


def test_question_screen_in_chinese_screenshot(
    qtbot: QtBot, seat: SeatScreen, station: Station, tmp_path: Path
) -> None:
    photos = sorted(FACES.glob("*.jpg")) if FACES.is_dir() else []
    if photos:
        with station.store.transaction() as conn:
            conn.execute(
                "UPDATE candidates SET photo = ? WHERE candidate_id = 'C1'",
                (photos[0].read_bytes(),),
            )
    enter_exam(qtbot, seat)
    press(qtbot, seat, Qt.Key.Key_Right)
    press(qtbot, seat, Qt.Key.Key_Right)
    press(qtbot, seat, Qt.Key.Key_B)
    qtbot.waitUntil(lambda: saved(seat), timeout=5000)
    press(qtbot, seat, Qt.Key.Key_F)
    qtbot.waitUntil(lambda: seat.question.grid.state(2) == "flagged", timeout=5000)
    target = Path(os.environ.get("EXAMKIOSK_SCREENSHOTS") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    image = seat.grab().toImage()
    path = target / "seat_question_zh_CN.png"
    assert image.save(str(path))
    assert "第三题" not in seat.question.section.text()
    assert seat.question.section.text().startswith("第一部分")
    # Not a blank picture: the screen shows text and colour.
    colours = {
        image.pixel(x, y) for x in range(0, image.width(), 37) for y in range(0, image.height(), 29)
    }
    assert len(colours) > 4


def test_a_click_anywhere_on_an_option_row_chooses_it(qtbot: QtBot, seat: SeatScreen) -> None:
    enter_exam(qtbot, seat)
    page = seat.question
    multiple = next(n for n, item in enumerate(page.items) if item.kind == "X")
    for n in (0, multiple):
        page._move(n)
        qtbot.waitUntil(lambda: page.saving == 0, timeout=5000)
        qtbot.wait(20)
        option = page.view._buttons[1]
        far_right = option.rect().center()
        far_right.setX(option.width() - 12)  # the empty part of the row, right of the text
        qtbot.mouseClick(option, Qt.MouseButton.LeftButton, pos=far_right)
        assert option.isChecked()
        qtbot.waitUntil(lambda: saved(seat), timeout=5000)
