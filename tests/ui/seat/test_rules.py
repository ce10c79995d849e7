"""Before the sitting starts, the seat shows 考试须知 and a countdown, and opens the paper
by itself at the start, on the room's common clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from examkiosk.core.station import Station
from examkiosk.ui.ops import Operations
from examkiosk.ui.seat import SeatScreen
from tests.core.exam_fixtures import FakeClock, provision_exam_station
from tests.ui.seat.test_seat import login


@pytest.fixture
def scheduled(tmp_path: Path, clock: FakeClock) -> Iterator[Station]:
    start = clock.wall() + timedelta(seconds=2)
    settings = {
        "start": start.isoformat(),
        "end": (start + timedelta(minutes=90)).isoformat(),
    }
    opened = provision_exam_station(tmp_path / "scheduled", clock, settings=settings)
    yield opened
    opened.close()


def test_rules_and_countdown_then_the_paper_opens_at_the_start(
    qtbot: QtBot, scheduled: Station, ops: Operations, clock: FakeClock
) -> None:
    seat = SeatScreen(scheduled, ops)
    qtbot.addWidget(seat)
    seat.resize(1280, 860)
    seat.show()
    login(qtbot, seat)
    qtbot.waitUntil(lambda: seat.stack.currentWidget() is seat.rules, timeout=5000)
    assert seat.rules.title.text() == "考试须知"
    assert seat.rules.countdown.text() in ("0:00:02", "0:00:01")
    assert "开考" in seat.rules.caption.text()
    assert not seat.exam_running
    clock.advance(2.5)  # the station's clock reaches the start as the countdown ends
    qtbot.waitUntil(lambda: seat.stack.currentWidget() is seat.question, timeout=8000)
    # The room's clock: 90 minutes from the start, not from this sign-in.
    assert seat.question.remaining.text() in ("1:29:59", "1:29:58", "1:29:57")
    seat.stop()


def test_back_from_the_rules_returns_to_sign_in(
    qtbot: QtBot, scheduled: Station, ops: Operations
) -> None:
    seat = SeatScreen(scheduled, ops)
    qtbot.addWidget(seat)
    seat.show()
    login(qtbot, seat)
    qtbot.waitUntil(lambda: seat.stack.currentWidget() is seat.rules, timeout=5000)
    seat.rules.back_button.click()
    assert seat.stack.currentWidget() is seat.login
    seat.stop()
