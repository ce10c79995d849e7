"""The centre's HTTP boundary against strangers and broken clients, on 127.0.0.1: nothing is
read before authentication, nothing unauthenticated is written anywhere, every refusal is a
JSON answer with a reason and a message, never a traceback, and real stations keep syncing
while junk streams in."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from sync.central.server import BackgroundServer
from sync.client import SyncClient
from sync.crypto import KeyPair
from sync.reqsign import sign_request

from .conftest import Central
from .helpers import SqliteOutbox, make_events, signed
from .test_http import signed_body

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture
def fast(central: Central) -> Iterator[BackgroundServer]:
    """The service with a 1-second idle limit on request bodies (15 s in production)."""
    with BackgroundServer(
        central.home, central.keys, app_options={"body_idle_timeout": 1.0}
    ) as srv:
        yield srv


def raw(port: int, head: str, body: bytes = b"", *, wait: float = 10.0) -> tuple[int, bytes]:
    """Send a hand-made request; (status, body) of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
        data = b""
        try:
            while chunk := sock.recv(65536):
                data += chunk
        except (ConnectionResetError, TimeoutError):
            pass
    status_line, _, rest = data.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


def assert_clear_refusal(answer: requests.Response, status: int, reason: str) -> None:
    assert answer.status_code == status, answer.text
    document = answer.json()
    assert document["reason"] == reason and document["message"] and document["message_zh"]
    assert "Traceback" not in answer.text


