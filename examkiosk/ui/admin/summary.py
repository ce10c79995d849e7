"""What the administrator screen shows about the station (read on the database thread)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from examkiosk.core.package_import import current_exam
from examkiosk.core.proctor_incidents import unacknowledged
from examkiosk.core.station import Station
from examkiosk.core.sync_state import initial_status, load_state
from examkiosk.store import packages
from sync.worker import SyncStatus


@dataclass(frozen=True)
class StationSummary:
    station_id: str
    venue_id: str
    mode: str
    exam_title: str
    sitting_id: str
    package_version: int | None
    candidates: int
    items: int
    admitted: int
    submitted: int
    events: int
    last_seq: int
    snapshots: int
    central_url: str
    sync: SyncStatus
    last_export: dict[str, Any] | None
    dev_plain_http: bool = False
    unacknowledged_incidents: int = 0


def station_summary(station: Station) -> StationSummary:
    def count(sql: str) -> int:
        return int(station.store.query(sql)[0][0] or 0)

    exam = current_exam(station)
    state = load_state(station)
    title = exam.get("exam", {}).get("title", "") if isinstance(exam.get("exam"), dict) else ""
    package = packages.latest(station.store)
    return StationSummary(
        station_id=station.station_id,
        venue_id=station.identity.venue_id,
        mode=station.identity.mode,
        exam_title=str(title or exam.get("title", "")),
        sitting_id=package.sitting_id if package else "",
        package_version=package.version if package else None,
        candidates=count("SELECT count(*) FROM candidates"),
        items=count("SELECT count(*) FROM items"),
        admitted=count("SELECT count(*) FROM checkins WHERE decision = 'admitted'"),
        submitted=count("SELECT count(*) FROM attempts WHERE state = 'submitted'"),
        events=count("SELECT count(*) FROM events"),
        last_seq=count("SELECT max(seq) FROM events"),
        snapshots=count("SELECT count(*) FROM snapshots"),
        central_url=state.central_url,
        sync=initial_status(station, state),
        last_export=state.last_export,
        dev_plain_http=state.allow_plain_http,
        unacknowledged_incidents=unacknowledged(station),
    )
