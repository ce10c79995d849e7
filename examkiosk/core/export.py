"""USB bundle export: the station's events and snapshots, encrypted to the centre.

Three selections an administrator can ask for:
- by default, everything the centre has not acknowledged yet (see core/sync_state.py): the
  events after its acknowledged seq and the snapshots it has not confirmed;
- `everything=True`: the whole outbox and every snapshot (a full copy for the record);
- `sitting_id=...`: every event and snapshot of one sitting (its package import, check-ins,
  attempts and answers), acknowledged or not. Such a bundle may have gaps in its seq range;
  the centre reports them until the events in between arrive by any route.

Bundles overlap freely: the centre applies each event once whatever arrives twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from examkiosk.core.authz import Person, audit
from examkiosk.core.errors import KioskError
from examkiosk.core.station import Station
from examkiosk.core.sync_state import load_state, record_export, snapshot_name
from examkiosk.store import packages
from sync.bundle import BUNDLE_EXTENSION, BundleInfo, Snapshot, write_bundle
from sync.events import Event

SCOPE_UNACKNOWLEDGED, SCOPE_ALL, SCOPE_SITTING, SCOPE_AFTER = (
    "unacknowledged",
    "all",
    "sitting",
    "after_seq",
)
_PAGE = 5000


class NothingToExport(KioskError):
    def __init__(self) -> None:
        super().__init__(
            "没有需要导出的数据：考试中心已确认收到本机的全部记录。如仍需完整备份，请导出全部数据（--all）。",
            "Nothing to export: the exam centre has acknowledged every record of this station. "
            "To make a full copy anyway, export everything (--all).",
        )


class UnknownSitting(KioskError):
    def __init__(self, sitting_id: str, known: list[str]) -> None:
        listed = ", ".join(known) or "-"
        super().__init__(
            f"本机没有场次 {sitting_id} 的数据。本机的场次：{listed}。",
            f"This station holds no sitting {sitting_id!r}. Sittings here: {listed}.",
        )


@dataclass(frozen=True)
class Selection:
    scope: str
    sitting_id: str  # what the bundle's header names
    events: list[Event]
    snapshots: list[Snapshot]


@dataclass(frozen=True)
class ExportResult:
    path: Path
    info: BundleInfo
    scope: str


def _snapshots(station: Station, where: str, params: tuple[Any, ...]) -> list[Snapshot]:
    rows = station.store.query(
        "SELECT snapshot_id, kind, media_type, data, event_seq FROM snapshots "
        f"WHERE {where} ORDER BY snapshot_id",
        params,
    )
    return [
        Snapshot(name=snapshot_name(r[1], int(r[0])), media_type=r[2], data=bytes(r[3]),
                 event_seq=r[4])
        for r in rows
    ]  # fmt: skip


def current_sitting(station: Station) -> str:
    package = packages.latest(station.store)
    return package.sitting_id if package else ""


def sittings(station: Station) -> list[str]:
    rows = station.store.query(
        "SELECT sitting_id FROM packages UNION SELECT sitting_id FROM candidates ORDER BY 1"
    )
    return [str(r[0]) for r in rows]


def _all_events(station: Station) -> list[Event]:
    return station.events(after_seq=0)


def _sitting_selection(station: Station, sitting_id: str) -> Selection:
    if sitting_id not in sittings(station):
        raise UnknownSitting(sitting_id, sittings(station))
    candidates = {
        str(r[0])
        for r in station.store.query(
            "SELECT candidate_id FROM candidates WHERE sitting_id = ?", (sitting_id,)
        )
    }
    attempts = {
        str(r[0])
        for r in station.store.query(
            "SELECT a.attempt_id FROM attempts a JOIN candidates c USING (candidate_id) "
            "WHERE c.sitting_id = ?",
            (sitting_id,),
        )
    }

    def belongs(event: Event) -> bool:
        payload = event.payload
        return (
            payload.get("sitting_id") == sitting_id
            or payload.get("candidate_id") in candidates
            or payload.get("attempt_id") in attempts
        )

    events: list[Event] = []
    after = 0
    while page := station.events(after_seq=after, limit=_PAGE):
        events.extend(e for e in page if belongs(e))
        after = page[-1].seq
    seqs = {e.seq for e in events}
    chosen = [
        int(r[0])
        for r in station.store.query("SELECT snapshot_id, candidate_id, event_seq FROM snapshots")
        if r[1] in candidates or r[2] in seqs
    ]
    snapshots: list[Snapshot] = []
    for start in range(0, len(chosen), 500):
        part = chosen[start : start + 500]
        marks = ",".join("?" for _ in part)
        snapshots += _snapshots(station, f"snapshot_id IN ({marks})", tuple(part))
    return Selection(SCOPE_SITTING, sitting_id, events, snapshots)


def select_for_export(
    station: Station,
    *,
    everything: bool = False,
    sitting_id: str | None = None,
    after_seq: int | None = None,
) -> Selection:
    """What a bundle of the given scope holds (see the module docstring)."""
    if sitting_id:
        return _sitting_selection(station, sitting_id)
    sitting = current_sitting(station)
    if everything:
        return Selection(SCOPE_ALL, sitting, _all_events(station), _snapshots(station, "1", ()))
    if after_seq is not None:
        events = station.events(after_seq=after_seq)
        return Selection(
            SCOPE_AFTER, sitting, events, _snapshots(station, "event_seq > ?", (after_seq,))
        )
    state = load_state(station)
    after = state.export_after_seq
    events = station.events(after_seq=after)
    mark = 0 if state.diverged else state.snapshot_mark
    snapshots = _snapshots(station, "snapshot_id > ? OR event_seq > ?", (mark, after))
    return Selection(SCOPE_UNACKNOWLEDGED, sitting, events, snapshots)


def bundle_file_name(station_id: str, events: list[Event]) -> str:
    """STATION-FIRST-LAST.ekb: the name `--out FOLDER` writes (the range tells sticks apart)."""
    first, last = (events[0].seq, events[-1].seq) if events else (0, 0)
    return f"{station_id}-{first}-{last}{BUNDLE_EXTENSION}"


def export_to(
    station: Station,
    out: Path,
    *,
    everything: bool = False,
    sitting_id: str | None = None,
    after_seq: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    by: Person | None = None,
) -> ExportResult:
    """Write a bundle of the chosen selection to `out`, or into `out` when it is a folder
    (named by bundle_file_name). Raises NothingToExport when the selection is empty,
    UnknownSitting, BundleCancelled, MediaError (read-only, full, removed drive) — in every
    case no file is left behind. The store is only read, but for a note of the export."""
    selection = select_for_export(
        station, everything=everything, sitting_id=sitting_id, after_seq=after_seq
    )
    if not selection.events and not selection.snapshots:
        raise NothingToExport()
    if progress is not None:  # reading a large outbox takes a moment: say it has begun
        progress(0, len(selection.events) + len(selection.snapshots))
    path = Path(out)
    if path.is_dir():
        path = path / bundle_file_name(station.station_id, selection.events)
    info = write_bundle(
        path,
        selection.events,
        selection.snapshots,
        station_id=station.station_id,
        venue_id=station.identity.venue_id,
        sitting_id=selection.sitting_id,
        station=station.keys(),
        central=station.central_keys(),
        progress=progress,
        cancelled=cancelled,
    )
    record_export(station, info, path, selection.scope)
    if by is not None:  # who carried which events out of the station
        with station.store.transaction() as conn:
            audit(
                station,
                conn,
                by,
                "bundle_exported",
                {
                    "scope": selection.scope,
                    "first_seq": info.first_seq,
                    "last_seq": info.last_seq,
                    "sha256": info.sha256,
                },
            )
    return ExportResult(path, info, selection.scope)


def export_bundle(
    station: Station,
    out: Path,
    *,
    after_seq: int | None = None,
    everything: bool = False,
    sitting_id: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    by: Person | None = None,
) -> BundleInfo:
    """Write a bundle to `out` (a file path): by default what the centre has not acknowledged;
    `everything`, one `sitting_id`, or the events after `after_seq` on request.

    The bundle is written atomically and read back before this returns; on any error no
    file is left at `out`. See export_to for the errors.
    """
    return export_to(
        station,
        out,
        everything=everything,
        sitting_id=sitting_id,
        after_seq=after_seq,
        progress=progress,
        cancelled=cancelled,
        by=by,
    ).info
