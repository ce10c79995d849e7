"""Helpers of the station-side sync tests: a demo venue with some activity recorded through
the station's own outbox, the `examkiosk` command line in a subprocess, and what the centre
holds."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from examkiosk.app.demo_venue import SITTING_ID, DemoVenue, build_demo_venue
from examkiosk.core.station import Station
from sync.central.home import CentralHome
from tests.conftest import REPO

STATION_ID = "ST-DEMO-01"


def cli_env(**extra: str) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "EXAMKIOSK_LANG": "en", "HOME": str(REPO), **extra}


def examkiosk(
    *args: str, ok: bool = True, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "examkiosk.app", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=cli_env(),
    )
    if ok:
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return result


def examkiosk_process(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "examkiosk.app", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(),
    )


def new_venue(path: Path) -> DemoVenue:
    """A demo venue (station, demo central with the station registered, package imported)."""
    return build_demo_venue(path, faces_dir=None, candidates=6, items=5)


def start_attempt(station: Station, candidate_id: str) -> str:
    """An attempt row for a roster candidate, as the exam engine leaves it (for --sitting)."""
    attempt_id = f"ATT-{candidate_id}"
    with station.store.transaction() as conn:
        conn.execute(
            "INSERT INTO attempts (attempt_id, candidate_id, state, seed, duration_ms, "
            "elapsed_ms, started_at) VALUES (?, ?, 'running', 1, 7200000, 0, '2026-11-22')",
            (attempt_id, candidate_id),
        )
        station.record(
            conn,
            "attempt.started",
            {"attempt_id": attempt_id, "candidate_id": candidate_id, "sitting_id": SITTING_ID},
        )
    return attempt_id


def add_answers(station: Station, count: int, attempt_id: str = "ATT-C00001") -> None:
    """`count` answer.saved events, recorded as the exam engine records them."""
    with station.store.transaction() as conn:
        for i in range(count):
            station.record(
                conn,
                "answer.saved",
                {"attempt_id": attempt_id, "item_id": f"Q{i % 600:03d}", "answer": ["B"]},
            )


def add_snapshots(station: Station, count: int, size: int, candidate_id: str = "C00001") -> None:
    """Check-in snapshots with their snapshot.taken events (as the check-in desk stores them)."""
    for _ in range(count):
        data = b"\xff\xd8\xff\xe0" + os.urandom(size - 4)
        with station.store.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO snapshots (kind, candidate_id, taken_at, media_type, data) "
                "VALUES ('checkin', ?, '2026-11-22T08:00:00+08:00', 'image/jpeg', ?)",
                (candidate_id, data),
            )
            snapshot_id = int(cursor.lastrowid)
            event = station.record(
                conn,
                "snapshot.taken",
                {
                    "snapshot_id": snapshot_id,
                    "kind": "checkin",
                    "candidate_id": candidate_id,
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "bytes": len(data),
                },
            )
            conn.execute(
                "UPDATE snapshots SET event_seq = ? WHERE snapshot_id = ?", (event.seq, snapshot_id)
            )


def station_events(station: Station) -> list[tuple[int, str]]:
    return [(e.seq, e.hash) for e in station.events()]


def station_snapshots(station: Station) -> set[tuple[str, str]]:
    return {
        (f"{kind}-{sid}.jpg", hashlib.sha256(bytes(data)).hexdigest())
        for sid, kind, data in station.store.query("SELECT snapshot_id, kind, data FROM snapshots")
    }


def central_events(central: CentralHome) -> list[tuple[int, str]]:
    return [(e.seq, e.hash) for e in central.store.events(STATION_ID, limit=10**7)]


def central_snapshots(central: CentralHome) -> set[tuple[str, str]]:
    rows = central.store.read(
        "SELECT name, sha256, data FROM snapshots WHERE station_id = ?", (STATION_ID,)
    )
    for name, sha, data in rows:  # what is held is what the station signed
        assert hashlib.sha256(bytes(data)).hexdigest() == sha, name
    return {(str(r[0]), str(r[1])) for r in rows}


def central_station(central: CentralHome) -> dict[str, Any]:
    report = central.report()
    return next(s for s in report["stations"] if s["station_id"] == STATION_ID)


def assert_one_central_state(central: CentralHome, station: Station) -> None:
    """The centre holds every event and snapshot of the station exactly once, nothing else."""
    assert central_events(central) == station_events(station)
    assert central_snapshots(central) == station_snapshots(station)
    held = central_station(central)
    assert held["gaps"] == [] and held["quarantined"]["count"] == 0
    assert held["refused"] == [] and not held["rollback"]