def usage(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def test_deep_or_busy_json_from_a_station_is_a_400_with_a_message(
    central: Central, server: BackgroundServer
) -> None:
    keys = central.station("ST1")
    url = f"{server.url}/v1/stations/ST1/events"
    for body in (b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 5000 + b"1" + b"}" * 5000,
                 b"[" + b"{}," * 600_000 + b"{}]"):  # fmt: skip
        answer = signed("POST", url, "ST1", keys, body)
        assert_clear_refusal(answer, 400, "malformed")
    assert central.home.store.events("ST1") == []


def test_a_body_over_the_limit_is_refused_before_it_is_read(
    central: Central, server: BackgroundServer
) -> None:
    keys = central.station("ST1")
    path = "/v1/stations/ST1/events"
    headers = sign_request(keys, "ST1", "POST", path, b"x", int(time.time())).headers
    head = f"POST {path} HTTP/1.1\nHost: x\nContent-Length: {64 * 1024 * 1024}\n" + "".join(
        f"{k}: {v}\n" for k, v in headers.items()
    )
    status, body = raw(server.port, head)  # the 64 MiB never follow: answered from the head
    assert status == 413 and json.loads(body)["reason"] == "too_large"
    # Announced small, sent large (chunked, no length): cut off while streaming.
    big = b"x" * (17 * 1024 * 1024)
    big_headers = sign_request(keys, "ST1", "POST", path, big, int(time.time())).headers
    answer = requests.post(server.url + path, data=iter([big]), headers=big_headers, timeout=30)
    assert_clear_refusal(answer, 413, "too_large")
    assert central.home.store.events("ST1") == []


def test_bytes_other_than_the_signed_ones_are_refused(
    central: Central, server: BackgroundServer
) -> None:
    keys = central.station("ST1")
    path = "/v1/stations/ST1/events"
    body = signed_body(keys, make_events("ST1", 5))
    headers = sign_request(keys, "ST1", "POST", path, body, int(time.time())).headers
    tampered = body.replace(b"C001", b"C999")
    answer = requests.post(server.url + path, data=tampered, headers=headers, timeout=10)
    assert_clear_refusal(answer, 401, "body_mismatch")
    stale = signed("POST", server.url + path, "ST1", keys, body, timestamp=int(time.time()) - 3600)
    assert_clear_refusal(stale, 401, "clock_skew")
    assert central.home.store.events("ST1") == []


def test_unauthenticated_uploads_never_reach_the_disk_or_the_database(
    central: Central, server: BackgroundServer
) -> None:
    before = usage(central.path)
    junk = b"\x00" * (8 * 1024 * 1024)
    for path in ("/v1/bundles", "/v1/stations/NOBODY/events", "/v1/stations/NOBODY/snapshots",
                 "/v1/stations/NOBODY/snapshots/" + "0" * 32 + "/chunks?offset=0"):  # fmt: skip
        answer = requests.post(server.url + path, data=junk, timeout=30)
        assert_clear_refusal(answer, 401, "unsigned")
        assert answer.headers.get("connection") == "close"
    stranger = signed("POST", f"{server.url}/v1/bundles", "NOBODY", central.keys, junk)
    assert_clear_refusal(stranger, 401, "unknown_station")
    assert (
        not list((central.path / "incoming").glob("*"))
        if (central.path / "incoming").exists()
        else True
    )
    assert central.home.store.read("SELECT count(*) FROM refused")[0][0] == 0
    assert usage(central.path) - before < 256 * 1024  # SQLite housekeeping at most


def test_a_client_that_stops_sending_is_cut_off(central: Central, fast: BackgroundServer) -> None:
    keys = central.station("ST1")
    path = "/v1/stations/ST1/events"
    headers = sign_request(keys, "ST1", "POST", path, b"{}" * 100, int(time.time())).headers
    head = f"POST {path} HTTP/1.1\nHost: x\nContent-Length: 200\n" + "".join(
        f"{k}: {v}\n" for k, v in headers.items()
    )
    started = time.monotonic()
    status, body = raw(fast.port, head, b"{}" * 10)  # 20 of 200 bytes, then silence
    assert status == 408 and json.loads(body)["reason"] == "too_slow"
    assert time.monotonic() - started < 8


def test_refusals_are_rate_limited_per_address(central: Central) -> None:
    keys = central.station("ST1")
    with BackgroundServer(central.home, central.keys, app_options={"refusal_tarpit": 0.2}) as srv:
        _rate_limited(central, srv, keys)


def _rate_limited(central: Central, server: BackgroundServer, keys: KeyPair) -> None:
    # Budgets are per calendar minute: start early in one, so the 140 refusals (slower on a
    # loaded machine) do not straddle two minutes and start counting again.
    if time.monotonic() % 60 > 30:  # the limiter's clock (sync/central/auth.py Refusals)
        time.sleep(60 - time.monotonic() % 60 + 0.1)
    statuses = [
        requests.get(f"{server.url}/v1/stations/ST1/ack", timeout=5).status_code for _ in range(140)
    ]
    assert statuses[0] == 401 and statuses[-1] == 429
    limited = requests.get(f"{server.url}/v1/stations/ST1/ack", timeout=5)
    assert limited.headers.get("retry-after") and limited.json()["message_zh"]
    # The station itself, from the same address, still gets through.
    ok = signed("GET", f"{server.url}/v1/stations/ST1/ack", "ST1", keys)
    assert ok.status_code == 200 and ok.signed_by_centre(central.keys.public())


def test_interactive_docs_are_off_unless_asked_for(
    central: Central, server: BackgroundServer
) -> None:
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert requests.get(server.url + path, timeout=5).status_code == 404
    with BackgroundServer(central.home, central.keys, app_options={"docs": True}) as open_srv:
        assert requests.get(open_srv.url + "/openapi.json", timeout=5).status_code == 200


def _junk_stream(port: int, stop: threading.Event, sent: list[int], index: int) -> None:
    """One hostile client: opens connections and streams junk at a station endpoint, with
    and without made-up signature headers, reconnecting whenever the centre hangs up."""
    targets = ["/v1/bundles", "/v1/stations/ST1/events", f"/v1/stations/FAKE-{index}/events"]
    fake = ("X-EK-Station: FAKE-{i}\nX-EK-Time: {t}\nX-EK-Body-SHA256: " + "0" * 64 +
            "\nX-EK-Signature: " + "0" * 128 + "\n")  # fmt: skip
    n = 0
    while not stop.is_set():
        n += 1
        head = (f"POST {targets[n % 3]} HTTP/1.1\nHost: x\nContent-Length: {1 << 30}\n"
                + (fake.format(i=index, t=int(time.time())) if n % 2 else ""))  # fmt: skip
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
                sock.sendall(head.replace("\n", "\r\n").encode() + b"\r\n")
                block = b"\xaa" * 65536
                while not stop.is_set():
                    sock.sendall(block)
                    sent[index] += len(block)
        except OSError:
            time.sleep(0.01)


def test_real_stations_keep_syncing_while_strangers_stream_junk(
    central: Central, server: BackgroundServer, tmp_path: Path
) -> None:
    keys = central.station("ST1")
    outbox = SqliteOutbox(tmp_path / "outbox.db", "ST1")
    outbox.append(1500)
    client = SyncClient(server.url, "ST1", keys, outbox.read, last_seq=outbox.last_seq,
                        central_keys=central.keys.public(), allow_plain_http=True,
                        batch_events=100, backoff_base=0.05)  # fmt: skip
    before = usage(central.path)
    stop = threading.Event()
    sent = [0] * 60
    threads = [threading.Thread(target=_junk_stream, args=(server.port, stop, sent, i), daemon=True)
               for i in range(60)]  # fmt: skip
    for t in threads:
        t.start()
    try:
        time.sleep(0.5)
        result = client.sync_once()
    finally:
        stop.set()
        for t in threads:
            t.join(10)
    assert sum(sent) > 0
    assert result.ok and result.complete and result.accepted == 1500
    assert [e.hash for e in central.home.store.events("ST1", limit=10**6)] == [
        e.hash for e in outbox.all()
    ]
    assert central.home.store.read("SELECT count(*) FROM refused")[0][0] == 0
    assert usage(central.path) - before < 1024 * 1024 + outbox_bytes(outbox)
    outbox.close()


def outbox_bytes(outbox: SqliteOutbox) -> int:
    """What the 1500 real events may take in the centre's database (generous)."""
    return 4 * sum(len(json.dumps(e.to_dict())) for e in outbox.all())


def test_out_of_range_events_in_a_batch_are_refused_whole(
    central: Central, server: BackgroundServer
) -> None:
    from .test_hostile_bundles import BAD, chained

    keys = central.station("ST1")
    for case in ("seq beyond 2**53", "mono_time out of range", "wall_time in 9999"):
        body = signed_body(keys, chained("ST1", BAD[case]))
        answer = signed("POST", f"{server.url}/v1/stations/ST1/events", "ST1", keys, body)
        assert_clear_refusal(answer, 400, "malformed")
    assert central.home.store.events("ST1") == []
    refused = central.home.report()["stations"][0]["refused"]
    assert {r["reason"] for r in refused} == {"malformed"}
