"""Snapshots over HTTP: chunked, resumable, checked against the station's signature, one
state with snapshots that came in bundles, and never ahead of waiting events."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path

import requests

from sync.bundle import Snapshot, write_bundle
from sync.central.server import BackgroundServer
from sync.client import SyncClient
from sync.crypto import KeyPair
from sync.events import canonical_json
from sync.snapshot_upload import PendingSnapshot

from .conftest import Central
from .faultproxy import FaultProxy
from .helpers import SqliteOutbox, signed

CHUNK = 64 * 1024


class Photos:
    """An in-memory SnapshotSource with the station's upload mark."""

    def __init__(self, count: int, size: int) -> None:
        self.items = {key: b"\xff\xd8" + os.urandom(size - 2 + key) for key in range(1, count + 1)}
        self.mark = 0
        self.on_data = lambda: None

    def pending(self, limit: int) -> Sequence[PendingSnapshot]:
        keys = [k for k in sorted(self.items) if k > self.mark][:limit]
        return [PendingSnapshot(k, self.name(k), "image/jpeg", len(self.items[k])) for k in keys]

    def data(self, key: int) -> bytes:
        self.on_data()
        return self.items[key]

    def uploaded(self, key: int) -> None:
        self.mark = max(self.mark, key)

    def backlog(self) -> tuple[int, int]:
        left = [v for k, v in self.items.items() if k > self.mark]
        return len(left), sum(map(len, left))

    @staticmethod
    def name(key: int) -> str:
        return f"checkin-{key}.jpg"

    def held_form(self) -> set[tuple[str, str]]:
        return {(self.name(k), hashlib.sha256(v).hexdigest()) for k, v in self.items.items()}


def held(central: Central, station_id: str) -> set[tuple[str, str]]:
    rows = central.home.store.read(
        "SELECT name, sha256, data FROM snapshots WHERE station_id = ?", (station_id,)
    )
    assert all(hashlib.sha256(bytes(r[2])).hexdigest() == r[1] for r in rows)
    return {(str(r[0]), str(r[1])) for r in rows}


def announce(
    url: str, keys: KeyPair, station_id: str, name: str, data: bytes, sender: KeyPair | None = None
) -> requests.Response:
    """Announce `data`, described and signed with `keys`; the request is signed by `sender`
    (default: the same keys)."""
    description = {"name": name, "media_type": "image/jpeg", "size": len(data),
                   "sha256": hashlib.sha256(data).hexdigest(), "event_seq": None}  # fmt: skip
    signature = keys.signature(canonical_json(description)).hex()
    body = json.dumps({"snapshot": description, "signature": signature}).encode()
    return signed(  # type: ignore[no-any-return]
        "POST", f"{url}/v1/stations/{station_id}/snapshots", station_id, sender or keys, body
    )


def chunk(
    url: str, station_id: str, upload: str, offset: int, data: bytes, keys: KeyPair
) -> requests.Response:
    return signed(  # type: ignore[no-any-return]
        "POST", f"{url}/v1/stations/{station_id}/snapshots/{upload}/chunks?offset={offset}",
        station_id, keys, data, headers={"Content-Type": "application/octet-stream"},
    )  # fmt: skip


def test_an_upload_resumes_where_the_centre_stands(
    central: Central, server: BackgroundServer
) -> None:
    keys = central.station("SEAT-1")
    photo = os.urandom(3 * CHUNK + 100)
    first = announce(server.url, keys, "SEAT-1", "checkin-1.jpg", photo).json()
    assert (first["received"], first["complete"], first["status"]) == (0, False, "pending")
    upload = first["upload_id"]
    assert chunk(server.url, "SEAT-1", upload, 0, photo[:CHUNK], keys).json()["received"] == CHUNK

    # The station restarts: announcing again finds the same upload at the same place.
    again = announce(server.url, keys, "SEAT-1", "checkin-1.jpg", photo).json()
    assert (again["upload_id"], again["received"]) == (upload, CHUNK)
    # A retried chunk whose answer was lost changes nothing; a chunk from elsewhere is refused.
    assert chunk(server.url, "SEAT-1", upload, 0, photo[:CHUNK], keys).json()["received"] == CHUNK
    wrong = chunk(server.url, "SEAT-1", upload, 2 * CHUNK, photo[2 * CHUNK : 3 * CHUNK], keys)
    assert wrong.status_code == 409 and wrong.json()["reason"] == "upload_offset"
    assert held(central, "SEAT-1") == set()

    offset = CHUNK
    while offset < len(photo):
        state = chunk(
            server.url, "SEAT-1", upload, offset, photo[offset : offset + CHUNK], keys
        ).json()
        offset = state["received"]
    assert state["complete"] and state["status"] == "accepted"
    assert held(central, "SEAT-1") == {("checkin-1.jpg", hashlib.sha256(photo).hexdigest())}
    done = announce(server.url, keys, "SEAT-1", "checkin-1.jpg", photo).json()
    assert done["complete"] and done["received"] == len(photo)


