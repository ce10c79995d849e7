"""The station's clock against the centre's, as seen at the last contact.

Each HTTP answer of the centre carries its time (the Date header, to the second); after a
sync pass the station keeps the difference to its own wall clock in the store's meta table
(`sync.centre_clock`). The inspection reports it: a station whose clock is far off writes
misleading times into every event (timers are not affected: they run on monotonic time).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from examkiosk.core.station import Station

log = logging.getLogger(__name__)

META_CENTRE_CLOCK = "sync.centre_clock"


@dataclass(frozen=True)
class CentreClock:
    centre_time: str  # ISO 8601, the centre's clock
    station_time: str  # ISO 8601, this station's clock at the same moment
    offset_s: float  # station minus centre: positive when the station is ahead


def record_centre_clock(station: Station, date_header: str) -> CentreClock | None:
    """Keep the drift measured from the centre's Date header; None if it cannot be read."""
    try:
        centre = parsedate_to_datetime(date_header)
    except (TypeError, ValueError, IndexError):
        log.warning("the centre's Date header cannot be read: %r", date_header[:60])
        return None
    here = station.clock.wall()
    seen = CentreClock(
        centre_time=centre.isoformat(),
        station_time=here.isoformat(timespec="seconds"),
        offset_s=round((here - centre).total_seconds(), 1),
    )
    with station.store.transaction() as conn:
        station.store.set_meta(conn, META_CENTRE_CLOCK, json.dumps(seen.__dict__))
    return seen


def last_centre_clock(station: Station) -> CentreClock | None:
    raw = station.store.get_meta(META_CENTRE_CLOCK)
    try:
        value = json.loads(raw) if raw else None
        return CentreClock(**value) if isinstance(value, dict) else None
    except (ValueError, TypeError):
        return None
