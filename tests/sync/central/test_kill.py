"""The station process killed at random points during sync: the centre still ends up with
every event exactly once."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sync.central.server import BackgroundServer

from .conftest import Central
from .faultproxy import FaultProxy
from .helpers import SqliteOutbox

STATION = Path(__file__).with_name("station_proc.py")
KILLS = {"sqlite": 50, "postgresql": 25}


def _run(args: list[str], kill_after: float | None) -> tuple[str, bool]:
    """Run the station; SIGKILL it `kill_after` s after it starts a pass. (stdout, killed)"""
    proc = subprocess.Popen(
        [sys.executable, str(STATION), *args], stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    assert proc.stdout is not None
    if kill_after is None:
        out, _ = proc.communicate(timeout=120)
        return out, False
    first = proc.stdout.readline()  # "sync": the pass starts now
    time.sleep(kill_after)
    killed = proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    rest, _ = proc.communicate(timeout=30)
    return first + rest, killed and "pass" not in rest


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_station_killed_mid_sync_loses_and_duplicates_nothing(
    central: Central, server: BackgroundServer, tmp_path: Path, db_url: str
) -> None:
    kills = KILLS["postgresql" if db_url.startswith("postgresql") else "sqlite"]
    keys = central.station("SEAT-7")
    outbox_path = tmp_path / "outbox.db"
    target = 20 * kills
    rng = random.Random(kills)
    mid_pass = 0
    with FaultProxy(server.port, seed=kills, rate=0.3) as proxy:
        # Only slowness here: the kills are the fault under test.
        proxy.rng.choice = lambda _seq: "delay"  # type: ignore[method-assign]
        args = [str(outbox_path), "SEAT-7", keys.to_bytes().hex(), proxy.url, "25", str(target),
                json.dumps(central.home.public_keys().to_dict())]  # fmt: skip
        for _ in range(kills):
            _, killed = _run(args, rng.uniform(0.0, 0.35))
            mid_pass += killed
        for _ in range(10):
            out, _ = _run(args, None)
            if "done" in out:
                break
        assert "done" in out, out
    outbox = SqliteOutbox(outbox_path, "SEAT-7")
    mine = [(e.seq, e.hash) for e in outbox.all()]
    outbox.close()
    assert len(mine) == target
    held = [(e.seq, e.hash) for e in central.home.store.events("SEAT-7", limit=10**6)]
    assert held == mine
    station = central.home.report()["stations"][0]
    assert station["quarantined"]["count"] == 0 and station["refused"] == []
    assert station["events"]["count"] == target and not station["rollback"]
    assert mid_pass >= kills // 4, f"only {mid_pass} of {kills} kills landed inside a pass"
    last = json.loads(out.split("pass ", 1)[1].splitlines()[0])
    assert last["acked_seq"] == target
