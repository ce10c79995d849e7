"""Bundles with out-of-range numbers are refused whole, their refusal recorded, and a
multi-file import still takes the good files around them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sync import bundle as bundle_format
from sync.bundle import Snapshot, write_bundle
from sync.crypto import KeyPair
from sync.envelope import EnvelopeWriter
from sync.errors import FormatError
from sync.events import GENESIS_HASH, MAX_SEQ, Event, compute_hash

from .conftest import PASSPHRASE, Central
from .helpers import make_events
from .test_home import cli

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def chained(station_id: str, rows: list[dict]) -> list[Event]:  # type: ignore[type-arg]
    """Events with the given fields overridden, chained and hashed as a station would."""
    out, prev = [], GENESIS_HASH
    for i, override in enumerate(rows, start=1):
        fields = {"station_id": station_id, "seq": i, "uuid": f"u-{i}", "type": "answer.saved",
                  "wall_time": "2026-06-01T09:00:00+08:00", "mono_time": float(i),
                  "payload": {"candidate_id": "C1", "sitting_id": "S1"}, "prev_hash": prev,
                  **override}  # fmt: skip
        fields["prev_hash"] = prev
        fields["hash"] = prev = compute_hash(fields)
        out.append(Event(**fields))
    return out


def write(central: Central, keys: KeyPair, path: Path, events, snapshots=()) -> None:  # type: ignore[no-untyped-def]
    """A bundle as a station writes it, or, for what write_bundle itself refuses to write,
    forged record by record with the same envelope (what an attacker's tool would do)."""
    try:
        write_bundle(
            path, events, list(snapshots), station_id=events[0].station_id, venue_id="V1",
            sitting_id="S1", station=keys, central=central.home.public_keys(),
        )  # fmt: skip
        return
    except FormatError:
        pass
    metadata = {"layout": bundle_format.LAYOUT, "station_id": events[0].station_id,
                "venue_id": "V1", "sitting_id": "S1", "first_seq": events[0].seq,
                "last_seq": events[-1].seq, "event_count": len(events),
                "snapshot_count": len(snapshots), "created_at": "2026-06-01T09:00:00+08:00"}  # fmt: skip
    with path.open("wb") as out:
        writer = EnvelopeWriter(out, bundle_format.BUNDLE_KIND, metadata, keys,
                                [central.home.public_keys()])  # fmt: skip
        bundle_format._write_body(writer, events, list(snapshots), None, None)
        writer.finish()


BAD = {
    "seq beyond 2**53": [{}, {"seq": MAX_SEQ + 1}],
    "mono_time out of range": [{}, {"mono_time": 1e300}],
    "wall_time in 9999": [{}, {"wall_time": "9999-01-01T00:00:00+00:00"}],
    "wall_time without offset": [{}, {"wall_time": "2026-06-01T09:00:00"}],
    "payload too deep": [{}, {"payload": {"a": json.loads("[" * 20 + "1" + "]" * 20)}}],
    "payload too large": [{}, {"payload": {"text": "x" * 300_000}}],
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_out_of_range_events_refuse_the_whole_bundle_and_are_recorded(
    central: Central, tmp_path: Path, case: str
) -> None:
    keys = central.station("ST1")
    path = tmp_path / "bad.ekb"
    write(central, keys, path, chained("ST1", BAD[case]))
    with pytest.raises(FormatError):
        central.home.import_bundle(path, central.keys)
    assert central.home.store.events("ST1") == []  # not even the good first event
    refused = central.home.store.read("SELECT reason, detail FROM refused")
    assert len(refused) == 1 and refused[0][0] in ("bundle_damaged", "bundle_refused")
    assert "range" in refused[0][1] or "offset" in refused[0][1] or "payload" in refused[0][1]


def test_a_snapshot_with_an_impossible_event_seq_refuses_the_bundle(
    central: Central, tmp_path: Path
) -> None:
    keys = central.station("ST1")
    path = tmp_path / "snap.ekb"
    photo = Snapshot("checkin-1.jpg", "image/jpeg", b"\xff\xd8 photo", 2**70)
    write(central, keys, path, make_events("ST1", 3), [photo])
    with pytest.raises(FormatError):
        central.home.import_bundle(path, central.keys)
    assert central.home.store.events("ST1") == []
    assert central.home.store.read("SELECT count(*) FROM snapshots")[0][0] == 0


def test_multi_file_import_reports_each_file_and_keeps_the_good_ones(
    central: Central, tmp_path: Path
) -> None:
    keys = central.station("ST1")
    other = central.station("ST2")
    good1, bad, good2 = tmp_path / "a.ekb", tmp_path / "b.ekb", tmp_path / "c.ekb"
    write(central, keys, good1, make_events("ST1", 20))
    write(central, other, bad, chained("ST2", BAD["seq beyond 2**53"]))
    write(central, other, good2, make_events("ST2", 5))
    missing = tmp_path / "gone.ekb"
    central.home.close()  # the command line opens the home itself
    env = {"EXAMKIOSK_CENTRAL_PASSPHRASE": PASSPHRASE}
    run = cli(central.path, "import-bundle", str(good1), str(bad), str(missing), str(good2),
              env=env)  # fmt: skip
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr + run.stdout
    assert "b.ekb: REFUSED" in run.stderr and "gone.ekb: REFUSED" in run.stderr
    assert "2 imported, 2 refused" in run.stderr
    assert (
        f"{good1}: station ST1: 20 new" in run.stdout
        and f"{good2}: station ST2: 5 new" in run.stdout
    )
    as_json = cli(central.path, "import-bundle", "--json", str(good1), str(bad), env=env)
    answers = json.loads(as_json.stdout)
    assert [a["ok"] for a in answers] == [True, False] and answers[0]["duplicates"] == 20
    assert answers[1]["error"] and answers[1]["error_zh"]
    assert len(central.home.store.events("ST1")) == 20
    assert len(central.home.store.events("ST2")) == 5
