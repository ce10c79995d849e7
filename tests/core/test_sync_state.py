"""The station's sync state in its store: the centre's acknowledgement, what counts as not yet
acknowledged for a USB export, and what happens when the centre forgets."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from examkiosk.app.demo_venue import VENUE_ID, DemoVenue
from examkiosk.core.export import NothingToExport, export_bundle, export_to
from examkiosk.core.sync_state import (
    EVENT_PLAIN_HTTP,
    BadCentralUrl,
    InsecureCentralUrl,
    NoCentralConfigured,
    backlog,
    initial_status,
    load_state,
    probe_status,
    save_central,
    station_sync_client,
)
from sync.bundle import inspect_bundle
from sync.central.home import CentralHome
from sync.central.server import BackgroundServer
from sync.worker import SyncWorker
from tests.app.sync_helpers import add_answers, add_snapshots, new_venue, start_attempt


@pytest.fixture
def venue(tmp_path: Path) -> Iterator[DemoVenue]:
    demo = new_venue(tmp_path / "venue")
    start_attempt(demo.station, "C00001")
    add_answers(demo.station, 25)
    add_snapshots(demo.station, 2, 20_000)
    yield demo
    demo.station.close()
    demo.central.close()


def test_a_new_station_has_everything_to_send_and_no_centre(venue: DemoVenue) -> None:
    station = venue.station
    state = load_state(station)
    assert (state.central_url, state.acked_seq, state.last_success) == ("", 0, None)
    pending = backlog(station)
    assert (pending.events, pending.snapshots) == (len(station.events()), 2)
    assert pending.event_bytes > 0 and pending.snapshot_bytes == 40_000
    with pytest.raises(NoCentralConfigured):
        station_sync_client(station)
    for bad in ("ftp://centre", "centre:8470", "https://", "http://host:port"):
        with pytest.raises(BadCentralUrl):
            save_central(station, bad)
    assert load_state(station).central_url == ""
    assert save_central(station, "https://sync.example.cn:8470/").central_url == (
        "https://sync.example.cn:8470"
    )
    # Plain http only to this machine, and only with the development switch, which is recorded.
    for insecure in ("http://sync.example.cn:8470", "http://127.0.0.1:8470"):
        with pytest.raises(InsecureCentralUrl):
            save_central(station, insecure)
    with pytest.raises(InsecureCentralUrl):
        save_central(station, "http://10.0.0.5:8470", allow_plain_http=True)
    assert load_state(station).central_url == "https://sync.example.cn:8470"
    assert not any(e.type == EVENT_PLAIN_HTTP for e in station.events())
    state = save_central(station, "http://127.0.0.1:8470", allow_plain_http=True)
    assert state.allow_plain_http and state.central_url == "http://127.0.0.1:8470"
    switched = [e for e in station.events() if e.type == EVENT_PLAIN_HTTP]
    assert [e.payload["enabled"] for e in switched] == [True]
    assert not save_central(
        station, "https://c.example.cn", allow_plain_http=False
    ).allow_plain_http
    assert [e.payload["enabled"] for e in station.events() if e.type == EVENT_PLAIN_HTTP] == [
        True, False,
    ]  # fmt: skip


def test_the_centres_acknowledgement_is_kept_and_narrows_the_next_export(
    venue: DemoVenue, tmp_path: Path
) -> None:
    station = venue.station
    with BackgroundServer(venue.central, venue.central.unlock(venue.passphrase)) as server:
        save_central(station, server.url, allow_plain_http=True)
        client = station_sync_client(station)
        result = client.sync_once()
        client.close()
    assert result.complete and result.snapshots_uploaded == 2
    state = load_state(station)
    assert state.acked_seq == len(station.events()) and state.last_success
    assert state.snapshot_mark == 2 and not state.diverged
    assert backlog(station).events == 0 and backlog(station).snapshots == 0
    with pytest.raises(NothingToExport):
        export_bundle(station, tmp_path / "nothing.ekb")
    assert not (tmp_path / "nothing.ekb").exists()

    add_answers(station, 4)
    add_snapshots(station, 1, 1000)
    info = export_bundle(station, tmp_path / "new.ekb")
    assert (info.first_seq, info.event_count, info.snapshot_count) == (state.acked_seq + 1, 5, 1)
    # The old call with an explicit seq, and a full copy, still hold everything asked for.
    assert export_bundle(station, tmp_path / "from0.ekb", after_seq=0).first_seq == 1
    full = export_to(station, tmp_path, everything=True)
    assert full.path.name == f"ST-DEMO-01-1-{full.info.last_seq}.ekb"
    assert (full.info.first_seq, full.info.snapshot_count) == (1, 3)
    assert inspect_bundle(full.path).sha256 == full.info.sha256
    assert load_state(station).last_export["sha256"] == full.info.sha256  # type: ignore[index]
    # An export moves no mark: only the centre's answer does.
    assert load_state(station).acked_seq == state.acked_seq


def test_a_centre_that_lost_its_data_makes_everything_pending_again(
    venue: DemoVenue, tmp_path: Path
) -> None:
    station = venue.station
    keys = venue.central.unlock(venue.passphrase)
    with BackgroundServer(venue.central, keys) as server:
        save_central(station, server.url, allow_plain_http=True)
        client = station_sync_client(station, server.url)
        assert client.sync_once().complete
        client.close()
    assert backlog(station).events == 0

    # The centre is rebuilt from an empty database (backup lost) with its own keys (kept
    # apart from the database); the station is registered again.
    (tmp_path / "rebuilt").mkdir()
    shutil.copy(venue.central.home / "keys.json", tmp_path / "rebuilt" / "keys.json")
    rebuilt = CentralHome(tmp_path / "rebuilt")
    rebuilt.register_station(station.station_id, VENUE_ID, station.keys().public())
    with BackgroundServer(rebuilt, rebuilt.unlock(venue.passphrase)) as server:
        client = station_sync_client(station, server.url)
        status = probe_status(station, client)
        client.close()
    assert status.online and status.acked_seq == 0
    assert status.backlog_events == len(station.events())
    info = export_bundle(station, tmp_path / "again.ekb")
    assert (info.first_seq, info.event_count) == (1, len(station.events()))
    rebuilt.close()


def test_the_worker_starts_from_the_stored_state_and_records_its_passes(
    venue: DemoVenue,
) -> None:
    station = venue.station
    keys = venue.central.unlock(venue.passphrase)
    with BackgroundServer(venue.central, keys) as server:
        save_central(station, server.url, allow_plain_http=True)
        before = initial_status(station)
        assert before.backlog_events == len(station.events()) and not before.online
        worker = SyncWorker(station_sync_client(station), interval=3600, initial=before)
        assert worker.status().backlog_snapshots == 2  # what is shown until a pass ends
        worker.start()
        result = worker.sync_now(timeout=60)
        worker.stop()
    assert result is not None and result.complete
    status = worker.status()
    assert status.online and status.backlog_events == 0 and status.backlog_snapshots == 0
    assert load_state(station).last_success is not None


def test_a_fake_centre_cannot_make_the_station_believe_anything_was_received(
    venue: DemoVenue, tmp_path: Path
) -> None:
    """A centre with other keys (an impostor, or someone in the middle) answers every request
    as a real one would; the station verifies the answers against the pinned central key and
    marks nothing as received."""
    station = venue.station
    impostor = CentralHome(tmp_path / "impostor")
    impostor.init("impostor passphrase")
    impostor.register_station(station.station_id, VENUE_ID, station.keys().public())
    with BackgroundServer(impostor, impostor.unlock("impostor passphrase")) as server:
        save_central(station, server.url, allow_plain_http=True)
        client = station_sync_client(station)
        result = client.sync_once()
        status = probe_status(station, client)
        client.close()
    assert not result.ok and not result.complete
    assert "signature" in result.error and "签名" in result.error_zh
    state = load_state(station)
    assert state.acked_seq == 0 and state.snapshot_mark == 0 and status.acked_seq == 0
    info = export_bundle(station, tmp_path / "still-everything.ekb")
    assert (info.first_seq, info.event_count) == (1, len(station.events()))
    impostor.close()


def test_changing_the_centre_is_allowed_to_a_venue_admin_and_audited(venue: DemoVenue) -> None:
    from examkiosk.core.authz import NotAllowed, Person

    station = venue.station
    invigilator = Person("T-01", "监考甲", "invigilator")
    with pytest.raises(NotAllowed):
        save_central(station, "https://evil.example.cn", by=invigilator)
    assert load_state(station).central_url == ""
    admin = Person("A-01", "管理员", "venue_admin")
    save_central(station, "https://sync.example.cn", by=admin)
    entries = [e for e in station.events() if e.type == "audit.sync_settings_changed"]
    assert len(entries) == 1 and entries[0].payload["by"] == "A-01"
    assert entries[0].payload["central_url"] == ["", "https://sync.example.cn"]


def test_https_with_the_configured_ca_file_and_nothing_without_it(
    venue: DemoVenue, tmp_path: Path
) -> None:
    """The real path: uvicorn with TLS on 127.0.0.1, a certificate made here, the station
    trusting it only through the CA file saved in its sync settings."""
    from tests.sync.test_client import _tls_files

    station = venue.station
    ca, cert, key = _tls_files(tmp_path)
    keys = venue.central.unlock(venue.passphrase)
    tls = {"ssl_certfile": str(cert), "ssl_keyfile": str(key)}
    with BackgroundServer(venue.central, keys, **tls) as server:  # type: ignore[arg-type]
        assert server.url.startswith("https://127.0.0.1:")
        state = save_central(station, server.url)
        assert not state.allow_plain_http
        client = station_sync_client(station)
        refused = client.sync_once()
        client.close()
        assert not refused.ok and "certificate" in refused.error
        assert load_state(station).acked_seq == 0
        save_central(station, server.url, ca)
        client = station_sync_client(station)
        result = client.sync_once()
        client.close()
    assert result.ok and result.complete and result.snapshots_uploaded == 2
    assert load_state(station).acked_seq == len(station.events())
