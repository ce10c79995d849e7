"""The exam engine as a candidate meets it: login, answers of every type, sections, submit."""

from __future__ import annotations

import json

import pytest

from examkiosk.core.attempt_sessions import LIVE_SESSION_SECONDS
from examkiosk.core.errors import NotFound, Refused
from examkiosk.core.exam import ExamEngine
from examkiosk.core.exam_errors import AttemptClosed, SectionLocked, SessionMoved
from examkiosk.core.paper import PaperError
from examkiosk.core.station import Station
from tests.core.conftest import ID_NUMBER, TICKET
from tests.core.exam_fixtures import FakeClock


def _events(station: Station, type_: str) -> list[dict[str, object]]:
    rows = station.store.query("SELECT payload_json FROM events WHERE type = ?", (type_,))
    return [json.loads(r[0]) for r in rows]


def test_login_needs_matching_id_and_a_door_check_in(engine: ExamEngine) -> None:
    with pytest.raises(Refused, match="do not match"):
        engine.login(TICKET, "110105199001019999")
    with pytest.raises(Refused, match="not been checked in"):
        engine.login("T0002", "11010519900202123X")
    with pytest.raises(NotFound):
        engine.login("NOPE", ID_NUMBER)
    attempt = engine.login(TICKET, ID_NUMBER.lower())
    assert attempt.state == "in_progress" and attempt.remaining_ms == 60 * 60_000
    assert engine.login(TICKET, ID_NUMBER).attempt_id == attempt.attempt_id


def test_every_item_type_is_answered_stored_and_scored(
    engine: ExamEngine, station: Station
) -> None:
    attempt = engine.login(TICKET, ID_NUMBER)
    given = {
        "A1-1": ["C"],
        "A2-1": ["B"],
        "A3-1": ["B"],
        "A3-2": ["D"],
        "A4-1": ["E"],
        "B1-1": ["A"],
        "B1-2": ["C"],
        "X-1": ["C", "A", "B"],
        "TF-1": ["A"],
    }
    for item_id, answer in given.items():
        engine.move_to(attempt.attempt_id, item_id)
        engine.save_answer(attempt.attempt_id, item_id, answer)
    stored = engine.answers(attempt.attempt_id)
    assert stored["X-1"] == ["A", "B", "C"]  # stored sorted, in the package's keys
    assert len(_events(station, "answer.saved")) == len(given)
    receipt = engine.submit(attempt.attempt_id)
    # A2-1 is wrong (key A); X-1 is all-or-nothing and complete: 2 points.
    assert (receipt.answered, receipt.total) == (9, 9)
    assert receipt.score == 9.0 and receipt.max_score == 10.0
    assert len(receipt.answer_hash) == 12
    assert engine.attempt(attempt.attempt_id).receipt == receipt.answer_hash
    with pytest.raises(AttemptClosed):
        engine.save_answer(attempt.attempt_id, "A1-1", ["A"])
    submitted = _events(station, "attempt.submitted")
    assert submitted[0]["answers_sha256"] == receipt.answers_sha256


def test_x_items_score_only_when_exactly_right(engine: ExamEngine) -> None:
    attempt = engine.login(TICKET, ID_NUMBER)
    engine.move_to(attempt.attempt_id, "X-1")
    engine.save_answer(attempt.attempt_id, "X-1", ["A", "B"])
    assert engine.submit(attempt.attempt_id).score == 0.0


def test_invalid_answers_are_refused_and_nothing_is_written(
    engine: ExamEngine, station: Station
) -> None:
    attempt = engine.login(TICKET, ID_NUMBER)
    with pytest.raises(PaperError):
        engine.save_answer(attempt.attempt_id, "A1-1", ["Z"])
    with pytest.raises(PaperError, match="single answer"):
        engine.save_answer(attempt.attempt_id, "A1-1", ["A", "B"])
    with pytest.raises(NotFound):
        engine.save_answer(attempt.attempt_id, "NOPE", ["A"])
    assert engine.answers(attempt.attempt_id) == {}
    assert _events(station, "answer.saved") == []


def test_clearing_an_answer_is_saved_and_not_counted(engine: ExamEngine) -> None:
    attempt = engine.login(TICKET, ID_NUMBER)
    engine.save_answer(attempt.attempt_id, "A1-1", ["C"])
    engine.save_answer(attempt.attempt_id, "A1-1", [])
    assert engine.answers(attempt.attempt_id)["A1-1"] == []
    assert engine.submit(attempt.attempt_id).answered == 0