def test_bytes_that_do_not_match_the_signed_hash_are_never_stored(
    central: Central, server: BackgroundServer
) -> None:
    keys = central.station("SEAT-2")
    photo = os.urandom(CHUNK)
    upload = announce(server.url, keys, "SEAT-2", "checkin-9.jpg", photo).json()["upload_id"]
    forged = chunk(server.url, "SEAT-2", upload, 0, b"\x00" + photo[1:], keys).json()
    assert (forged["status"], forged["received"], forged["complete"]) == ("restarted", 0, False)
    assert held(central, "SEAT-2") == set()
    assert chunk(server.url, "SEAT-2", upload, 0, photo, keys).json()["status"] == "accepted"

    other = KeyPair.generate()
    refused = announce(server.url, other, "SEAT-2", "checkin-10.jpg", photo)
    assert refused.status_code == 401 and refused.json()["reason"] == "bad_signature"
    unknown = announce(server.url, other, "SEAT-404", "checkin-1.jpg", photo)
    assert unknown.status_code == 401 and unknown.json()["reason"] == "unknown_station"
    # SEAT-2 itself sends a description signed by another key: refused and recorded.
    inner = announce(server.url, other, "SEAT-2", "checkin-11.jpg", photo, sender=keys)
    assert inner.status_code == 401 and inner.json()["reason"] == "bad_signature"
    assert held(central, "SEAT-2") == {("checkin-9.jpg", hashlib.sha256(photo).hexdigest())}
    reasons = {r[0] for r in central.home.store.read("SELECT reason FROM refused")}
    assert reasons == {"bad_signature"}  # strangers are counted in memory, not stored


def client(
    url: str, keys: KeyPair, outbox: SqliteOutbox, photos: Photos, central: Central
) -> SyncClient:
    return SyncClient(url, outbox.station_id, keys, outbox.read, last_seq=outbox.last_seq,
                      central_keys=central.home.public_keys(), allow_plain_http=True,
                      snapshots=photos, snapshot_chunk_bytes=CHUNK, backoff_base=0.001,
                      backoff_cap=0.05, attempts=4)  # fmt: skip


def test_snapshots_from_a_bundle_and_over_http_are_held_once(
    central: Central, server: BackgroundServer, tmp_path: Path
) -> None:
    keys = central.station("SEAT-3")
    outbox = SqliteOutbox(tmp_path / "outbox.db", "SEAT-3")
    outbox.append(20)
    photos = Photos(3, 100_000)
    bundle = tmp_path / "usb.ekb"
    carried = [Snapshot(Photos.name(k), "image/jpeg", photos.items[k]) for k in (1, 2)]
    write_bundle(bundle, outbox.all(), carried, station_id="SEAT-3", venue_id="V1",
                 sitting_id="S1", station=keys, central=central.keys.public())  # fmt: skip
    assert central.home.import_bundle(bundle, central.keys).snapshots == 2

    # Over HTTP afterwards: the two carried ones are recognised without sending their bytes.
    result = client(server.url, keys, outbox, photos, central).sync_once()
    assert result.complete and result.snapshots_uploaded == 3
    assert result.snapshot_bytes == len(photos.items[3]) and not result.snapshots_pending
    assert held(central, "SEAT-3") == photos.held_form()
    # And a bundle after HTTP adds nothing.
    assert central.home.import_bundle(bundle, central.keys).snapshots == 0
    assert held(central, "SEAT-3") == photos.held_form()
    outbox.close()


def test_events_recorded_during_a_snapshot_upload_go_first(
    central: Central, server: BackgroundServer, tmp_path: Path
) -> None:
    keys = central.station("SEAT-4")
    outbox = SqliteOutbox(tmp_path / "outbox.db", "SEAT-4")
    outbox.append(10)
    photos = Photos(2, 5 * CHUNK)
    recorded: list[str] = []
    reads = []

    def record_while_uploading() -> None:  # the first two reads of a photo: 3 events each
        reads.append(1)
        if len(reads) <= 2:
            outbox.append(3)

    photos.on_data = record_while_uploading
    station = client(server.url, keys, outbox, photos, central)
    station.session.hooks["response"].append(
        lambda response, **_kw: recorded.append(response.request.path_url.split("?")[0])
    )
    result = station.sync_once()
    assert result.complete and result.snapshots_uploaded == 2
    assert result.acked_seq == outbox.last_seq() == 16
    # The events recorded while a photo was being read are pushed before any of its chunks.
    kinds = ["events" if p.endswith("/events") else "chunk" if "/chunks" in p else "other"
             for p in recorded]  # fmt: skip
    assert kinds.count("events") == 3
    first_chunk = kinds.index("chunk")
    assert "events" in kinds[kinds.index("events") + 1 : first_chunk]
    assert [(e.seq, e.hash) for e in central.home.store.events("SEAT-4")] == [
        (e.seq, e.hash) for e in outbox.all()
    ]
    assert held(central, "SEAT-4") == photos.held_form()
    outbox.close()


def test_snapshots_survive_a_misbehaving_network(
    central: Central, server: BackgroundServer, tmp_path: Path
) -> None:
    keys = central.station("SEAT-5")
    outbox = SqliteOutbox(tmp_path / "outbox.db", "SEAT-5")
    outbox.append(300)
    photos = Photos(4, 3 * CHUNK)
    with FaultProxy(server.port, seed=5, rate=0.4) as proxy:
        station = client(proxy.url, keys, outbox, photos, central)
        for _ in range(60):
            result = station.sync_once()
            if result.complete and not result.snapshots_pending and not result.snapshot_error:
                break
        proxy.chaos = False
        result = station.sync_once()
    assert result.complete and photos.backlog() == (0, 0)
    assert proxy.counts["requests"] > 20 and proxy.counts["pass"] < proxy.counts["requests"]
    assert held(central, "SEAT-5") == photos.held_form()
    assert [(e.seq, e.hash) for e in central.home.store.events("SEAT-5")] == [
        (e.seq, e.hash) for e in outbox.all()
    ]
    station_report = central.home.report()["stations"][0]
    assert station_report["quarantined"]["count"] == 0 and station_report["gaps"] == []
    outbox.close()
