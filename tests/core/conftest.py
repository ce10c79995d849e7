from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from examkiosk.core.exam import ExamEngine
from examkiosk.core.station import Station
from tests.core.exam_fixtures import FakeClock, provision_exam_station

TICKET, ID_NUMBER = "T0001", "110105199001011234"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def station(tmp_path: Path, clock: FakeClock) -> Iterator[Station]:
    station = provision_exam_station(tmp_path / "seat", clock)
    yield station
    station.close()


@pytest.fixture
def engine(station: Station) -> ExamEngine:
    return ExamEngine(station, boot="boot-1")
