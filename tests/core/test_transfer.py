"""Moving an attempt to a spare station: every answer and the right time arrive, once."""

from __future__ import annotations

from pathlib import Path

import pytest

from examkiosk.core.authz import NotAllowed, Person
from examkiosk.core.exam import ExamEngine
from examkiosk.core.exam_errors import AttemptClosed
from examkiosk.core.station import Station
from examkiosk.core.transfer import (
    TransferError,
    UnregisteredSigner,
    export_attempt,
    import_attempt,
    seal,
)
from tests.core.conftest import ID_NUMBER, TICKET
from tests.core.exam_fixtures import FakeClock, list_stations, provision_exam_station

WANG = Person("T-01", "王老师", "invigilator")


def test_attempt_continues_on_a_spare_station(tmp_path: Path, clock: FakeClock) -> None:
    source = provision_exam_station(tmp_path / "seat", clock, station_id="ST-A")
    spare_clock = FakeClock()
    spare_clock.mono = 77.0  # another machine: its own monotonic clock
    spare = provision_exam_station(tmp_path / "spare", spare_clock, station_id="ST-B")
    list_stations(source, spare)
    try:
        seat = ExamEngine(source, boot="boot-a")
        attempt = seat.login(TICKET, ID_NUMBER)
        for item_id, answer in (("A1-1", ["C"]), ("A2-1", ["A"]), ("X-1", ["A", "B"])):
            seat.save_answer(attempt.attempt_id, item_id, answer)
        seat.set_flag(attempt.attempt_id, "A2-1", True)
        seat.move_to(attempt.attempt_id, "X-1")  # leaves S1, which locks
        clock.advance(600)
        seat.tick(attempt.attempt_id)  # the seat persists time every second
        file = tmp_path / "usb" / "attempt.eka"
        info = export_attempt(
            ExamEngine(source, boot="boot-a"), attempt.attempt_id, file, person=WANG
        )
        assert info.answers == 3
        assert b"\xe5\xbc\xa0\xe4\xb8\x89" not in file.read_bytes()  # 张三 is not in clear
        # The broken seat can no longer save anything.
        with pytest.raises(AttemptClosed, match="spare"):
            seat.save_answer(attempt.attempt_id, "TF-1", ["A"])

        # The spare station never saw this candidate at its door: the transfer admits them.
        with spare.store.transaction() as conn:
            conn.execute("DELETE FROM checkins")
        spare_clock.advance(400)  # carrying the USB stick across the room: not counted
        target = ExamEngine(spare, boot="boot-b")
        import_attempt(target, file, person=WANG)
        moved = target.login(TICKET, ID_NUMBER)
        state = target.seat_state(moved.attempt_id)
        assert moved.attempt_id == attempt.attempt_id
        assert moved.remaining_ms == 60 * 60_000 - 600_000
        assert state.answers == {"A1-1": ["C"], "A2-1": ["A"], "X-1": ["A", "B"]}
        assert state.flags == frozenset({"A2-1"})
        assert state.current_item == "X-1" and state.locked_sections == frozenset({"S1"})
        assert [i.item_id for i in state.paper.items()] == [
            i.item_id for i in seat.seat_state(attempt.attempt_id).paper.items()
        ], "the candidate's order must not change on the spare station"
        target.save_answer(moved.attempt_id, "TF-1", ["A"])
        arrived = next(e for e in spare.events() if e.type == "attempt.transferred_in")
        assert arrived.payload["by"] == "T-01" and arrived.payload["from_station"] == "ST-A"
        left = next(e for e in source.events() if e.type == "attempt.transferred_out")
        assert left.payload["by"] == "T-01"

        with pytest.raises(TransferError, match="nothing was changed"):
            import_attempt(ExamEngine(spare), file, person=WANG)
        assert target.answers(moved.attempt_id)["TF-1"] == ["A"]
    finally:
        source.close()
        spare.close()


