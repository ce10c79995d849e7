"""The station's statistics: the sitting as its own outbox tells it, counted by the same rules
as the centre (sync.exam_stats), with the roster and the answer key it holds."""

from __future__ import annotations

import logging

from examkiosk.core.paper import PaperError, build_paper
from examkiosk.core.station import Station
from examkiosk.store import stats_queries
from sync.exam_stats import ExamStats, compute

log = logging.getLogger(__name__)


def station_stats(station: Station, sitting_id: str | None = None) -> ExamStats:
    with station.store.reading() as conn:
        events = stats_queries.all_events(conn, station.station_id)
        registered = stats_queries.registered_candidates(conn, sitting_id)
        rows = stats_queries.paper_rows(conn)
    key: dict[str, list[str]] | None = None
    if rows:
        try:
            paper = build_paper(rows)
            key = {item.item_id: list(item.key) for item in paper.items()}
        except PaperError:
            log.warning("the paper in the store cannot be read; item statistics without key")
    venue = station.identity.venue_id or "?"
    return compute(
        events,
        venue_of={station.station_id: venue},
        sitting_id=sitting_id,
        key=key,
        registered={venue: registered} if registered else None,
    )
