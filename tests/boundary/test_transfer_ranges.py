"""An attempt transfer file, signed by a real station, whose numbers are out of range is
refused whole: nothing of it reaches the spare station."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from examkiosk.core.authz import Person
from examkiosk.core.exam import ExamEngine
from examkiosk.core.transfer import TransferError, export_attempt, import_attempt, seal, unseal
from tests.core.conftest import ID_NUMBER, TICKET
from tests.core.exam_fixtures import FakeClock, list_stations, provision_exam_station

WANG = Person("T-01", "王老师", "invigilator")
BAD: dict[str, Any] = {
    "pause_used_ms": -1,
    "elapsed_ms": 10**30,
    "seed": "7",
    "generation": 0,
    "outage_ms": 2**63,
    "resumes_used": -5,
    "started_at": "not a time",
    "current_item": ["A1-1"],
}


@pytest.mark.parametrize("field", sorted(BAD))
def test_out_of_range_numbers_refuse_the_transfer_whole(tmp_path: Path, field: str) -> None:
    source = provision_exam_station(tmp_path / "seat", FakeClock(), station_id="ST-A")
    spare = provision_exam_station(tmp_path / "spare", FakeClock(), station_id="ST-B")
    list_stations(source, spare)
    try:
        seat = ExamEngine(source, boot="boot-a")
        attempt = seat.login(TICKET, ID_NUMBER)
        seat.save_answer(attempt.attempt_id, "A1-1", ["C"])
        real = tmp_path / "attempt.eka"
        export_attempt(seat, attempt.attempt_id, real, person=WANG)
        _header, body = unseal(seat, real.read_bytes())
        body[field] = BAD[field]
        forged = tmp_path / "forged.eka"
        forged.write_bytes(seal(seat, body))
        target = ExamEngine(spare, boot="boot-b")
        before = spare.store.query("SELECT count(*) FROM attempts")
        with pytest.raises(TransferError) as caught:
            import_attempt(target, forged, person=WANG)
        assert caught.value.zh and caught.value.en
        assert "damaged" in caught.value.en or "damaged" in caught.value.detail, caught.value
        assert spare.store.query("SELECT count(*) FROM attempts") == before
        assert not spare.store.query("SELECT 1 FROM events WHERE type = 'attempt.transferred_in'")
    finally:
        source.close()
        spare.close()
