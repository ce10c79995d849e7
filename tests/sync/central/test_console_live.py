"""The console's live stream (server-sent events) over HTTP on 127.0.0.1: only signed in,
counts that change when a station pushes, heartbeats, one stream per session, the end
after its time (the browser reconnects through the guard), the end when the account is
disabled."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import requests

from sync.central.server import BackgroundServer

from .conftest import Central
from .console_data import exam_day, face
from .test_console import sign_in, staffed


def configure(home: Path, **settings: Any) -> None:
    """Merge `settings` into HOME/config.json (as an operator edits it)."""
    path = home / "config.json"
    current = json.loads(path.read_text("utf-8")) if path.exists() else {}
    path.write_text(json.dumps({**current, **settings}), "utf-8")


def events(answer: requests.Response) -> Iterator[tuple[str, Any]]:
    """(event, data) of a text/event-stream answer, as they arrive."""
    name, data = "message", ""
    for line in answer.iter_lines(decode_unicode=True):
        if line == "":
            if data:
                yield name, json.loads(data)
            name, data = "message", ""
        elif line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            data += line[6:]


@pytest.fixture
def short_streams(central: Central) -> Iterator[BackgroundServer]:
    configure(
        central.path,
        live_stream={"max_seconds": 4, "heartbeat_seconds": 1, "check_seconds": 1},
    )
    with BackgroundServer(central.home, central.keys) as srv:
        yield srv


def open_stream(browser: requests.Session, url: str) -> requests.Response:
    answer = browser.get(url + "/console/api/events", stream=True, timeout=(5, 15))
    assert answer.status_code == 200, answer.text[:300]
    assert answer.headers["content-type"].startswith("text/event-stream")
    assert answer.headers["x-accel-buffering"] == "no"
    return answer


def test_the_stream_needs_a_session_and_sends_counts_as_stations_push(
    central: Central, short_streams: BackgroundServer
) -> None:
    url = short_streams.url
    day = exam_day(central.home, url)
    staffed(central)
    refused = requests.get(url + "/console/api/events", timeout=10)
    assert refused.status_code == 401 and refused.json() == {"reason": "not_signed_in"}
    viewer = sign_in(url, "viewer1")
    answer = open_stream(viewer, url)
    seen = events(answer)
    assert next(seen) == ("hello", {"heartbeat": 1})
    kind, first = next(seen)
    assert kind == "live" and first["admitted_total"] == 5
    station = day.stations[2]
    pushed_from = len(station.events)
    station.checkin("C007", face(np.random.default_rng(77)))
    station.push(url, after=pushed_from)
    kinds = []
    for kind, data in seen:
        kinds.append(kind)
        if kind == "live":
            assert data["admitted_total"] == 6
            assert data["stations"][station.station_id]["events"] == len(station.events)
            break
    # Nothing changed for a while: heartbeats keep the connection alive.
    kinds = [kind for kind, _ in seen]  # until the server ends the stream after its time
    assert "ping" in kinds and "end" not in kinds
    answer.close()


def test_the_stream_ends_after_its_time_and_the_session_is_not_kept_alive(
    central: Central, short_streams: BackgroundServer
) -> None:
    staffed(central)
    viewer = sign_in(short_streams.url, "viewer1")
    seen = "SELECT last_seen FROM staff_sessions"
    before = central.home.store.read(seen)  # after sign-in and its first page
    started = time.monotonic()
    answer = open_stream(viewer, short_streams.url)
    list(events(answer))  # returns when the server closes the stream
    assert 3.5 <= time.monotonic() - started < 12
    # Streaming is not activity: the seconds it ran left last_seen where it was, so an idle
    # session still ends.
    assert central.home.store.read(seen) == before


def test_one_stream_per_session_and_disabling_the_account_ends_it(
    central: Central, short_streams: BackgroundServer
) -> None:
    accounts = staffed(central)
    url = short_streams.url
    operator = sign_in(url, "op1")
    first = events(open_stream(operator, url))
    assert next(first)[0] == "hello"
    second = events(open_stream(operator, url))  # another tab of the same session
    assert next(second)[0] == "hello"
    assert ("end", {"reason": "replaced"}) in list(first)
    other = sign_in(url, "viewer1")  # someone else's stream is not affected
    third = events(open_stream(other, url))
    accounts.set_disabled("op1", True, by="admin1")
    assert list(second)[-1] == ("end", {"reason": "signed_out"})
    assert all(kind != "end" for kind, _ in third)  # ran its full time
    assert operator.get(url + "/console/api/events", timeout=10).status_code == 401


def test_an_expired_password_gets_no_stream(
    central: Central, short_streams: BackgroundServer
) -> None:
    staffed(central)
    viewer = sign_in(short_streams.url, "viewer1")
    with central.home.store.db.transaction() as tx:  # 91 days pass
        tx.run("UPDATE staff SET changed_at = '2020-01-01T00:00:00+00:00'")
    answer = viewer.get(short_streams.url + "/console/api/events", timeout=10)
    assert answer.status_code == 401 and answer.json() == {"reason": "password_expired"}
    live = viewer.get(short_streams.url + "/console/api/live", timeout=10)
    assert live.status_code == 401 and live.json() == {"reason": "password_expired"}
