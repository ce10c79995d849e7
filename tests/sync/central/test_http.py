"""The HTTP API as stations and the real platform's developers meet it."""

from __future__ import annotations

import json
from pathlib import Path

import requests

from sync.central.app import openapi_text
from sync.central.server import BackgroundServer
from sync.events import canonical_json

from .conftest import Central
from .helpers import make_events, signed

REPO = Path(__file__).resolve().parents[3]


def signed_body(keys, events) -> bytes:  # type: ignore[no-untyped-def]
    items = [e.to_dict() for e in events]
    return json.dumps(
        {"events": items, "signature": keys.signature(canonical_json(items)).hex()}
    ).encode()


def post(
    url: str, body: bytes, key: str | None = None, *, keys=None, station="ST1"
) -> requests.Response:  # type: ignore[no-untyped-def]
    """POST `body` signed as `station` with `keys` (a test's registered station)."""
    headers = {"Idempotency-Key": key} if key else {}
    return signed("POST", url, station, keys, body, headers=headers)  # type: ignore[no-any-return]


def test_signed_batch_is_applied_and_acknowledged(
    central: Central, server: BackgroundServer
) -> None:
    keys = central.station("ST1")
    events = make_events("ST1", 50)
    health = requests.get(server.url + "/v1/health", timeout=5).json()
    assert health["status"] == "ok" and health["bundles"] is True
    first_ack = signed("GET", f"{server.url}/v1/stations/ST1/ack", "ST1", keys)
    assert first_ack.json()["acked_seq"] == 0
    assert first_ack.signed_by_centre(central.home.public_keys())
    answer = post(
        f"{server.url}/v1/stations/ST1/events", signed_body(keys, events), "k1", keys=keys
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["accepted"] == 50 and answer.json()["acked_seq"] == 50
    assert answer.signed_by_centre(central.home.public_keys())
    assert not answer.signed_by_centre(keys.public())  # only the centre's key makes it genuine
    ack = signed("GET", f"{server.url}/v1/stations/ST1/ack", "ST1", keys).json()
    assert (ack["acked_seq"], ack["last_hash"]) == (50, events[-1].hash)


def test_retried_request_gets_the_first_answer(central: Central, server: BackgroundServer) -> None:
    keys = central.station("ST1")
    body = signed_body(keys, make_events("ST1", 10))
    url = f"{server.url}/v1/stations/ST1/events"
    first = post(url, body, "same-key", keys=keys)
    again = post(url, body, "same-key", keys=keys)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json() and first.json()["accepted"] == 10
    other = post(url, signed_body(keys, make_events("ST1", 3, tag="x")), "same-key", keys=keys)
    assert other.status_code == 409 and other.json()["reason"] == "idempotency_conflict"
    # Without a key a repeat is still a no-op.
    assert post(url, body, keys=keys).json()["duplicates"] == 10


def test_refusals_say_why(central: Central, server: BackgroundServer) -> None:
    keys = central.station("ST1")
    stranger = central.station("ST2")
    events = make_events("ST1", 5)
    url = f"{server.url}/v1/stations/ST1/events"
    # A request signed by another station's key: refused before its body is read.
    forged = post(url, signed_body(keys, events), keys=stranger)
    assert forged.status_code == 401 and forged.json()["reason"] == "bad_signature"
    assert forged.json()["message_zh"]
    # ST2 speaking for ST1 is refused from the headers alone.
    other = post(url, signed_body(keys, events), keys=stranger, station="ST2")
    assert other.status_code == 401 and other.json()["reason"] == "wrong_station"
    nobody = post(f"{server.url}/v1/stations/NOBODY/events", signed_body(keys, events),
                  keys=keys, station="NOBODY")  # fmt: skip
    assert nobody.status_code == 401 and nobody.json()["reason"] == "unknown_station"
    for junk in (b"not json", b"[1, 2]", b'{"events": 5, "signature": "00"}'):
        answer = post(url, junk, keys=keys)
        assert answer.status_code == 400 and answer.json()["reason"] == "malformed"
    bad_event = json.dumps({"events": [{"seq": "x"}], "signature": "00"}).encode()
    assert post(url, bad_event, keys=keys).status_code in (400, 401)
    # The station authenticated, but the events inside are signed by another key: recorded.
    inner = post(url, signed_body(stranger, events), keys=keys)
    assert inner.status_code == 401 and inner.json()["reason"] == "bad_signature"
    unsigned = requests.get(f"{server.url}/v1/stations/ST1/ack", timeout=5)
    assert unsigned.status_code == 401 and unsigned.json()["reason"] == "unsigned"
    assert central.home.store.events("ST1") == []
    refused = {r["reason"] for r in central.home.report()["stations"][0]["refused"]}
    assert "bad_signature" in refused
    # Strangers' refusals are counted in memory, never stored one row each.
    assert central.home.report()["refused_unregistered"] == []


def test_every_call_is_logged(central: Central, server: BackgroundServer, caplog) -> None:  # type: ignore[no-untyped-def]
    keys = central.station("ST1")
    caplog.set_level("INFO", logger="sync.central.http")
    signed("GET", f"{server.url}/v1/stations/ST1/ack", "ST1", keys)
    requests.get(f"{server.url}/v1/health", timeout=5)
    lines = [r.getMessage() for r in caplog.records if r.name == "sync.central.http"]
    assert any("GET /v1/stations/ST1/ack -> 200" in line for line in lines)
    assert any("GET /v1/health -> 200" in line for line in lines)


def test_shipped_openapi_matches_the_service() -> None:
    shipped = REPO / "docs" / "openapi.json"
    assert shipped.exists(), "run: python -m sync.central.cli openapi --out docs/openapi.json"
    assert shipped.read_text("utf-8") == openapi_text(), (
        "docs/openapi.json is stale; run: python -m sync.central.cli openapi --out docs/openapi.json"
    )
    paths = json.loads(shipped.read_text("utf-8"))["paths"]
    assert {"/v1/health", "/v1/stations/{station_id}/ack", "/v1/stations/{station_id}/events",
            "/v1/bundles"} <= set(paths)  # fmt: skip
