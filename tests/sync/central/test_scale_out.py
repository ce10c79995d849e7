"""Scale-out: three central processes over one PostgreSQL, 100 stations pushing at once.

Every batch is delivered at least twice, to different processes: retried with the same
Idempotency-Key, re-sent without a key, and overlapping a batch already sent. Afterwards
every event is held exactly once, nothing was quarantined or refused, and each process's
console tells the same counts.
"""

from __future__ import annotations

import random
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import requests

from sync.central.home import CentralHome
from sync.central.staff import StaffAccounts
from tests.sync.central.helpers import signed

from .conftest import PASSPHRASE, new_pg_database
from .console_data import PASSWORD, FakeStation, face, register
from .scale_out import CentralProcesses

STATIONS = 100
CANDIDATES = 8  # per station: snapshot + check-in each, and a submission for half
BATCH = 5
WORKERS = 10  # stations pushing at once, each 3 copies at a time (the machine has 2 cores)


def deliveries(station: FakeStation) -> list[list[tuple[int, int, str | None]]]:
    """Per batch, the requests sent at the same time: the batch, its retry with the same
    Idempotency-Key, and a keyless resend overlapping the batch before; (start, end, key)."""
    rounds = []
    for n, start in enumerate(range(0, len(station.events), BATCH)):
        end = min(start + BATCH, len(station.events))
        key = f"{station.station_id}-{n}"
        rounds.append([(start, end, key), (start, end, key), (max(0, start - 2), end, None)])
    return rounds


def push_all(station: FakeStation, urls: list[str], seed: int) -> list[int]:
    rng = random.Random(seed)
    statuses = []

    def send(url: str, start: int, end: int, key: str | None) -> int:
        headers = {"Idempotency-Key": key} if key else {}
        return int(
            signed(
                "POST",
                f"{url}/v1/stations/{station.station_id}/events",
                station.station_id,
                station.keys,
                station.body(station.events[start:end]),
                headers=headers,
                timeout=120,
            ).status_code
        )

    with ThreadPoolExecutor(3) as same_time:
        for requests_of_round in deliveries(station):
            targets = rng.sample(urls, len(urls))  # each copy lands on another process
            statuses += list(
                same_time.map(
                    lambda pair: send(pair[0], *pair[1]),
                    zip(targets, requests_of_round, strict=True),
                )
            )
    return statuses


def test_three_processes_hundred_stations_every_event_once(pg_server: str, tmp_path: Path) -> None:
    db_url = new_pg_database(pg_server)
    home = CentralHome(tmp_path / "home", db_url)
    home.init(PASSPHRASE)
    rng = np.random.default_rng(1)
    stations = []
    for i in range(STATIONS):
        st = register(home, f"ST-{i:03d}", f"V-{i // 10:02d}")
        for c in range(CANDIDATES):
            cid = f"C{i:03d}{c:02d}"
            st.checkin(cid, face(rng), admit=c != 0)
            if c % 2:
                st.submit(cid, f"{i:03d}{c:02d}".ljust(64, "a"))
        stations.append(st)
    StaffAccounts(home.store).add("viewer1", "查看员", "viewer", PASSWORD)
    home.close()
    expected_events = sum(len(s.events) for s in stations)
    with CentralProcesses(tmp_path / "home", db_url, 3, tmp_path, PASSPHRASE) as centrals:
        with ThreadPoolExecutor(WORKERS) as pool:
            results = list(
                pool.map(lambda ix: push_all(ix[1], centrals.urls, ix[0]), enumerate(stations))
            )
        statuses = [s for r in results for s in r]
        assert set(statuses) == {200}, {s: statuses.count(s) for s in set(statuses)}
        counts = []
        for url in centrals.urls:  # each process answers the console with the same counts
            browser = requests.Session()
            page = browser.get(url + "/console/login", timeout=10).text
            csrf = re.search(r'name="csrf" value="([^"]+)"', page)
            assert csrf
            browser.post(
                url + "/console/login",
                data={"csrf": csrf.group(1), "username": "viewer1", "password": PASSWORD},
                timeout=30,
            )
            counts.append(browser.get(url + "/console/api/live", timeout=30).json())
    home = CentralHome(tmp_path / "home", db_url)
    try:
        held = home.store.read("SELECT COUNT(*), COUNT(DISTINCT uuid) FROM events")[0]
        assert (int(held[0]), int(held[1])) == (expected_events, expected_events)
        assert home.store.read("SELECT COUNT(*) FROM quarantine")[0][0] == 0
        assert home.store.read("SELECT COUNT(*) FROM refused")[0][0] == 0
        for record in home.store.stations():
            assert record.acked_seq == record.highest_seq == record.event_count
            assert not record.rollback
    finally:
        home.close()
    first = counts[0]
    assert all(c == first for c in counts)
    assert first["events_total"] == expected_events
    assert first["admitted_total"] == STATIONS * (CANDIDATES - 1)
    assert first["refused_total"] == STATIONS
    assert first["stations_total"] == STATIONS == first["stations_online"]


if __name__ == "__main__":  # pragma: no cover
    pytest.main([__file__, "-q"])
