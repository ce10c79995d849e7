"""The one apply path: exactly once by (station_id, seq) and hash, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from sync.central.errors import UnknownStation

from .conftest import Central
from .helpers import make_events


def held(central: Central, station_id: str) -> list[tuple[int, str]]:
    return [(e.seq, e.hash) for e in central.home.store.events(station_id, limit=10**6)]


def test_repeat_is_a_no_op_and_order_does_not_matter(central: Central) -> None:
    central.station("ST1")
    events = make_events("ST1", 300)
    first = central.home.ingest("ST1", events[100:200], "http")
    assert first.gaps == [(1, 100)] and first.acked_seq == 0
    central.home.ingest("ST1", events[200:], "http")
    again = central.home.ingest("ST1", events[100:300], "usb")
    assert (again.accepted, again.duplicates) == (0, 200)
    filled = central.home.ingest("ST1", events[:150], "usb")
    assert (filled.accepted, filled.duplicates, filled.gaps) == (100, 50, [])
    assert filled.acked_seq == 300 and filled.last_hash == events[-1].hash
    assert held(central, "ST1") == [(e.seq, e.hash) for e in events]
    report = central.home.report()
    st = report["stations"][0]
    assert st["events"] == {"count": 300, "highest_seq": 300, "contiguous_seq": 300}
    assert st["gaps"] == [] and st["quarantined"]["count"] == 0 and not st["rollback"]


def test_same_seq_other_hash_is_quarantined_never_merged(central: Central) -> None:
    central.station("ST1")
    events = make_events("ST1", 10)
    central.home.ingest("ST1", events, "http")
    forged = replace(events[4], payload={"answer": "changed"})
    forged = replace(forged, hash=forged.expected_hash())
    result = central.home.ingest("ST1", [forged], "http")
    assert (result.accepted, result.quarantined) == (0, 1)
    assert held(central, "ST1") == [(e.seq, e.hash) for e in events]
    q = central.home.report()["stations"][0]["quarantined"]
    assert q["count"] == 1 and q["events"][0]["seq"] == 5 and q["events"][0]["reason"] == "conflict"


def test_rolled_back_station_is_flagged_and_its_new_history_held_back(central: Central) -> None:
    central.station("ST1")
    original = make_events("ST1", 150)
    central.home.ingest("ST1", original, "http")
    # The station's database is restored from a backup taken at seq 100, then goes on.
    restored = make_events("ST1", 80, start=101, prev_hash=original[99].hash, tag="after-restore")
    result = central.home.ingest("ST1", restored, "http")
    assert result.rollback and result.accepted == 0 and result.quarantined == 80
    later = make_events("ST1", 5, start=181, prev_hash=restored[-1].hash, tag="after-restore")
    assert central.home.ingest("ST1", later, "http").accepted == 0
    assert held(central, "ST1") == [(e.seq, e.hash) for e in original]
    st = central.home.report()["stations"][0]
    assert st["rollback"] and "older point" in st["rollback_detail"]
    assert st["quarantined"]["count"] == 85
    assert any("rolled back" in p for p in central.home.report()["problems"])


def test_event_not_linking_to_held_neighbours_is_quarantined(central: Central) -> None:
    central.station("ST1")
    events = make_events("ST1", 20)
    other = make_events("ST1", 20, tag="other history")
    central.home.ingest("ST1", events[:10] + events[11:], "http")
    result = central.home.ingest("ST1", [other[10]], "usb")
    assert result.quarantined == 1 and result.gaps == [(11, 11)]
    assert central.home.ingest("ST1", [events[10]], "usb").gaps == []


def test_bad_hash_and_foreign_events_are_refused(central: Central) -> None:
    central.station("ST1")
    events = make_events("ST1", 5)
    tampered = replace(events[2], payload={"answer": "tampered"})  # hash left as it was
    foreign = make_events("ST2", 1)[0]
    result = central.home.ingest("ST1", [*events[:2], tampered, *events[3:], foreign], "http")
    assert (result.accepted, result.refused, result.gaps) == (4, 2, [(3, 3)])
    reasons = {r["reason"] for r in central.home.report()["stations"][0]["refused"]}
    assert reasons == {"bad_hash", "wrong_station"}


def test_unregistered_station_is_refused(central: Central) -> None:
    with pytest.raises(UnknownStation) as info:
        central.home.ingest("NOBODY", make_events("NOBODY", 3), "http")
    assert "register" in info.value.en and info.value.zh


def test_concurrent_deliveries_of_the_same_events_apply_once(central: Central) -> None:
    central.station("ST1")
    events = make_events("ST1", 400)
    errors: list[BaseException] = []

    def deliver(offset: int) -> None:
        try:
            for i in range(offset, 400, 50):
                central.home.ingest("ST1", events[i : i + 100], "race")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=deliver, args=(k * 25 % 100,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert held(central, "ST1") == [(e.seq, e.hash) for e in events]
    assert central.home.store.station("ST1").event_count == 400  # type: ignore[union-attr]


def test_report_per_sitting_shows_checkins_and_submissions(central: Central) -> None:
    central.station("DOOR")
    central.station("SEAT")
    from sync.events import GENESIS_HASH, Event, compute_hash

    def chain(station: str, specs: list[tuple[str, dict[str, object]]]) -> list[Event]:
        prev, out = GENESIS_HASH, []
        for seq, (kind, payload) in enumerate(specs, 1):
            fields = {"station_id": station, "seq": seq, "uuid": f"{station}-{seq}", "type": kind,
                      "wall_time": "2025-06-01T09:00:00+08:00", "mono_time": 1.0,
                      "payload": payload, "prev_hash": prev}  # fmt: skip
            fields["hash"] = prev = compute_hash(fields)
            out.append(Event.from_dict(fields))
        return out

    central.home.ingest("DOOR", chain("DOOR", [
        ("checkin.admitted", {"candidate_id": "A", "sitting_id": "S9"}),
        ("checkin.admitted", {"candidate_id": "B", "sitting_id": "S9"}),
    ]), "http")  # fmt: skip
    central.home.ingest("SEAT", chain("SEAT", [
        ("package.imported", {"sitting_id": "S9"}),
        ("exam.submitted", {"candidate_id": "A"}),
        ("exam.submitted", {"candidate_id": "C"}),
    ]), "http")  # fmt: skip
    sitting = next(s for s in central.home.report()["sittings"] if s["sitting_id"] == "S9")
    by_id = {c["candidate_id"]: c for c in sitting["candidates"]}
    assert by_id["A"] == {"candidate_id": "A", "checked_in": True, "submitted": True}
    assert not by_id["B"]["submitted"] and not by_id["C"]["checked_in"]
    assert sitting["summary"]["submitted_without_checkin"] == 1
    assert {s["station_id"] for s in sitting["stations"]} == {"DOOR", "SEAT"}


def test_acked_seq_is_always_the_longest_held_prefix_whatever_the_delivery_order(
    central: Central,
) -> None:
    """Batches of random size and place, repeated and overlapping: after each one the
    station's acked seq is exactly the end of the run held from seq 1 (decided from the
    batch's own lookup where it can, by the database where it cannot)."""
    import random

    rng = random.Random(20261125)
    for round_ in range(4):
        sid = f"ST{round_}"
        central.station(sid)
        events = make_events(sid, 120)
        have: set[int] = set()
        for _ in range(25):
            start = rng.randrange(0, 120)
            if rng.random() < 0.3:  # a sparse batch: scattered seqs, looked up one by one
                chosen = sorted(rng.sample(range(120), rng.randint(1, 8)))
                batch = [events[i] for i in chosen]
            else:
                batch = events[start : start + rng.randint(1, 30)]
            result = central.home.ingest(sid, batch, "http")
            have |= {e.seq for e in batch}
            prefix = 0
            while prefix + 1 in have:
                prefix += 1
            assert result.acked_seq == prefix
            if prefix:
                assert result.last_hash == events[prefix - 1].hash
