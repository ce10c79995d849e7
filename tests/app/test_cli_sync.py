"""`examkiosk sync` against a real central service on 127.0.0.1: status, push, a push killed
midway, USB bundles and HTTP in any order, and a station restored from an old copy."""

from __future__ import annotations

import json
import shutil
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from examkiosk.app.demo_venue import DemoVenue
from examkiosk.core.provision import open_station
from examkiosk.core.station import Station
from sync.central.server import BackgroundServer, free_port
from sync.crypto import KeyPair
from tests.app.sync_helpers import (
    add_answers,
    add_snapshots,
    assert_one_central_state,
    central_events,
    central_station,
    examkiosk,
    examkiosk_process,
    new_venue,
    start_attempt,
    station_events,
)
from tests.sync.central.faultproxy import FaultProxy


@dataclass
class Venue:
    demo: DemoVenue
    keys: KeyPair  # the demo central's
    server: BackgroundServer

    @property
    def dir(self) -> str:
        return str(self.demo.data_dir)

    @property
    def station(self) -> Station:
        return self.demo.station

    def json(self, *args: str, ok: bool = True) -> dict:  # type: ignore[type-arg]
        result = examkiosk(*args, "--data-dir", self.dir, "--json", ok=ok)
        return json.loads(result.stdout)


@pytest.fixture
def venue(tmp_path: Path) -> Iterator[Venue]:
    demo = new_venue(tmp_path / "venue")
    start_attempt(demo.station, "C00001")
    add_answers(demo.station, 40)
    add_snapshots(demo.station, 2, 40_000)
    keys = demo.central.unlock(demo.passphrase)
    with BackgroundServer(demo.central, keys) as server:
        yield Venue(demo, keys, server)
    demo.station.close()
    demo.central.close()


def test_status_push_and_status_again(venue: Venue) -> None:
    total = len(station_events(venue.station))
    before = venue.json("sync", "status")
    assert before["central_url"] == "" and before["online"] is False
    assert (before["backlog_events"], before["backlog_snapshots"]) == (total, 2)
    assert before["backlog_bytes"] > 0 and before["backlog_snapshot_bytes"] >= 80_000

    unset = examkiosk("sync", "push", "--data-dir", venue.dir, ok=False)
    assert unset.returncode == 2 and "No exam centre address" in unset.stderr
    bad = examkiosk("sync", "config", "--data-dir", venue.dir, "--central", "ftp://x", ok=False)
    assert bad.returncode == 2 and "not valid" in bad.stderr

    insecure = examkiosk(
        "sync", "config", "--data-dir", venue.dir, "--central", venue.server.url, ok=False
    )
    assert insecure.returncode == 2 and "HTTPS" in insecure.stderr
    assert "Traceback" not in insecure.stderr
    examkiosk(
        "sync", "config", "--data-dir", venue.dir, "--central", venue.server.url,
        "--dev-allow-http",
    )  # fmt: skip
    # Changing the centre is a signed-in, audited act: sign-ins (also for the refused ftp://
    # and http:// addresses), the change itself, and the development switch it turned on.
    audited = [e.type for e in venue.station.events()[total:]]
    assert audited == ["audit.signed_in"] * 3 + [
        "audit.sync_settings_changed", "sync.dev_plain_http",
    ]  # fmt: skip
    total = len(station_events(venue.station))
    online = venue.json("sync", "status")
    assert online["online"] is True and online["backlog_events"] == total

    pushed = venue.json("sync", "push")
    assert pushed["ok"] and pushed["complete"]
    assert (pushed["sent_events"], pushed["accepted"], pushed["acked_seq"]) == (total,) * 3
    assert pushed["snapshots_uploaded"] == 2
    assert_one_central_state(venue.demo.central, venue.station)

    after = venue.json("sync", "status")
    assert after["online"] and after["last_success"]
    assert (after["acked_seq"], after["backlog_events"], after["backlog_snapshots"]) == (
        total, 0, 0,
    )  # fmt: skip
    text = examkiosk("sync", "push", "--data-dir", venue.dir).stdout
    assert "sent: 0 events" in text and f"seq {total} / {total}" in text


