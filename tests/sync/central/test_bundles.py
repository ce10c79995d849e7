"""USB bundles go through the same apply path as HTTP batches: any mix, any order, any
number of times, one central state."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sync.bundle import Snapshot, write_bundle
from sync.central.server import BackgroundServer
from sync.crypto import KeyPair
from sync.errors import FormatError

from .conftest import PASSPHRASE, Central
from .helpers import make_events, signed
from .test_http import post, signed_body

REPO = Path(__file__).resolve().parents[3]


def bundle(central: Central, keys: KeyPair, path: Path, events, snapshots=()):  # type: ignore[no-untyped-def]
    return write_bundle(
        path, events, list(snapshots), station_id=events[0].station_id, venue_id="V1",
        sitting_id="S1", station=keys, central=central.home.public_keys(),
    )  # fmt: skip


def state(central: Central, station_id: str) -> tuple[list[tuple[int, str]], int, list[list[int]]]:
    st = central.home.report()["stations"][0]
    events = [(e.seq, e.hash) for e in central.home.store.events(station_id, limit=10**6)]
    return events, st["quarantined"]["count"], st["gaps"]


def test_bundles_any_order_any_number_of_times_after_http(
    central: Central, server: BackgroundServer, tmp_path: Path
) -> None:
    keys = central.station("ST1")
    events = make_events("ST1", 600)
    parts = [tmp_path / f"part{i}.ekb" for i in range(3)]
    for i, path in enumerate(parts):
        bundle(central, keys, path, events[i * 200 : (i + 1) * 200])
    whole = tmp_path / "whole.ekb"
    photo = Snapshot("checkin-C001.jpg", "image/jpeg", b"\xff\xd8 not really a jpeg", 7)
    bundle(central, keys, whole, events, [photo])

    # HTTP first for the middle, then bundles out of order, repeated, and the whole one twice.
    post(f"{server.url}/v1/stations/ST1/events", signed_body(keys, events[250:350]), keys=keys)
    r3 = central.home.import_bundle(parts[2], central.keys)
    assert r3.accepted == 200 and r3.gaps == [(1, 250), (351, 400)]
    r1 = central.home.import_bundle(parts[0], central.keys)
    assert r1.gaps == [(201, 250), (351, 400)]
    assert central.home.import_bundle(parts[0], central.keys).duplicates == 200
    uploaded = signed("POST", f"{server.url}/v1/bundles", "ST1", keys, whole.read_bytes(),
                      headers={"Content-Type": "application/octet-stream"})  # fmt: skip
    assert uploaded.signed_by_centre(central.home.public_keys())
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["accepted"] == 100 and uploaded.json()["snapshots"] == 1
    again = central.home.import_bundle(whole, central.keys)
    assert (again.accepted, again.duplicates, again.snapshots) == (0, 600, 0)
    central.home.import_bundle(parts[1], central.keys)
    held, quarantined, gaps = state(central, "ST1")
    assert held == [(e.seq, e.hash) for e in events]
    assert (quarantined, gaps) == (0, [])
    assert central.home.store.station("ST1").event_count == 600  # type: ignore[union-attr]


def test_damaged_or_foreign_bundles_import_nothing(central: Central, tmp_path: Path) -> None:
    keys = central.station("ST1")
    events = make_events("ST1", 50)
    good = tmp_path / "good.ekb"
    bundle(central, keys, good, events)
    data = good.read_bytes()
    for name, damaged in {
        "flipped": data[:500] + bytes([data[500] ^ 1]) + data[501:],
        "truncated": data[: len(data) // 2],
        "empty": b"",
    }.items():
        path = tmp_path / f"{name}.ekb"
        path.write_bytes(damaged)
        with pytest.raises(FormatError):
            central.home.import_bundle(path, central.keys)
    stranger = KeyPair.generate()  # a station the centre never registered
    foreign = tmp_path / "foreign.ekb"
    write_bundle(foreign, make_events("GHOST", 5), [], station_id="GHOST", venue_id="V1",
                 sitting_id="S1", station=stranger, central=central.home.public_keys())  # fmt: skip
    with pytest.raises(Exception) as info:
        central.home.import_bundle(foreign, central.keys)
    assert "register" in str(info.value)
    assert central.home.store.events("ST1") == []
    report = central.home.report()
    assert {r["reason"] for r in report["refused_unregistered"]} >= {
        "bundle_damaged",
        "unknown_station",
    }


def test_cli_imports_twice_with_one_result(central: Central, tmp_path: Path) -> None:
    keys = central.station("ST1")
    path = tmp_path / "b.ekb"
    bundle(central, keys, path, make_events("ST1", 40))
    env = {**os.environ, "EXAMKIOSK_CENTRAL_PASSPHRASE": PASSPHRASE, "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-m", "sync.central.cli", "--home", str(central.path),
           "--db", central.home.db_url, "import-bundle", str(path), "--json"]  # fmt: skip
    first = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60)
    second = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["accepted"] == 40
    assert json.loads(second.stdout)["duplicates"] == 40
    report = subprocess.run(
        [*cmd[:7], "report", "--json", "--strict"], capture_output=True, text=True, env=env,
        timeout=60,
    )  # fmt: skip
    assert report.returncode == 0, report.stdout + report.stderr
    station = json.loads(report.stdout)["stations"][0]
    assert station["events"]["count"] == 40 and station["gaps"] == []
