"""The seat's tests run on a station holding a paper of every item type, with a clock the
test moves (so warnings and time-up happen when the test says, not after an hour)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from examkiosk.core.station import Station
from examkiosk.ui.ops import Operations
from examkiosk.ui.seat import SeatScreen
from tests.core.exam_fixtures import FakeClock, provision_exam_station

TICKET, ID_NUMBER = "T0001", "110105199001011234"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def seat_dir(tmp_path: Path) -> Path:
    return tmp_path / "seat"


@pytest.fixture
def station(seat_dir: Path, clock: FakeClock) -> Iterator[Station]:
    opened = provision_exam_station(seat_dir, clock)
    yield opened
    opened.close()


@pytest.fixture
def seat(qtbot: QtBot, station: Station, ops: Operations) -> Iterator[SeatScreen]:
    screen = SeatScreen(station, ops)
    qtbot.addWidget(screen)
    screen.resize(1280, 860)
    screen.show()
    yield screen
    screen.stop()  # as the window does on shutdown, before the operations helper stops
