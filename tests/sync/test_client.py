"""The station's sync client and worker against the real central service on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import ipaddress
import random
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from sync.central.home import CentralHome
from sync.central.server import BackgroundServer, free_port
from sync.client import SyncClient, full_jitter
from sync.crypto import KeyPair, PublicKeys
from sync.events import GENESIS_HASH, Event, compute_hash
from sync.worker import SyncWorker


class ListOutbox:
    """A station outbox in memory: enough for the client, which only reads it."""

    def __init__(self, station_id: str) -> None:
        self.station_id = station_id
        self.events: list[Event] = []

    def append(self, count: int, tag: str = "") -> None:
        prev = self.events[-1].hash if self.events else GENESIS_HASH
        for _ in range(count):
            fields = {"station_id": self.station_id, "seq": len(self.events) + 1,
                      "uuid": str(uuid.uuid4()), "type": "answer.saved",
                      "wall_time": "2025-06-01T09:00:00+08:00", "mono_time": 1.5,
                      "payload": {"candidate_id": "C1", "answer": "B", "tag": tag},
                      "prev_hash": prev}  # fmt: skip
            fields["hash"] = prev = compute_hash(fields)
            self.events.append(Event.from_dict(fields))

    def read(self, after_seq: int, limit: int) -> list[Event]:
        return self.events[after_seq : after_seq + limit]

    def last_seq(self) -> int:
        return len(self.events)


@pytest.fixture
def home(tmp_path: Path) -> Iterator[CentralHome]:
    home = CentralHome(tmp_path / "central")
    CENTRAL_KEYS[:] = [home.init(PASSPHRASE)]
    yield home
    home.close()


PASSPHRASE = "client test passphrase"


def station(home: CentralHome, station_id: str = "SEAT-01") -> tuple[KeyPair, ListOutbox]:
    keys = KeyPair.generate()
    home.register_station(station_id, "V1", keys.public())
    return keys, ListOutbox(station_id)


def serve(home: CentralHome, **kw) -> BackgroundServer:  # type: ignore[no-untyped-def]
    return BackgroundServer(home, home.unlock(PASSPHRASE), **kw)


def client_for(url: str, keys: KeyPair, outbox: ListOutbox, **kw) -> SyncClient:  # type: ignore[no-untyped-def]
    """A station's client trusting `central` (default: the test's centre, set by the fixture)."""
    kw.setdefault("backoff_base", 0.01)
    kw.setdefault("central_keys", CENTRAL_KEYS[0])
    kw.setdefault("allow_plain_http", url.startswith("http://"))
    return SyncClient(url, outbox.station_id, keys, outbox.read, last_seq=outbox.last_seq, **kw)


CENTRAL_KEYS: list[PublicKeys] = []


def held(home: CentralHome, station_id: str) -> list[str]:
    return [e.hash for e in home.store.events(station_id, limit=10**6)]


def test_pass_sends_the_backlog_once_and_resumes_from_the_ack(home: CentralHome) -> None:
    keys, outbox = station(home)
    outbox.append(1234)
    with serve(home) as server:
        client = client_for(server.url, keys, outbox, batch_events=200)
        first = client.sync_once()
        assert first.ok and first.complete and first.sent_events == 1234 and first.batches == 7
        assert client.sync_once().sent_events == 0
        outbox.append(10)
        resumed = client.sync_once()
        assert (resumed.sent_events, resumed.accepted, resumed.acked_seq) == (10, 10, 1244)
    assert held(home, "SEAT-01") == [e.hash for e in outbox.events]


def test_unreachable_centre_backs_off_and_reports(home: CentralHome) -> None:
    keys, outbox = station(home)
    outbox.append(5)
    slept: list[float] = []
    client = client_for(
        f"http://127.0.0.1:{free_port()}", keys, outbox, attempts=4, backoff_base=0.5,
        sleep=slept.append, rng=random.Random(7),
    )  # fmt: skip
    assert not client.probe()
    result = client.sync_once()
    assert not result.ok and not result.complete and "cannot be reached" in result.error
    assert result.error_zh and len(slept) == 3
    assert all(0 <= s <= 0.5 * 2**i for i, s in enumerate(slept))


def test_worker_shows_offline_backlog_then_catches_up_on_force(home: CentralHome) -> None:
    keys, outbox = station(home)
    outbox.append(300)
    port = free_port()
    seen = []
    client = client_for(f"http://127.0.0.1:{port}", keys, outbox, attempts=1, probe_timeout=0.5)
    worker = SyncWorker(client, interval=3600, retry_base=3600, on_status=seen.append).start()
    try:
        first = worker.sync_now(timeout=30)
        assert first is not None and not first.ok
        offline = worker.status()
        assert not offline.online and offline.backlog_events == 300
        assert offline.backlog_bytes > 300 * 100 and offline.last_success is None
        with serve(home, port=port):
            result = worker.sync_now(timeout=30)
            assert result is not None and result.ok and result.complete
        status = worker.status()
        assert status.online and status.backlog_events == 0 and status.backlog_bytes == 0
        assert status.last_success is not None and status.acked_seq == 300
        assert any(s.syncing for s in seen) and not seen[-1].syncing
    finally:
        worker.stop()
    assert held(home, "SEAT-01") == [e.hash for e in outbox.events]


def test_restored_station_database_is_reported_not_merged(home: CentralHome) -> None:
    keys, outbox = station(home)
    outbox.append(150)
    with serve(home) as server:
        assert client_for(server.url, keys, outbox).sync_once().complete
        original = list(outbox.events)
        outbox.events = outbox.events[:100]  # restored from a backup taken at seq 100
        outbox.append(20, tag="after restore")
        result = client_for(server.url, keys, outbox).sync_once()
        assert result.ok and result.diverged and not result.complete
    assert held(home, "SEAT-01") == [e.hash for e in original]
    station_report = home.report()["stations"][0]
    assert station_report["rollback"] and station_report["quarantined"]["count"] == 20


def test_unregistered_station_gets_the_centres_reason(home: CentralHome) -> None:
    outbox = ListOutbox("UNKNOWN-9")
    outbox.append(3)
    with serve(home) as server:
        result = client_for(server.url, KeyPair.generate(), outbox).sync_once()
    assert not result.ok and "not registered" in result.error and "登记" in result.error_zh


def _tls_files(tmp_path: Path) -> tuple[Path, Path, Path]:
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ExamKiosk test CA")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    paths = tmp_path / "ca.pem", tmp_path / "cert.pem", tmp_path / "key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                          serialization.NoEncryption())
    )  # fmt: skip
    return paths


def test_tls_is_verified_against_the_pinned_ca(home: CentralHome, tmp_path: Path) -> None:
    keys, outbox = station(home)
    outbox.append(20)
    ca, cert, key = _tls_files(tmp_path)
    with serve(home, ssl_certfile=str(cert), ssl_keyfile=str(key)) as server:
        assert server.url.startswith("https://")
        unpinned = client_for(server.url, keys, outbox).sync_once()
        assert not unpinned.ok and "certificate" in unpinned.error
        assert held(home, "SEAT-01") == []
        pinned = client_for(server.url, keys, outbox, ca_file=ca).sync_once()
        assert pinned.ok and pinned.complete


def test_full_jitter_stays_within_its_envelope() -> None:
    rng = random.Random(1)
    draws = [full_jitter(a, 0.5, 8.0, rng) for a in range(12) for _ in range(50)]
    assert all(0 <= d <= 8.0 for d in draws)
    assert max(full_jitter(0, 0.5, 8.0, rng) for _ in range(200)) <= 0.5
    assert max(draws) > 4.0  # the envelope does grow to the cap