def test_damaged_or_foreign_files_are_refused_and_nothing_is_imported(
    tmp_path: Path, clock: FakeClock
) -> None:
    source = provision_exam_station(tmp_path / "seat", clock, station_id="ST-A")
    other = provision_exam_station(
        tmp_path / "other", FakeClock(), settings={"resume_secret": "cd" * 32}, station_id="ST-O"
    )
    spare = provision_exam_station(tmp_path / "spare", FakeClock(), station_id="ST-B")
    list_stations(source, other, spare)
    try:
        engine = ExamEngine(source)
        attempt = engine.login(TICKET, ID_NUMBER)
        engine.save_answer(attempt.attempt_id, "A1-1", ["C"])
        file = tmp_path / "a.eka"
        export_attempt(engine, attempt.attempt_id, file, person=WANG)
        data = file.read_bytes()
        for n, broken in enumerate([data[:-10], data[:40], b"junk", _flip(data, len(data) // 2)]):
            bad = tmp_path / f"bad{n}.eka"
            bad.write_bytes(broken)
            with pytest.raises(TransferError):
                import_attempt(ExamEngine(spare), bad, person=WANG)
        with pytest.raises(TransferError, match="not for this exam"):
            import_attempt(ExamEngine(other), file, person=WANG)
        assert spare.store.query("SELECT count(*) FROM attempts")[0][0] == 0
        assert other.store.query("SELECT count(*) FROM answers")[0][0] == 0
    finally:
        for s in (source, other, spare):
            s.close()


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 1]) + data[at + 1 :]


def _tables(station: Station) -> dict[str, list[object]]:
    """Everything but the outbox, to prove a refused file changed nothing."""
    names = [
        r[0]
        for r in station.store.query("SELECT name FROM sqlite_master WHERE type = 'table'")
        if r[0] != "events"
    ]
    return {n: station.store.query(f"SELECT * FROM {n} ORDER BY 1") for n in sorted(names)}


def _forged_body(engine: ExamEngine, candidate_id: str, **changes: object) -> dict[str, object]:
    """What the issue's tester wrote: any answers, any remaining time, a high generation."""
    body: dict[str, object] = {
        "exam_id": engine.settings().exam_id,
        "attempt_id": "forged-attempt",
        "candidate_id": candidate_id,
        "seed": 1,
        "duration_ms": 10 * 3600_000,
        "elapsed_ms": 0,
        "started_at": "2026-11-22T09:00:00+08:00",
        "pause_used_ms": 0,
        "outage_ms": 0,
        "current_item": None,
        "section_reached": 0,
        "resumes_used": 0,
        "generation": 99,
        "answers": {"A1-1": ["C"]},
        "flags": [],
        "exported_at": "2026-11-22T09:30:00+08:00",
        "invigilator": "nobody",
    }
    body.update(changes)
    return body


def test_a_transfer_signed_by_a_throw_away_key_is_refused_and_changes_nothing(
    tmp_path: Path, clock: FakeClock
) -> None:
    source = provision_exam_station(tmp_path / "seat", clock, station_id="ST-A")
    spare = provision_exam_station(tmp_path / "spare", FakeClock(), station_id="ST-B")
    # The forger holds the package (same secret, same paper) and a key of their own; they
    # even name a registered station as the source.
    rogue = provision_exam_station(tmp_path / "rogue", FakeClock(), station_id="ST-A")
    list_stations(source, spare)
    try:
        seat = ExamEngine(spare)
        attempt = seat.login(TICKET, ID_NUMBER)
        seat.save_answer(attempt.attempt_id, "A1-1", ["B"])
        seat.submit(attempt.attempt_id)
        forged = tmp_path / "forged.eka"
        forged.write_bytes(
            seal(ExamEngine(rogue), _forged_body(seat, "C1", attempt_id=attempt.attempt_id))
        )
        unknown = tmp_path / "unknown.eka"
        unknown.write_bytes(seal(ExamEngine(rogue), _forged_body(seat, "C2")))
        before = _tables(spare)
        events_before = len(spare.events())
        for file in (forged, unknown):
            with pytest.raises(UnregisteredSigner, match="not signed by a station registered"):
                import_attempt(ExamEngine(spare), file, person=WANG)
        assert _tables(spare) == before
        assert seat.attempt(attempt.attempt_id).state == "submitted"
        refusals = spare.events()[events_before:]
        assert [e.type for e in refusals] == ["audit.attempt_transfer_refused"] * 2
        assert refusals[0].payload["by"] == "T-01"
        assert refusals[0].payload["from_station"] == "ST-A"
        assert refusals[0].payload["from_station_key"] == rogue.keys().public().key_id
    finally:
        for s in (source, spare, rogue):
            s.close()


def test_even_a_registered_station_cannot_reopen_a_submission_or_set_the_time(
    tmp_path: Path, clock: FakeClock
) -> None:
    source = provision_exam_station(tmp_path / "seat", clock, station_id="ST-A")
    spare = provision_exam_station(tmp_path / "spare", FakeClock(), station_id="ST-B")
    list_stations(source, spare)
    try:
        seat = ExamEngine(spare)
        attempt = seat.login(TICKET, ID_NUMBER)
        seat.submit(attempt.attempt_id)
        reopen = tmp_path / "reopen.eka"
        reopen.write_bytes(
            seal(ExamEngine(source), _forged_body(seat, "C1", attempt_id=attempt.attempt_id))
        )
        overtime = tmp_path / "overtime.eka"
        overtime.write_bytes(
            seal(ExamEngine(source), _forged_body(seat, "C2", elapsed_ms=-3600_000))
        )
        before = _tables(spare)
        with pytest.raises(TransferError, match="never reopened"):
            import_attempt(ExamEngine(spare), reopen, person=WANG)
        with pytest.raises(TransferError, match="damaged"):
            import_attempt(ExamEngine(spare), overtime, person=WANG)
        assert _tables(spare) == before

        # The duration is the package's (60 min), not the file's ten hours.
        fine = tmp_path / "fine.eka"
        fine.write_bytes(
            seal(ExamEngine(source), _forged_body(seat, "C2", elapsed_ms=600_000, generation=1))
        )
        info = import_attempt(ExamEngine(spare), fine, person=WANG)
        assert ExamEngine(spare).attempt(info.attempt_id).remaining_ms == 50 * 60_000
    finally:
        source.close()
        spare.close()


def test_moving_an_attempt_needs_a_signed_in_invigilator(tmp_path: Path, clock: FakeClock) -> None:
    source = provision_exam_station(tmp_path / "seat", clock, station_id="ST-A")
    list_stations(source)
    try:
        engine = ExamEngine(source)
        attempt = engine.login(TICKET, ID_NUMBER)
        file = tmp_path / "a.eka"
        technician = Person("K-1", "技术员", "technician")
        for who in (None, technician):
            with pytest.raises(NotAllowed):
                export_attempt(engine, attempt.attempt_id, file, person=who)
            with pytest.raises(NotAllowed):
                import_attempt(engine, file, person=who)
        assert not file.exists() and engine.attempt(attempt.attempt_id).state == "in_progress"
    finally:
        source.close()
