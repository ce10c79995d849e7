"""USB bundle export: the station's events and snapshots, encrypted to the centre."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from examkiosk.core.station import Station
from sync.bundle import BundleInfo, Snapshot, write_bundle


def export_bundle(
    station: Station,
    out: Path,
    *,
    after_seq: int = 0,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> BundleInfo:
    """Write every event after `after_seq` (all by default) and their snapshots to `out`.

    The bundle is written atomically and read back before this returns; on any error no
    file is left at `out`. The station's store is only read.
    """
    events = station.events(after_seq=after_seq)
    rows = station.store.query(
        "SELECT snapshot_id, kind, media_type, data, event_seq FROM snapshots "
        "WHERE event_seq > ? ORDER BY snapshot_id",
        (after_seq,),
    )
    snapshots = [
        Snapshot(name=f"{r[1]}-{r[0]}.jpg", media_type=r[2], data=bytes(r[3]), event_seq=r[4])
        for r in rows
    ]
    sitting = station.store.query("SELECT sitting_id FROM packages ORDER BY version DESC LIMIT 1")
    return write_bundle(
        out,
        events,
        snapshots,
        station_id=station.station_id,
        venue_id=station.identity.venue_id,
        sitting_id=sitting[0][0] if sitting else "",
        station=station.keys(),
        central=station.central_keys(),
        progress=progress,
        cancelled=cancelled,
    )