def test_unreachable_centre_is_a_quick_clear_failure(venue: Venue) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    examkiosk("sync", "config", "--data-dir", venue.dir, "--central", nowhere, "--dev-allow-http")
    started = time.monotonic()
    result = examkiosk("sync", "push", "--data-dir", venue.dir, "--central", nowhere, ok=False)
    assert result.returncode == 1
    assert "cannot be reached" in result.stderr and "Traceback" not in result.stderr
    assert time.monotonic() - started < 60  # a probe, not minutes of retries (generous bound)
    status = venue.json("sync", "status", "--central", nowhere)
    assert status["online"] is False and "cannot be reached" in status["last_error"]
    assert status["backlog_events"] == len(station_events(venue.station))
    assert central_events(venue.demo.central) == []


def _kill_when(proc_args: tuple[str, ...], ready: Callable[[], bool]) -> bool:
    """Run `examkiosk *proc_args`; SIGKILL it as soon as ready() holds. True if killed."""
    proc = examkiosk_process(*proc_args)
    try:
        while proc.poll() is None:
            if ready():
                proc.send_signal(signal.SIGKILL)
                proc.wait(30)
                return True
            time.sleep(0.005)
        return False
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=30)


def test_push_killed_midway_then_again_holds_every_event_once(venue: Venue) -> None:
    add_answers(venue.station, 2200)  # 5 batches
    add_snapshots(venue.station, 2, 600_000)  # 3 chunks each
    central = venue.demo.central
    examkiosk("sync", "config", "--data-dir", venue.dir, "--central", venue.server.url,
              "--dev-allow-http")  # fmt: skip
    with FaultProxy(venue.server.port, seed=6, rate=1.0) as proxy:
        proxy.script = ["delay"] * 10_000  # only slowness: the kills are the fault under test
        args = ("sync", "push", "--data-dir", venue.dir, "--central", proxy.url)
        event_kills = snapshot_kills = 0

        def pending_bytes() -> int:
            rows = central.store.read(
                "SELECT coalesce(sum(received), 0) FROM snapshot_uploads WHERE status = 'pending'"
            )
            return int(rows[0][0])

        for _ in range(15):
            seen, sent, total = (
                len(central_events(central)), pending_bytes(), len(station_events(venue.station))
            )  # fmt: skip
            fired: list[str] = []

            def progressed(
                seen: int = seen, sent: int = sent, total: int = total, fired: list[str] = fired
            ) -> bool:
                if seen < len(central_events(central)) < total:
                    fired.append("events")
                elif pending_bytes() > sent:
                    fired.append("snapshot")
                return bool(fired)

            if not _kill_when(args, progressed):
                break
            if fired == ["events"]:
                event_kills += 1
                add_answers(venue.station, 7)  # the station goes on recording meanwhile
            else:
                snapshot_kills += 1
        assert event_kills >= 3 and snapshot_kills >= 1, (event_kills, snapshot_kills)
        final = json.loads(examkiosk(*args, "--json").stdout)
    assert final["ok"] and final["complete"]
    assert_one_central_state(central, venue.station)


def _import(venue: Venue, bundle: Path) -> dict:  # type: ignore[type-arg]
    return venue.demo.central.import_bundle(bundle, venue.keys).to_dict()


