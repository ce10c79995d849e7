"""Moving an attempt between two stations of one venue through the real command line: the
centre's package lists both stations' keys, the transfer works with signed-in invigilators,
and a file forged with a throw-away key is refused, audited, and changes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from examkiosk.app.demo_venue import build_demo_venue, demo_accounts
from examkiosk.core.exam import ExamEngine
from examkiosk.core.package_import import current_exam
from examkiosk.core.provision import open_station
from examkiosk.core.station import Station
from examkiosk.core.transfer import seal
from examkiosk.store.layout import DataDir
from sync.crypto import KeyPair
from tests.conftest import REPO

MAIN = "from examkiosk.app.cli import main; main()"
FIRST, SECOND = "202611220001", "202611220002"


@pytest.fixture(scope="module")
def venue(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("transfer")
    build_demo_venue(
        root / "door", faces_dir=None, candidates=3, items=6, spare_dirs=(root / "spare",)
    ).station.close()
    return root / "door", root / "spare"


def run(data_dir: Path, *args: str, staff: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXAMKIOSK_")}
    env.update(EXAMKIOSK_STAFF=staff, EXAMKIOSK_STAFF_PASSWORD=demo_accounts(data_dir)[staff])
    return subprocess.run(
        [sys.executable, "-c", MAIN, "--lang", "en", "exam", *args, "--data-dir", str(data_dir)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def opened(data_dir: Path) -> Station:
    return open_station(data_dir, DataDir(data_dir).demo_passphrase.read_text().strip())


def tables(data_dir: Path) -> dict[str, Any]:
    station = opened(data_dir)
    try:
        names = [
            r[0]
            for r in station.store.query("SELECT name FROM sqlite_master WHERE type = 'table'")
            if r[0] != "events"
        ]
        return {n: station.store.query(f"SELECT * FROM {n} ORDER BY 1") for n in sorted(names)}
    finally:
        station.close()


def events(data_dir: Path) -> list[Any]:
    station = opened(data_dir)
    try:
        return station.events()
    finally:
        station.close()


def test_the_package_lists_the_venues_stations(venue: tuple[Path, Path]) -> None:
    door, spare = venue
    station = opened(spare)
    try:
        listed = {s["station_id"]: s["sign_key"] for s in current_exam(station)["stations"]}
        assert listed[station.station_id] == station.keys().public().sign.hex()
    finally:
        station.close()
    assert set(listed) == {"ST-DEMO-01", "ST-DEMO-02"}


def test_an_attempt_moves_between_two_stations_of_the_venue(
    venue: tuple[Path, Path], tmp_path: Path
) -> None:
    door, spare = venue
    sim = run(door, "simulate", "--candidate", FIRST, "--answers", "3", staff="demo-admin")
    assert sim.returncode == 0, sim.stderr
    file = tmp_path / "usb" / "first.eka"
    out = run(door, "export-attempt", "--candidate", FIRST, "--out", str(file), staff="demo-inv1")
    assert out.returncode == 0, out.stderr
    moved = run(spare, "import-attempt", str(file), staff="demo-inv2")
    assert moved.returncode == 0, moved.stderr
    assert "from ST-DEMO-01" in moved.stdout
    arrived = next(e for e in events(spare) if e.type == "attempt.transferred_in")
    assert arrived.payload["by"] == "demo-inv2" and len(arrived.payload["answers"]) == 3
    shown = subprocess.run(
        [sys.executable, "-c", MAIN, "exam", "show", "--candidate", FIRST, "--json"]
        + ["--data-dir", str(spare)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert json.loads(shown.stdout)["state"] == "in_progress"


def test_a_transfer_forged_with_a_throw_away_key_is_refused_and_changes_nothing(
    venue: tuple[Path, Path], tmp_path: Path
) -> None:
    door, spare = venue
    # An insider with the door station's passphrase (so the package secret and paper) signs
    # a file with a key of their own, naming the door station as its source.
    station = opened(door)
    try:
        throwaway = KeyPair.generate()
        station.keys = lambda: throwaway  # type: ignore[method-assign]
        engine = ExamEngine(station)
        body = {
            "exam_id": engine.settings().exam_id,
            "attempt_id": "forged",
            "candidate_id": "C0002",
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
            "answers": {},
            "flags": [],
            "exported_at": "2026-11-22T09:30:00+08:00",
            "invigilator": "x",
        }
        candidate_id = station.store.query(
            "SELECT candidate_id FROM candidates WHERE ticket = ?", (SECOND,)
        )[0][0]
        body["candidate_id"] = candidate_id
        forged = tmp_path / "forged.eka"
        forged.write_bytes(seal(engine, body))
    finally:
        station.close()
    before, seen = tables(spare), len(events(spare))
    refused = run(spare, "import-attempt", str(forged), staff="demo-inv1")
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "not signed by a station registered for this venue" in refused.stderr
    assert tables(spare) == before
    new = events(spare)[seen:]
    # Only audit entries (opening the store, the sign-in, the refusal): no state changed.
    assert all(e.type.startswith("audit.") for e in new)
    assert new[-1].type == "audit.attempt_transfer_refused"
    assert new[-1].payload["from_station"] == "ST-DEMO-01"
    assert new[-1].payload["by"] == "demo-inv1"
    assert new[-1].payload["from_station_key"] == throwaway.public().key_id
