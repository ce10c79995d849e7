"""The sitting's clock: start and end from the package, the room's common clock, extra time
for approved accommodations, and the late-entry cut-off; on a real store, a test clock."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from examkiosk.core.exam import ExamEngine
from examkiosk.core.sitting import (
    NotStarted,
    SittingClock,
    SittingOver,
    SittingSettingsError,
)
from tests.core.exam_fixtures import FakeClock, provision_exam_station

TZ = timezone(timedelta(hours=8))
START = datetime(2026, 11, 22, 9, 0, tzinfo=TZ)
TICKET, ID_NUMBER = "T0001", "110105199001011234"
WINDOW = {"start": "2026-11-22T09:00:00+08:00", "end": "2026-11-22T11:30:00+08:00"}


def engine_at(tmp_path: Path, clock: FakeClock, **settings: object) -> ExamEngine:
    station = provision_exam_station(tmp_path / "seat", clock, settings=dict(settings))
    return ExamEngine(station)


def test_before_the_start_the_seat_is_told_when_it_starts(tmp_path: Path) -> None:
    clock = FakeClock()
    clock.wall_time = START - timedelta(minutes=5)
    engine = engine_at(tmp_path, clock, **WINDOW)
    with pytest.raises(NotStarted) as refused:
        engine.login(TICKET, ID_NUMBER)
    assert "09:00" in refused.value.zh and refused.value.start == START
    assert engine.sitting().until_start_ms(clock.wall()) == 5 * 60_000
    assert engine.attempt_for("C1") is None  # nothing started, nothing recorded
    engine.station.close()


def test_a_late_candidate_loses_the_time_on_the_common_clock(tmp_path: Path) -> None:
    clock = FakeClock()
    clock.wall_time = START + timedelta(minutes=20)
    engine = engine_at(tmp_path, clock, **WINDOW)
    attempt = engine.login(TICKET, ID_NUMBER)
    assert attempt.remaining_ms == (150 - 20) * 60_000  # ends at 11:30 like everyone else
    engine.station.close()


def test_own_clock_when_the_package_says_so(tmp_path: Path) -> None:
    clock = FakeClock()
    clock.wall_time = START + timedelta(minutes=20)
    engine = engine_at(tmp_path, clock, common_clock=False, **WINDOW)
    attempt = engine.login(TICKET, ID_NUMBER)
    assert attempt.remaining_ms == 60 * 60_000  # the package's duration, from sign-in
    engine.station.close()


def test_approved_extra_time_is_added_for_that_candidate_only(tmp_path: Path) -> None:
    clock = FakeClock()
    clock.wall_time = START
    engine = engine_at(tmp_path, clock, extra_minutes={"C1": 25, "C2": 10}, **WINDOW)
    attempt = engine.login(TICKET, ID_NUMBER)
    assert attempt.remaining_ms == (150 + 25) * 60_000
    sitting = engine.sitting()
    assert sitting.duration_ms("C9", START, 3_600_000) == 150 * 60_000
    engine.station.close()


def test_after_the_end_no_attempt_starts(tmp_path: Path) -> None:
    clock = FakeClock()
    clock.wall_time = START + timedelta(hours=3)
    engine = engine_at(tmp_path, clock, **WINDOW)
    with pytest.raises(SittingOver):
        engine.login(TICKET, ID_NUMBER)
    assert engine.attempt_for("C1") is None
    engine.station.close()


def test_without_start_and_end_the_clock_runs_from_sign_in_as_before(tmp_path: Path) -> None:
    clock = FakeClock()
    engine = engine_at(tmp_path, clock)
    assert engine.login(TICKET, ID_NUMBER).remaining_ms == 60 * 60_000
    engine.station.close()


def test_late_entry_cut_off() -> None:
    sitting = SittingClock.from_settings({**WINDOW, "late_entry_minutes": 30})
    assert sitting.late_entry_closes() == START + timedelta(minutes=30)
    assert not sitting.late(START + timedelta(minutes=30))
    assert sitting.late(START + timedelta(minutes=31))
    assert not SittingClock.from_settings(WINDOW).late(START + timedelta(hours=2))


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"start": "9 o'clock", "end": WINDOW["end"]}, "start"),
        ({"start": "2026-11-22T09:00:00", "end": WINDOW["end"]}, "时区"),
        ({"start": WINDOW["start"]}, "同时"),
        ({"start": WINDOW["end"], "end": WINDOW["start"]}, "晚于"),
        ({**WINDOW, "late_entry_minutes": -5}, "late_entry_minutes"),
        ({**WINDOW, "extra_minutes": {"C1": "lots"}}, "extra_minutes.C1"),
        ({**WINDOW, "extra_minutes": [25]}, "extra_minutes"),
        ({**WINDOW, "common_clock": "yes"}, "common_clock"),
    ],
)
def test_wrong_settings_are_named(settings: dict[str, object], named: str) -> None:
    with pytest.raises(SittingSettingsError) as refused:
        SittingClock.from_settings(settings)
    assert named in refused.value.zh and refused.value.en


def test_wrong_settings_start_nothing(tmp_path: Path) -> None:
    clock = FakeClock()
    engine = engine_at(tmp_path, clock, start="soon", end=WINDOW["end"])
    with pytest.raises(SittingSettingsError):
        engine.login(TICKET, ID_NUMBER)
    assert engine.attempt_for("C1") is None
    engine.station.close()


def test_admitting_after_the_cut_off_needs_an_audited_override(tmp_path: Path) -> None:
    from examkiosk.app.demo_venue import build_demo_venue
    from examkiosk.core.authz import NotAllowed, Person
    from examkiosk.core.checkin import CheckInDesk
    from examkiosk.core.face_check import FaceService
    from examkiosk.core.roster import all_candidates
    from examkiosk.core.sitting import LateEntry
    from hardware.cards.manual import manual_document

    venue = build_demo_venue(tmp_path / "v", faces_dir=None, candidates=3, items=12)
    station = venue.station
    now = datetime.now().astimezone()
    with station.store.transaction() as conn:
        version, content = conn.execute(
            "SELECT version, content_json FROM packages ORDER BY version DESC LIMIT 1"
        ).fetchone()
        exam = json.loads(content)
        exam["settings"].update(
            start=(now - timedelta(minutes=45)).isoformat(),
            end=(now + timedelta(minutes=100)).isoformat(),
            late_entry_minutes=30,
        )
        conn.execute(
            "UPDATE packages SET content_json = ? WHERE version = ?", (json.dumps(exam), version)
        )
    desk = CheckInDesk(station, FaceService(None))
    person = all_candidates(station.store)[0]
    assessment = desk.assess(manual_document(person.id_number, "", "迟到"), None, None)
    with pytest.raises(LateEntry):
        desk.decide(assessment, admit=True, invigilator="甲", reason="交通堵塞")
    with pytest.raises(NotAllowed):
        desk.decide(
            assessment,
            admit=True,
            invigilator="甲",
            reason="交通堵塞",
            override=Person("t1", "技术员", "technician"),
        )
    chief = Person("demo-admin", "主考", "venue_admin")
    desk.decide(assessment, admit=True, invigilator="甲", reason="交通堵塞", override=chief)
    rows = station.store.query(
        "SELECT payload_json FROM events WHERE type = 'audit.checkin.override'"
    )
    assert len(rows) == 1 and json.loads(rows[0][0])["by"] == "demo-admin"
    # Refusing needs no override.
    other = all_candidates(station.store)[1]
    refused = desk.assess(manual_document(other.id_number, "", "迟到"), None, None)
    desk.decide(refused, admit=False, invigilator="甲", reason="迟到超过30分钟")
    station.close()