def test_usb_and_http_in_any_order_end_in_one_central_state(venue: Venue, tmp_path: Path) -> None:
    usb = tmp_path / "usb"
    usb.mkdir()
    examkiosk("sync", "config", "--data-dir", venue.dir, "--central", venue.server.url,
              "--dev-allow-http")  # fmt: skip
    first = venue.json("bundle", "export", "--out", str(usb))
    assert Path(first["path"]).name == f"ST-DEMO-01-1-{first['last_seq']}.ekb"
    assert _import(venue, Path(first["path"]))["accepted"] == first["event_count"]

    # HTTP after the stick: nothing is sent twice, not even the snapshots' bytes; only the
    # audit entry of the export itself (who carried which events out) is new.
    pushed = venue.json("sync", "push")
    assert (pushed["sent_events"], pushed["snapshot_bytes"]) == (1, 0)
    assert venue.station.events()[-1].type == "audit.bundle_exported"
    assert pushed["complete"] and pushed["snapshots_uploaded"] == 2
    assert_one_central_state(venue.demo.central, venue.station)

    # New records; bundles of them carried out of order and twice, then HTTP again.
    add_answers(venue.station, 30)
    second = venue.json("bundle", "export", "--out", str(usb))
    assert second["first_seq"] == pushed["acked_seq"] + 1  # only what is not acknowledged
    add_answers(venue.station, 30)
    add_snapshots(venue.station, 1, 20_000)
    third = venue.json("bundle", "export", "--out", str(usb))
    assert third["first_seq"] == second["first_seq"] and third["last_seq"] > second["last_seq"]
    assert _import(venue, Path(third["path"]))["accepted"] == third["event_count"]
    assert _import(venue, Path(second["path"]))["duplicates"] == second["event_count"]
    assert _import(venue, Path(third["path"]))["accepted"] == 0
    again = venue.json("sync", "push")  # only the third export's own audit entry is new
    assert again["sent_events"] == 1 and again["snapshot_bytes"] == 0 and again["complete"]
    assert_one_central_state(venue.demo.central, venue.station)

    # The stick after HTTP: a full copy and a sitting's bundle change nothing.
    add_answers(venue.station, 5)
    assert venue.json("sync", "push")["accepted"] == 5
    full = venue.json("bundle", "export", "--out", str(usb), "--all")
    assert full["first_seq"] == 1 and full["scope"] == "all"
    sitting = venue.json("bundle", "export", "--out", str(tmp_path), "--sitting", "S-2026-1122")
    # The full copy carries one event the centre lacks: the sign-in for that very export.
    new_in = {id(full): 1, id(sitting): 0}
    for n, bundle in enumerate((full, sitting, full)):
        result = _import(venue, Path(bundle["path"]))
        fresh = new_in[id(bundle)] if n < 2 else 0
        assert result["accepted"] == fresh
        assert result["duplicates"] == bundle["event_count"] - fresh
    # What happened after the full copy (its export's audit, the sitting export's sign-in
    # and audit) reaches the centre with the next pass, once.
    assert venue.json("sync", "push")["accepted"] == 3
    assert_one_central_state(venue.demo.central, venue.station)


def test_a_station_restored_from_an_old_copy_is_flagged_not_merged(
    venue: Venue, tmp_path: Path
) -> None:
    examkiosk("sync", "config", "--data-dir", venue.dir, "--central", venue.server.url,
              "--dev-allow-http")  # fmt: skip
    venue.json("sync", "push")
    venue.station.close()
    backup = tmp_path / "backup"
    shutil.copytree(venue.dir, backup)
    station = open_station(Path(venue.dir), venue.demo.passphrase)
    add_answers(station, 20)
    station.close()
    assert venue.json("sync", "push")["accepted"] == 20
    held = central_events(venue.demo.central)

    # The disk fails; the station is restored from the old copy and records other answers.
    shutil.rmtree(venue.dir)
    shutil.copytree(backup, venue.dir)
    station = open_station(Path(venue.dir), venue.demo.passphrase)
    add_answers(station, 25)
    station.close()
    result = examkiosk("sync", "push", "--data-dir", venue.dir, ok=False)
    assert result.returncode == 3 and "another history" in result.stderr
    assert central_events(venue.demo.central) == held  # nothing merged
    report = central_station(venue.demo.central)
    assert report["rollback"] and report["quarantined"]["count"] > 0
    status = venue.json("sync", "status")
    assert (
        status["diverged"] is True
        and "another history" in examkiosk("sync", "status", "--data-dir", venue.dir).stdout
    )
    # For the record, the default export of a diverged station holds its whole history.
    copy = venue.json("bundle", "export", "--out", str(tmp_path))
    assert copy["first_seq"] == 1 and copy["scope"] == "unacknowledged"
