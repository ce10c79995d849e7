"""The HTTP API as stations and the real platform's developers meet it."""

from __future__ import annotations

import json
from pathlib import Path

import requests

from sync.central.app import openapi_text
from sync.central.server import BackgroundServer
from sync.events import canonical_json

from .conftest import Central
from .helpers import make_events

REPO = Path(__file__).resolve().parents[3]


def signed_body(keys, events) -> bytes:  # type: ignore[no-untyped-def]
    items = [e.to_dict() for e in events]
    return json.dumps(
        {"events": items, "signature": keys.signature(canonical_json(items)).hex()}
    ).encode()


def post(url: str, body: bytes, key: str | None = None) -> requests.Response:
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Idempotency-Key"] = key
    return requests.post(url, data=body, headers=headers, timeout=10)


def test_signed_batch_is_applied_and_acknowledged(
    central: Central, server: BackgroundServer
) -> None:
    keys = central.station("ST1")
    events = make_events("ST1", 50)
    health = requests.get(server.url + "/v1/health", timeout=5).json()
    assert health["status"] == "ok" and health["bundles"] is True
    assert requests.get(f"{server.url}/v1/stations/ST1/ack", timeout=5).json()["acked_seq"] == 0
    answer = post(f"{server.url}/v1/stations/ST1/events", signed_body(keys, events), "k1")
    assert answer.status_code == 200, answer.text
    assert answer.json()["accepted"] == 50 and answer.json()["acked_seq"] == 50
    ack = requests.get(f"{server.url}/v1/stations/ST1/ack", timeout=5).json()
    assert (ack["acked_seq"], ack["last_hash"]) == (50, events[-1].hash)


def test_retried_request_gets_the_first_answer(central: Central, server: BackgroundServer) -> None:
    keys = central.station("ST1")
    body = signed_body(keys, make_events("ST1", 10))
    url = f"{server.url}/v1/stations/ST1/events"
    first = post(url, body, "same-key")
    again = post(url, body, "same-key")
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json() and first.json()["accepted"] == 10
    other = post(url, signed_body(keys, make_events("ST1", 3, tag="x")), "same-key")
    assert other.status_code == 409 and other.json()["reason"] == "idempotency_conflict"
    # Without a key a repeat is still a no-op.
    assert post(url, body).json()["duplicates"] == 10


def test_refusals_say_why(central: Central, server: BackgroundServer) -> None:
    keys = central.station("ST1")
    stranger = central.station("ST2")
    events = make_events("ST1", 5)
    url = f"{server.url}/v1/stations/ST1/events"
    forged = post(url, signed_body(stranger, events))
    assert forged.status_code == 401 and forged.json()["reason"] == "bad_signature"
    assert forged.json()["message_zh"]
    unknown = post(f"{server.url}/v1/stations/NOBODY/events", signed_body(keys, events))
    assert unknown.status_code == 403 and unknown.json()["reason"] == "unknown_station"
    for junk in (b"not json", b"[1, 2]", b'{"events": 5, "signature": "00"}'):
        answer = post(url, junk)
        assert answer.status_code == 400 and answer.json()["reason"] == "malformed"
    bad_event = json.dumps({"events": [{"seq": "x"}], "signature": "00"}).encode()
    assert post(url, bad_event).status_code in (400, 401)
    assert requests.get(f"{server.url}/v1/stations/NOBODY/ack", timeout=5).status_code == 403
    assert central.home.store.events("ST1") == []
    refused = {r["reason"] for r in central.home.report()["stations"][0]["refused"]}
    assert "bad_signature" in refused
    unregistered = central.home.report()["refused_unregistered"]
    assert unregistered and unregistered[0]["station_id"] == "NOBODY"


def test_every_call_is_logged(central: Central, server: BackgroundServer, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level("INFO", logger="sync.central.http")
    requests.get(f"{server.url}/v1/stations/NOBODY/ack", timeout=5)
    requests.get(f"{server.url}/v1/health", timeout=5)
    lines = [r.getMessage() for r in caplog.records if r.name == "sync.central.http"]
    assert any("GET /v1/stations/NOBODY/ack -> 403" in line for line in lines)
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
