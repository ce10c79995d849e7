"""Moving an attempt to a spare station: every answer and the right time arrive, once."""

from __future__ import annotations

from pathlib import Path

import pytest

from examkiosk.core.exam import ExamEngine
from examkiosk.core.exam_errors import AttemptClosed
from examkiosk.core.transfer import TransferError, export_attempt, import_attempt
from tests.core.conftest import ID_NUMBER, TICKET
from tests.core.exam_fixtures import FakeClock, provision_exam_station


def test_attempt_continues_on_a_spare_station(tmp_path: Path, clock: FakeClock) -> None:
    source = provision_exam_station(tmp_path / "seat", clock)
    spare_clock = FakeClock()
    spare_clock.mono = 77.0  # another machine: its own monotonic clock
    spare = provision_exam_station(tmp_path / "spare", spare_clock)
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
            ExamEngine(source, boot="boot-a"), attempt.attempt_id, file, invigilator="王老师"
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
        import_attempt(target, file, invigilator="王老师")
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
        types = [r[0] for r in spare.store.query("SELECT type FROM events")]
        assert "attempt.transferred_in" in types

        with pytest.raises(TransferError, match="nothing was changed"):
            import_attempt(ExamEngine(spare), file, invigilator="王老师")
        assert target.answers(moved.attempt_id)["TF-1"] == ["A"]
    finally:
        source.close()
        spare.close()


def test_damaged_or_foreign_files_are_refused_and_nothing_is_imported(
    tmp_path: Path, clock: FakeClock
) -> None:
    source = provision_exam_station(tmp_path / "seat", clock)
    other = provision_exam_station(
        tmp_path / "other", FakeClock(), settings={"resume_secret": "cd" * 32}
    )
    spare = provision_exam_station(tmp_path / "spare", FakeClock())
    try:
        engine = ExamEngine(source)
        attempt = engine.login(TICKET, ID_NUMBER)
        engine.save_answer(attempt.attempt_id, "A1-1", ["C"])
        file = tmp_path / "a.eka"
        export_attempt(engine, attempt.attempt_id, file, invigilator="王老师")
        data = file.read_bytes()
        for n, broken in enumerate([data[:-10], data[:40], b"junk", _flip(data, len(data) // 2)]):
            bad = tmp_path / f"bad{n}.eka"
            bad.write_bytes(broken)
            with pytest.raises(TransferError):
                import_attempt(ExamEngine(spare), bad, invigilator="王老师")
        with pytest.raises(TransferError, match="not for this exam"):
            import_attempt(ExamEngine(other), file, invigilator="王老师")
        assert spare.store.query("SELECT count(*) FROM attempts")[0][0] == 0
        assert other.store.query("SELECT count(*) FROM answers")[0][0] == 0
    finally:
        for s in (source, other, spare):
            s.close()


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 1]) + data[at + 1 :]
