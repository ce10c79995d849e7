"""Exam time: monotonic deltas, wall-clock jumps audited, outages per the venue's policy."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from examkiosk.core.clock import ShiftedClock
from examkiosk.core.exam import ExamEngine
from examkiosk.core.exam_errors import ResumeCodeRequired, TimeUp
from examkiosk.core.station import Station
from tests.core.conftest import ID_NUMBER, TICKET
from tests.core.exam_fixtures import FakeClock, provision_exam_station


def _events(station: Station, type_: str) -> list[dict[str, object]]:
    rows = station.store.query("SELECT payload_json FROM events WHERE type = ?", (type_,))
    return [json.loads(r[0]) for r in rows]


@pytest.mark.parametrize("jump", [timedelta(hours=2), timedelta(hours=-2)])
def test_wall_clock_jump_leaves_remaining_time_alone_and_is_audited(
    engine: ExamEngine, station: Station, clock: FakeClock, jump: timedelta
) -> None:
    attempt = engine.login(TICKET, ID_NUMBER)
    clock.advance(60)
    engine.save_answer(attempt.attempt_id, "A1-1", ["C"])
    clock.jump_wall(jump)  # an invigilator, NTP or a flat RTC battery moves the clock
    clock.advance(30)
    tick = engine.tick(attempt.attempt_id)
    assert tick.elapsed_ms == 90_000
    assert tick.remaining_ms == 60 * 60_000 - 90_000
    audited = _events(station, "clock.wall_jump")
    assert len(audited) == 1
    assert audited[0]["jump_ms"] == pytest.approx(jump.total_seconds() * 1000, abs=1)
    assert audited[0]["attempt_id"] == attempt.attempt_id
    clock.advance(10)
    assert engine.tick(attempt.attempt_id).elapsed_ms == 100_000
    assert len(_events(station, "clock.wall_jump")) == 1, "one jump, one audit entry"


def test_wall_clock_jump_with_the_real_monotonic_clock(tmp_path: Path) -> None:
    clock = ShiftedClock()
    station = provision_exam_station(tmp_path / "seat", clock)
    try:
        engine = ExamEngine(station)
        attempt = engine.login(TICKET, ID_NUMBER)
        clock.offset = timedelta(hours=2)
        tick = engine.tick(attempt.attempt_id)
        clock.offset = timedelta(hours=-2)
        later = engine.tick(attempt.attempt_id)
        # Only the real seconds the test took count, never the two hours either way.
        assert 0 <= tick.elapsed_ms <= later.elapsed_ms < 60_000
        assert [e["jump_ms"] > 0 for e in _events(station, "clock.wall_jump")] == [True, False]
    finally:
        station.close()


def test_a_crash_within_a_boot_pauses_the_clock_under_the_pause_policy(
    engine: ExamEngine, station: Station, clock: FakeClock
) -> None:
    attempt = engine.login(TICKET, ID_NUMBER)
    clock.advance(100)
    engine.save_answer(attempt.attempt_id, "A1-1", ["C"])
    clock.advance(90)  # the program died; 90 s pass before it is running again
    restarted = ExamEngine(station, boot="boot-1")
    resumed = restarted.login(TICKET, ID_NUMBER)
    assert resumed.elapsed_ms == 100_000
    event = _events(station, "attempt.resumed")[-1]
    assert event == {
        **event,
        "outage_ms": 90_000,
        "counted_ms": 0,
        "paused_ms": 90_000,
        "basis": "monotonic",
        "policy": "pause",
    }


def test_pause_is_limited_and_the_rest_of_a_long_outage_counts(
    engine: ExamEngine, station: Station, clock: FakeClock
) -> None:
    attempt = engine.login(TICKET, ID_NUMBER)
    clock.advance(11 * 60)  # limit 10 min of pause in the fixture's policy
    restarted = ExamEngine(station, boot="boot-1")
    with pytest.raises(ResumeCodeRequired) as caught:
        restarted.login(TICKET, ID_NUMBER)
    code = _code(restarted, caught.value.request)
    resumed = restarted.resume_with_code(TICKET, ID_NUMBER, code, invigilator="王老师")
    assert resumed.elapsed_ms == 60_000
    assert resumed.attempt_id == attempt.attempt_id


def test_count_policy_charges_the_outage_measured_on_the_wall_across_a_reboot(
    tmp_path: Path, clock: FakeClock
) -> None:
    station = provision_exam_station(tmp_path / "seat", clock, settings={"outage_policy": "count"})
    try:
        ExamEngine(station, boot="boot-1").login(TICKET, ID_NUMBER)
        clock.advance(100)  # power cut: the machine reboots, monotonic time starts over
        clock.mono = 5.0
        resumed = ExamEngine(station, boot="boot-2").login(TICKET, ID_NUMBER)
        assert resumed.elapsed_ms == 100_000
        event = _events(station, "attempt.resumed")[-1]
        assert (event["basis"], event["counted_ms"]) == ("wall", 100_000)
    finally:
        station.close()


def test_time_up_submits_automatically_and_refuses_late_answers(
    engine: ExamEngine, station: Station, clock: FakeClock
) -> None:
    attempt = engine.login(TICKET, ID_NUMBER)
    engine.save_answer(attempt.attempt_id, "A1-1", ["C"])
    clock.advance(59 * 60 + 59)
    assert engine.tick(attempt.attempt_id).remaining_ms == 1000
    clock.advance(2)
    with pytest.raises(TimeUp) as caught:
        engine.save_answer(attempt.attempt_id, "A2-1", ["A"])
    assert caught.value.receipt.answered == 1
    assert engine.attempt(attempt.attempt_id).state == "submitted"
    assert engine.answers(attempt.attempt_id) == {"A1-1": ["C"]}
    assert _events(station, "attempt.submitted")[0]["reason"] == "time_up"


def test_tick_at_zero_submits(engine: ExamEngine, clock: FakeClock) -> None:
    attempt = engine.login(TICKET, ID_NUMBER)
    clock.advance(3600)
    tick = engine.tick(attempt.attempt_id)
    assert tick.remaining_ms == 0 and tick.receipt is not None
    assert engine.attempt(attempt.attempt_id).state == "submitted"


def test_time_that_ran_out_during_an_outage_submits_on_restart(
    tmp_path: Path, clock: FakeClock
) -> None:
    station = provision_exam_station(
        tmp_path / "seat", clock, settings={"outage_policy": "count", "resume_grace_seconds": 7200}
    )
    try:
        ExamEngine(station, boot="b").login(TICKET, ID_NUMBER)
        clock.advance(3700)
        assert ExamEngine(station, boot="b").login(TICKET, ID_NUMBER).state == "submitted"
    finally:
        station.close()


def _code(engine: ExamEngine, request: str) -> str:
    from examkiosk.core.resume_codes import resume_code

    return resume_code(engine.resume_secret(), "C1", request)
