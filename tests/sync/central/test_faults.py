"""Faults that must be survived: a network that drops, delays, duplicates and fails."""

from __future__ import annotations

import random
import time

from sync.central.server import BackgroundServer
from sync.client import SyncClient

from .conftest import Central
from .faultproxy import FaultProxy
from .helpers import make_events


class Outbox:
    def __init__(self, station_id: str) -> None:
        self.station_id = station_id
        self.events = make_events(station_id, 0)

    def append(self, count: int) -> None:
        prev = self.events[-1].hash if self.events else "0" * 64
        self.events += make_events(
            self.station_id, count, start=len(self.events) + 1, prev_hash=prev
        )

    def read(self, after: int, limit: int):  # type: ignore[no-untyped-def]
        return self.events[after : after + limit]


def test_after_the_network_calms_down_every_event_is_held_once(
    central: Central, server: BackgroundServer
) -> None:
    stations = {sid: (central.station(sid), Outbox(sid)) for sid in ("DOOR-1", "SEAT-1")}
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        time.sleep(min(seconds, 0.02))  # honoured in full by the client; shortened here

    with FaultProxy(server.port, seed=20250601, rate=0.6) as proxy:
        clients = {
            sid: SyncClient(
                proxy.url,
                sid,
                keys,
                outbox.read,
                central_keys=central.home.public_keys(),
                allow_plain_http=True,
                batch_events=60,
                attempts=3,
                backoff_base=0.01,
                read_timeout=10,
                sleep=sleep,
                rng=random.Random(5),
            )  # fmt: skip
            for sid, (keys, outbox) in stations.items()
        }
        for round_ in range(12):
            for sid, (_, outbox) in stations.items():
                outbox.append(40 + round_)
                clients[sid].sync_once()
        assert all(proxy.counts[f] > 0 for f in ("drop_before", "drop_after", "duplicate",
                                                 "error_503", "error_500", "truncate", "delay"))  # fmt: skip
        proxy.chaos = False
        for sid in stations:
            final = clients[sid].sync_once()
            assert final.ok and final.complete, final
    for sid, (_, outbox) in stations.items():
        held = [(e.seq, e.hash) for e in central.home.store.events(sid, limit=10**6)]
        assert held == [(e.seq, e.hash) for e in outbox.events]
    report = central.home.report()
    for st in report["stations"]:
        assert (
            st["events"]["count"]
            == st["events"]["highest_seq"]
            == len(stations[st["station_id"]][1].events)
        )
        assert st["gaps"] == [] and st["quarantined"]["count"] == 0 and st["refused"] == []
        assert not st["rollback"]
    assert report["problems"] == []


def test_retry_after_is_honoured(central: Central, server: BackgroundServer) -> None:
    keys = central.station("ST1")
    outbox = Outbox("ST1")
    outbox.append(10)
    slept: list[float] = []
    with FaultProxy(server.port, rate=0.0) as proxy:
        proxy.script = ["error_503"]
        proxy.rng = random.Random(3)
        proxy.rng.random = lambda: 0.0  # type: ignore[method-assign]  # always Retry-After: 1
        client = SyncClient(proxy.url, "ST1", keys, outbox.read, backoff_base=0.001,
                            central_keys=central.home.public_keys(), allow_plain_http=True,
                            sleep=slept.append)  # fmt: skip
        result = client.sync_once()
    assert result.ok and result.complete
    assert slept and slept[0] >= 1.0  # jitter alone would have been under 1 ms