def test_a_section_left_is_locked_when_the_rules_say_so(
    engine: ExamEngine, station: Station
) -> None:
    attempt = engine.login(TICKET, ID_NUMBER)
    engine.save_answer(attempt.attempt_id, "A1-1", ["C"])
    engine.move_to(attempt.attempt_id, "A2-1")  # moving within S1 locks nothing
    assert engine.locked_sections(attempt.attempt_id) == frozenset()
    locked = engine.move_to(attempt.attempt_id, "B1-1")
    assert locked == frozenset({"S1"})
    with pytest.raises(SectionLocked, match="第一部分"):
        engine.save_answer(attempt.attempt_id, "A1-1", ["A"])
    with pytest.raises(SectionLocked):
        engine.move_to(attempt.attempt_id, "A2-1")
    assert engine.answers(attempt.attempt_id)["A1-1"] == ["C"]
    engine.move_to(attempt.attempt_id, "TF-1")  # S2 has no lock rule: it stays open
    engine.save_answer(attempt.attempt_id, "B1-1", ["A"])
    assert [e["section_id"] for e in _events(station, "section.locked")] == ["S1"]


def test_flags_position_and_answers_survive_a_restart(
    engine: ExamEngine, station: Station, clock: FakeClock
) -> None:
    attempt = engine.login(TICKET, ID_NUMBER)
    engine.save_answer(attempt.attempt_id, "A1-1", ["C"])
    engine.set_flag(attempt.attempt_id, "A2-1", True)
    engine.set_flag(attempt.attempt_id, "A1-1", True)
    engine.set_flag(attempt.attempt_id, "A1-1", False)
    engine.move_to(attempt.attempt_id, "A3-2")
    clock.advance(LIVE_SESSION_SECONDS + 5)  # the program died; it is started again

    restarted = ExamEngine(station, boot="boot-1")
    again = restarted.login(TICKET, ID_NUMBER)
    state = restarted.seat_state(again.attempt_id)
    assert again.attempt_id == attempt.attempt_id
    assert state.answers == {"A1-1": ["C"]}
    assert state.flags == frozenset({"A2-1"})
    assert state.current_item == "A3-2"
    assert state.candidate.name == "张三"
    # The old program's session is over: its writes are refused, not silently merged.
    with pytest.raises(SessionMoved):
        engine.save_answer(attempt.attempt_id, "A2-1", ["A"])


def test_candidate_order_is_shuffled_reproducibly_with_groups_kept_together(
    engine: ExamEngine,
) -> None:
    paper = engine.paper()
    orders = {tuple(i.item_id for i in paper.for_candidate(seed).items()) for seed in range(40)}
    assert len(orders) > 5, "items are not shuffled per candidate"
    assert tuple(i.item_id for i in paper.for_candidate(7).items()) == tuple(
        i.item_id for i in engine.paper().for_candidate(7).items()
    )
    for seed in range(40):
        view = paper.for_candidate(seed)
        ids = [i.item_id for i in view.items()]
        assert abs(ids.index("A3-1") - ids.index("A3-2")) == 1, "case group split"
        assert ids.index("A3-1") < ids.index("A3-2"), "case group items reordered"
        assert [s.section_id for s in view.sections] == ["S1", "S2", "S3"]
        by_id = {i.item_id: i for i in view.items()}
        assert [o.key for o in by_id["TF-1"].options] == ["A", "B"]
        assert [o.key for o in by_id["B1-1"].options] == list("ABCDE")
    shuffled = {
        tuple(o.key for o in paper.for_candidate(s).item("A1-1").options)  # type: ignore[union-attr]
        for s in range(40)
    }
    assert len(shuffled) > 5, "options are not shuffled"


def test_item_images_travel_with_the_paper(engine: ExamEngine) -> None:
    item = engine.paper().item("A1-1")
    assert item is not None and item.image is not None
    assert item.image.data().startswith(b"\x89PNG")
    group_item = engine.paper().item("A3-2")
    assert group_item is not None and group_item.group is not None
    assert group_item.group.stem.startswith("女，30岁")
